using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Gateway.Radius;
using Microsoft.Data.Sqlite;

namespace Gateway.Tests.Failure;

/// <summary>
/// An attach storm with auto-registration, the gateway killed with SIGKILL in the middle: every Accounting-Start it
/// answered has its SIM and its address binding in the store (they are written in one transaction, and the answer
/// waits for its commit), and the gateway starts again on that store.
/// </summary>
[Collection(OutageTests.Name)]
public sealed class RadiusKillTests
{
    private const string Secret = "kill-secret";
    private static readonly byte[] s_secret = Encoding.UTF8.GetBytes(Secret);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Kill_9_mid_storm_keeps_every_answered_sim_and_its_binding()
    {
        var radiusPort = LoadRun.RestartablePort(udpToo: true);
        await using var gateway = new GatewayChild();
        var seed = Path.Combine(gateway.DataDir, "seed.json");
        await File.WriteAllTextAsync(seed, """{ "groups": [ { "groupId": "g-storm" } ], "subscribers": [] }""", Ct);
        gateway.ExtraArgs =
        [
            "--registry", seed, "--Gateway:Radius:Enabled", "true", "--Gateway:Radius:Listen", $"127.0.0.1:{radiusPort.ToString(CultureInfo.InvariantCulture)}",
            "--Gateway:Radius:Clients:0:Address", "127.0.0.1/32", "--Gateway:Radius:Clients:0:Secret", Secret, "--Gateway:Radius:AutoRegisterGroupId", "g-storm",
        ];
        await gateway.StartAsync(Ct);

        var answered = new ConcurrentDictionary<string, string>();
        using var stop = new CancellationTokenSource();
        var senders = Enumerable.Range(0, 32).Select(n => SendAsync(radiusPort, n, answered, stop.Token)).ToList();
        await Task.Delay(2000, Ct);
        await gateway.KillAsync();
        await stop.CancelAsync();
        await Task.WhenAll(senders);
        Assert.True(answered.Count > 100, $"only {answered.Count} answered before the kill");

        var (subscribers, bindings) = await ReadStoreAsync(Path.Combine(gateway.DataDir, "registry.db"));
        Assert.All(answered, a =>
        {
            Assert.Contains(a.Key, subscribers);
            Assert.Equal(a.Key, bindings.GetValueOrDefault(a.Value));
        });

        await gateway.StartAsync(Ct);
    }

    /// <summary>One NAS port: Accounting-Start after Accounting-Start, each for a new IMSI and address, until stopped.</summary>
    private static async Task SendAsync(int port, int sender, ConcurrentDictionary<string, string> answered, CancellationToken stop)
    {
        using var client = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var response = new byte[20];
        for (var i = 0; !stop.IsCancellationRequested; i++)
        {
            var imsi = $"4401055{sender:00}{i:000000}";
            var address = $"10.{sender}.{i / 250 % 250}.{i % 250}";
            var request = Request((byte)i, address, imsi);
            await client.SendAsync(request, new IPEndPoint(IPAddress.Loopback, port), CancellationToken.None);
            try
            {
                using var wait = CancellationTokenSource.CreateLinkedTokenSource(stop);
                wait.CancelAfter(TimeSpan.FromSeconds(2));
                var got = (await client.ReceiveAsync(wait.Token)).Buffer;
                new RadiusPacketWriter(response, RadiusCode.AccountingResponse, request[1]).FinishResponse(request.AsSpan(4, 16), s_secret);
                if (got.AsSpan().SequenceEqual(response))
                {
                    answered[imsi] = address;
                }
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private static byte[] Request(byte identifier, string framedIp, string imsi)
    {
        var buffer = new byte[512];
        var w = new RadiusPacketWriter(buffer, RadiusCode.AccountingRequest, identifier);
        w.WriteUInt32(RadiusAttributeType.AcctStatusType, (uint)AcctStatusType.Start);
        w.WriteIPv4(RadiusAttributeType.FramedIpAddress, IPAddress.Parse(framedIp));
        w.WriteVendorString(RadiusAttributeType.Vendor3Gpp, RadiusAttributeType.ThreeGppImsi, imsi);
        return buffer[..w.FinishAccountingRequest(s_secret)];
    }

    /// <summary>What the dead process left in its database: the SIMs, and each bound address's SIM.</summary>
    private static async Task<(HashSet<string> Subscribers, Dictionary<string, string> Bindings)> ReadStoreAsync(string path)
    {
        var subscribers = new HashSet<string>(StringComparer.Ordinal);
        var bindings = new Dictionary<string, string>(StringComparer.Ordinal);
        await using var connection = new SqliteConnection($"Data Source={path};Pooling=false");
        await connection.OpenAsync(Ct);
        await using (var command = new SqliteCommand("SELECT id FROM registry_subscribers", connection))
        await using (var reader = await command.ExecuteReaderAsync(Ct))
        {
            while (await reader.ReadAsync(Ct))
            {
                subscribers.Add(reader.GetString(0));
            }
        }

        await using (var command = new SqliteCommand("SELECT address, imsi FROM registry_bindings", connection))
        await using (var reader = await command.ExecuteReaderAsync(Ct))
        {
            while (await reader.ReadAsync(Ct))
            {
                bindings[reader.GetString(0)] = reader.GetString(1);
            }
        }

        return (subscribers, bindings);
    }
}
