using System.Net;
using System.Net.Sockets;
using System.Text;
using Gateway.Radius;

namespace Gateway.Tests.Radius;

/// <summary>The listener's handling of what radclient will not send: retransmissions, strangers, garbage, overload, failing sinks.</summary>
[Collection(RadiusMeterTests.Name)]
public sealed class RadiusListenerTests
{
    private static readonly byte[] s_secret = Encoding.UTF8.GetBytes(RadiusTestServer.Secret);

    private static byte[] Request(byte identifier, string framedIp = "10.0.0.1", string imsi = "440101234567890", byte[]? secret = null, AcctStatusType status = AcctStatusType.Start)
    {
        var buffer = new byte[512];
        var w = new RadiusPacketWriter(buffer, RadiusCode.AccountingRequest, identifier);
        w.WriteUInt32(RadiusAttributeType.AcctStatusType, (uint)status);
        w.WriteIPv4(RadiusAttributeType.FramedIpAddress, IPAddress.Parse(framedIp));
        w.WriteVendorString(RadiusAttributeType.Vendor3Gpp, RadiusAttributeType.ThreeGppImsi, imsi);
        return buffer[..w.FinishAccountingRequest(secret ?? s_secret)];
    }

    private static async Task<byte[]?> ReceiveAsync(UdpClient client, double seconds = 3)
    {
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cancel.CancelAfter(TimeSpan.FromSeconds(seconds));
        try
        {
            return (await client.ReceiveAsync(cancel.Token)).Buffer;
        }
        catch (OperationCanceledException) when (!TestContext.Current.CancellationToken.IsCancellationRequested)
        {
            return null;
        }
    }

    private static void AssertResponseTo(byte[] request, byte[]? response)
    {
        Assert.NotNull(response);
        var expected = new byte[20];
        new RadiusPacketWriter(expected, RadiusCode.AccountingResponse, request[1]).FinishResponse(request.AsSpan(4, 16), s_secret);
        Assert.Equal(Convert.ToHexString(expected), Convert.ToHexString(response));
    }

    [Fact]
    public async Task A_retransmission_gets_the_same_response_without_a_second_sink_call()
    {
        await using var server = await RadiusTestServer.StartAsync();
        using var client = RadiusTestServer.Client();
        var request = Request(1);

        await client.SendAsync(request, server.EndPoint, TestContext.Current.CancellationToken);
        var first = await ReceiveAsync(client);
        await client.SendAsync(request, server.EndPoint, TestContext.Current.CancellationToken);
        var second = await ReceiveAsync(client);

        AssertResponseTo(request, first);
        Assert.Equal(first, second);
        Assert.Single(server.Sink.Calls);
        Assert.Equal(1, server.Count(RadiusMetrics.Ok));
        Assert.Equal(1, server.Count(RadiusMetrics.Duplicate));
    }

    [Fact]
    public async Task A_retransmission_while_the_first_copy_is_being_recorded_is_dropped_and_one_response_follows()
    {
        await using var server = await RadiusTestServer.StartAsync();
        var release = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        server.Sink.Answer = (_, _) => new ValueTask<bool>(release.Task);
        using var client = RadiusTestServer.Client();
        var request = Request(2);

        await client.SendAsync(request, server.EndPoint, TestContext.Current.CancellationToken);
        await server.Sink.WaitForCallsAsync(1);
        await client.SendAsync(request, server.EndPoint, TestContext.Current.CancellationToken);
        await server.WaitForCountAsync(RadiusMetrics.Duplicate, 1);
        release.SetResult(true);

        AssertResponseTo(request, await ReceiveAsync(client));
        Assert.Null(await ReceiveAsync(client, 0.3));
        Assert.Single(server.Sink.Calls);
    }

    [Fact]
    public async Task The_same_identifier_with_different_content_is_a_new_request()
    {
        await using var server = await RadiusTestServer.StartAsync();
        using var client = RadiusTestServer.Client();
        var start = Request(3, status: AcctStatusType.Start);
        var stop = Request(3, status: AcctStatusType.Stop);

        await client.SendAsync(start, server.EndPoint, TestContext.Current.CancellationToken);
        AssertResponseTo(start, await ReceiveAsync(client));
        await client.SendAsync(stop, server.EndPoint, TestContext.Current.CancellationToken);
        AssertResponseTo(stop, await ReceiveAsync(client));

        Assert.Equal([AcctStatusType.Start, AcctStatusType.Stop], server.Sink.Calls.Select(c => c.StatusType));
    }

    [Fact]
    public async Task A_datagram_from_an_address_that_is_not_a_client_is_dropped()
    {
        await using var server = await RadiusTestServer.StartAsync(o =>
        {
            o.Clients.Clear();
            o.Clients.Add(new RadiusClientOptions { Address = "127.0.0.0/8", Secret = "other" });
            o.Clients.Add(new RadiusClientOptions { Address = "127.0.0.7", Secret = RadiusTestServer.Secret });
        });
        using var stranger = RadiusTestServer.Client("127.0.0.8");
        using var known = RadiusTestServer.Client("127.0.0.7");

        // 127.0.0.8 falls in the /8 whose secret is "other", so its packet fails authentication; 127.0.0.7 matches exactly.
        await stranger.SendAsync(Request(4), server.EndPoint, TestContext.Current.CancellationToken);
        await server.WaitForCountAsync(RadiusMetrics.BadAuthenticator, 1);
        await known.SendAsync(Request(5), server.EndPoint, TestContext.Current.CancellationToken);
        AssertResponseTo(Request(5), await ReceiveAsync(known));

        await using var narrow = await RadiusTestServer.StartAsync(o =>
        {
            o.Clients.Clear();
            o.Clients.Add(new RadiusClientOptions { Address = "127.0.0.2", Secret = RadiusTestServer.Secret });
        });
        using var other = RadiusTestServer.Client("127.0.0.1");
        await other.SendAsync(Request(6), narrow.EndPoint, TestContext.Current.CancellationToken);
        await narrow.WaitForCountAsync(RadiusMetrics.UnknownClient, 1);
        Assert.Null(await ReceiveAsync(other, 0.3));
        Assert.Empty(narrow.Sink.Calls);
    }

    [Fact]
    public async Task A_flood_of_garbage_from_an_allowed_client_writes_a_few_lines_but_counts_every_packet()
    {
        var log = new Infrastructure.ListLogger<RadiusAccountingListener>();
        await using var server = await RadiusTestServer.StartAsync(logger: log);
        using var client = RadiusTestServer.Client();
        var random = new Random(15);
        long Counted() => server.Count(RadiusMetrics.Malformed) + server.Count(RadiusMetrics.BadAuthenticator);

        // In batches the socket's receive queue can hold, so that the kernel drops none of them. Random bytes are
        // mostly malformed; some parse and then fail the authenticator. Every one is counted.
        for (var batch = 1; batch <= 6; batch++)
        {
            for (var i = 0; i < 50; i++)
            {
                var junk = new byte[random.Next(1, 60)];
                random.NextBytes(junk);
                junk[0] = 4;
                await client.SendAsync(junk, server.EndPoint, TestContext.Current.CancellationToken);
            }

            var deadline = DateTime.UtcNow.AddSeconds(5);
            while (Counted() < batch * 50 && DateTime.UtcNow < deadline)
            {
                await Task.Delay(10, TestContext.Current.CancellationToken);
            }

            Assert.Equal(batch * 50, Counted());
        }

        var dropped = log.Lines.Where(static l => l.StartsWith("RADIUS accounting: dropped", StringComparison.Ordinal)).ToList();
        Assert.Equal(Gateway.Diagnostics.LogRateLimiter.DefaultPerSource, dropped.Count);

        // A valid request from the same client is still served at once.
        var request = Request(9);
        await client.SendAsync(request, server.EndPoint, TestContext.Current.CancellationToken);
        AssertResponseTo(request, await ReceiveAsync(client));
    }

    [Fact]
    public async Task Malformed_packets_and_wrong_codes_are_dropped_and_the_listener_keeps_serving()
    {
        await using var server = await RadiusTestServer.StartAsync();
        using var client = RadiusTestServer.Client();
        var accessRequest = Request(7);
        accessRequest[0] = (byte)RadiusCode.AccessRequest;
        var noStatus = new byte[64];
        var noStatusLength = new RadiusPacketWriter(noStatus, RadiusCode.AccountingRequest, 8).FinishAccountingRequest(s_secret);

        foreach (var bad in new[] { new byte[] { 4, 1, 0 }, Convert.FromHexString("04010016" + new string('0', 32) + "2801"), accessRequest, noStatus[..noStatusLength], new byte[5000] })
        {
            await client.SendAsync(bad, server.EndPoint, TestContext.Current.CancellationToken);
        }

        await server.WaitForCountAsync(RadiusMetrics.Malformed, 5);
        var good = Request(9);
        await client.SendAsync(good, server.EndPoint, TestContext.Current.CancellationToken);
        AssertResponseTo(good, await ReceiveAsync(client));
        Assert.Single(server.Sink.Calls);
    }

    [Fact]
    public async Task A_bad_authenticator_is_dropped()
    {
        await using var server = await RadiusTestServer.StartAsync();
        using var client = RadiusTestServer.Client();
        var tampered = Request(10);
        tampered[^1] ^= 0x01;

        await client.SendAsync(tampered, server.EndPoint, TestContext.Current.CancellationToken);
        await client.SendAsync(Request(11, secret: "wrong"u8.ToArray()), server.EndPoint, TestContext.Current.CancellationToken);

        await server.WaitForCountAsync(RadiusMetrics.BadAuthenticator, 2);
        Assert.Null(await ReceiveAsync(client, 0.3));
        Assert.Empty(server.Sink.Calls);
    }

    [Fact]
    public async Task A_slow_sink_fills_the_queue_and_further_requests_are_refused_without_blocking_reception()
    {
        await using var server = await RadiusTestServer.StartAsync(o =>
        {
            o.QueueCapacity = 1;
            o.Concurrency = 1;
        });
        var release = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        server.Sink.Answer = (_, _) => new ValueTask<bool>(release.Task);
        using var client = RadiusTestServer.Client();

        await client.SendAsync(Request(20), server.EndPoint, TestContext.Current.CancellationToken);
        await server.Sink.WaitForCallsAsync(1);
        await client.SendAsync(Request(21), server.EndPoint, TestContext.Current.CancellationToken);
        await client.SendAsync(Request(22), server.EndPoint, TestContext.Current.CancellationToken);
        await server.WaitForCountAsync(RadiusMetrics.Overloaded, 1);

        // Reception still works while the sink is stuck: garbage is still classified at once.
        await client.SendAsync(new byte[] { 1 }, server.EndPoint, TestContext.Current.CancellationToken);
        await server.WaitForCountAsync(RadiusMetrics.Malformed, 1);

        release.SetResult(true);
        var answered = new[] { await ReceiveAsync(client), await ReceiveAsync(client) };
        Assert.Equal([20, 21], answered.Select(r => (int)r![1]).Order());
        Assert.Equal(2, server.Sink.Calls.Count);

        // The refused request was not remembered: its retransmission is handled afresh.
        await client.SendAsync(Request(22), server.EndPoint, TestContext.Current.CancellationToken);
        AssertResponseTo(Request(22), await ReceiveAsync(client));
    }

    [Fact]
    public async Task A_request_the_sink_failed_to_record_is_retried_on_retransmission()
    {
        await using var server = await RadiusTestServer.StartAsync();
        var answers = new Queue<bool>([false, true]);
        server.Sink.Answer = (_, _) => ValueTask.FromResult(answers.Dequeue());
        using var client = RadiusTestServer.Client();
        var request = Request(30);

        await client.SendAsync(request, server.EndPoint, TestContext.Current.CancellationToken);
        await server.WaitForCountAsync(RadiusMetrics.SinkFailed, 1);
        Assert.Null(await ReceiveAsync(client, 0.3));
        await client.SendAsync(request, server.EndPoint, TestContext.Current.CancellationToken);

        AssertResponseTo(request, await ReceiveAsync(client));
        Assert.Equal(2, server.Sink.Calls.Count);
    }

    [Fact]
    public async Task A_sink_that_throws_or_hangs_counts_as_not_recorded()
    {
        await using var server = await RadiusTestServer.StartAsync(o => o.SinkTimeout = TimeSpan.FromMilliseconds(200));
        server.Sink.Answer = (e, ct) => e.Imsi == "1"
            ? throw new InvalidOperationException("store down")
            : new ValueTask<bool>(new TaskCompletionSource<bool>().Task);
        using var client = RadiusTestServer.Client();

        await client.SendAsync(Request(40, imsi: "1"), server.EndPoint, TestContext.Current.CancellationToken);
        await client.SendAsync(Request(41, imsi: "2"), server.EndPoint, TestContext.Current.CancellationToken);

        await server.WaitForCountAsync(RadiusMetrics.SinkFailed, 2);
        Assert.Null(await ReceiveAsync(client, 0.3));
    }
}
