using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using EventHubsPeer;
using Gateway.Adapters.Tests.Aws;

namespace Gateway.Tests.Failure;

/// <summary>
/// What the failure runs share: a few UDP devices in a closed loop, the set of payloads they were acknowledged, and
/// the count of acknowledged against received by message ID, with the assertions every run makes — nothing
/// acknowledged missing, duplicates bounded.
/// </summary>
internal static class LoadRun
{
    /// <summary>
    /// At-least-once allows duplicates, but a redelivery loop would show as many copies of the same message: no ID
    /// may arrive more often than this, and the duplicates together may not outnumber the distinct messages.
    /// </summary>
    public const int MaxCopiesPerMessage = 10;

    /// <summary>
    /// A free loopback TCP port below the kernel's ephemeral range, for a destination that is stopped and started
    /// again on the same port. A port inside the range can be taken while the destination is down: the gateway's
    /// connection attempts to it take their source ports from that range, and on loopback a connection from port P to
    /// the closed port P connects to itself (TCP simultaneous open), holding P — the restarted destination then cannot
    /// bind it, and the gateway reads its own request as the answer. A gateway killed and restarted is such a
    /// destination too (for the health checks polling its admin port). <paramref name="udpToo"/>: free for UDP as well.
    /// </summary>
    public static int RestartablePort(bool udpToo = false)
    {
        var low = 32768;
        var range = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        if (range.Length > 0 && int.TryParse(range[0], CultureInfo.InvariantCulture, out var first) && first > 3000)
        {
            low = first;
        }

        for (var i = 0; i < 1000; i++)
        {
            var port = Random.Shared.Next(Math.Max(2048, low - 12000), low);
            try
            {
                using var listener = new TcpListener(IPAddress.Loopback, port);
                listener.Start();
                using var udp = udpToo ? new UdpClient(new IPEndPoint(IPAddress.Loopback, port)) : null;
                return port;
            }
            catch (SocketException)
            {
                // taken: another
            }
        }

        throw new InvalidOperationException($"no free loopback port below {low}");
    }

    /// <summary>The registry's credential set <c>aws-1</c>: the key the AWS peers (kinesalite, <see cref="FakeAws"/>) take.</summary>
    public static string AwsCredentials { get; } =
        $$"""{ "credentialsId": "aws-1", "type": "aws-credentials", "credentials": { "accessKeyId": "{{TestKeys.AccessKeyId}}", "secretAccessKey": "{{TestKeys.Secret}}" } }""";

    private const string EventHubsPolicy = "gateway-send";

    /// <summary>A made-up key in Azure's shape (44 Base64 characters).</summary>
    private const string EventHubsKey = "ZmFpbHVyZS1ydW4ta2V5LW5vdC1hLXJlYWwtc2VjMDE=";

    /// <summary>The registry's credential set <c>eh-1</c>, whose policy and key <see cref="EventHubs"/> takes.</summary>
    public static string EventHubsCredentials { get; } =
        $$"""{ "credentialsId": "eh-1", "type": "azure-credentials", "credentials": { "policyName": "{{EventHubsPolicy}}", "key": "{{EventHubsKey}}" } }""";

    /// <summary>Event Hubs' local AMQP peer with one hub, started on a <see cref="RestartablePort"/>.</summary>
    public static LocalEventHubs EventHubs(string hub)
    {
        var peer = new LocalEventHubs { KeyName = EventHubsPolicy, Key = EventHubsKey, Hubs = new HashSet<string>([hub]) };
        peer.Start(RestartablePort());
        return peer;
    }

    public static List<UdpDevice> Devices(IEnumerable<string> addresses, int port, string prefix) =>
        [.. addresses.Select((d, i) => new UdpDevice(d, port, $"{prefix}{i}"))];

    public static List<Task> Start(List<UdpDevice> devices, CancellationToken stop) => [.. devices.Select(d => d.RunAsync(1_000_000, stop))];

    public static HashSet<string> Acknowledged(IEnumerable<UdpDevice> devices) => devices.SelectMany(static d => d.Acknowledged).ToHashSet();

    /// <summary>The device's payload inside a Funnel envelope (<c>contentType: text</c>).</summary>
    public static string Payload(ReadOnlySpan<byte> envelope) => (string)JsonNode.Parse(envelope)!["payloads"]!;

    /// <summary>The envelope's message ID and the device's payload.</summary>
    public static (string Id, string Payload) Envelope(ReadOnlySpan<byte> envelope)
    {
        var json = JsonNode.Parse(envelope)!;
        return ((string)json["messageId"]!, (string)json["payloads"]!);
    }

    /// <summary>Waits until every acknowledged payload is among what <paramref name="received"/> returns (or two minutes pass).</summary>
    public static async Task<List<(string Id, string Payload)>> AwaitAllAsync(
        HashSet<string> acknowledged, Func<Task<List<(string Id, string Payload)>>> received, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.StartNew();
        List<(string Id, string Payload)> got;
        do
        {
            await Task.Delay(200, cancellationToken);
            got = await received();
        }
        while (!acknowledged.IsSubsetOf(got.Select(static g => g.Payload)) && deadline.Elapsed < TimeSpan.FromMinutes(2));

        return got;
    }

    /// <summary>Prints the run's counts, then asserts that nothing acknowledged is missing and that duplicates are bounded.</summary>
    public static void Report(ITestOutputHelper output, string name, HashSet<string> acknowledged, List<(string Id, string Payload)> got, List<UdpDevice> devices)
    {
        var missing = acknowledged.Except(got.Select(static g => g.Payload)).ToList();
        var copies = got.GroupBy(static g => g.Id).Select(static g => g.Count()).DefaultIfEmpty(0).Max();
        var distinct = got.Select(static g => g.Id).Distinct().Count();
        var refusals = string.Join("; ", devices.SelectMany(static d => d.Refusals).GroupBy(static r => r.Key)
            .Select(static g => $"{g.Sum(static r => r.Value)}× \"{g.Key.TrimEnd()}\""));
        output.WriteLine($"{name}: acknowledged {acknowledged.Count}, refused {devices.Sum(static d => d.Refused)}, unanswered {devices.Sum(static d => d.Unanswered)}, "
            + $"received {got.Count} ({distinct} distinct message IDs, {got.Count - distinct} duplicates, at most {copies} copies of one), missing {missing.Count}"
            + (refusals.Length > 0 ? $"; refusals: {refusals}" : ""));
        Assert.Empty(missing);
        Assert.True(copies <= MaxCopiesPerMessage, $"{name}: one message arrived {copies} times");
        Assert.True(got.Count - distinct <= distinct, $"{name}: {got.Count - distinct} duplicates of {distinct} messages");
    }
}
