using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Gateway.Adapters.Tests.Kafka;
using Gateway.Framing;
using Gateway.Tests.Admin;
using Gateway.Tests.Beam;

namespace Gateway.Tests.Funnel;

/// <summary>
/// Funnel end to end through the unified port (23080) of a running gateway: socat and raw sockets bound to 127.0.0.N
/// identities, the Kafka mock cluster read back by a real consumer, a webhook verifying SORACOM's signature, a Beam
/// upstream for the Beam+Funnel groups, and the per-address service binding.
/// </summary>
public sealed partial class FunnelUnifiedPortTests : IAsyncLifetime
{
    private const string FunnelAddress = "127.0.0.151";
    private const string BeamAddress = "127.0.0.152";
    private const string Psk = FunnelRegistry.Psk;

    private readonly GatewayProcess _gateway = new();
    private MockKafka _kafka = null!;
    private TestWebhook _hook = null!;
    private RecordingUpstream _upstream = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _kafka = await MockKafka.StartAsync();
        _hook = await TestWebhook.StartAsync();
        _upstream = await RecordingUpstream.StartAsync();
        var path = Path.Combine(_gateway.DataDir, "seed.json");
        await File.WriteAllTextAsync(path, Seed(), Ct);
        await _gateway.StartAsync(
            "--registry", path,
            "--Gateway:Funnel:DeliveryTimeoutSeconds", "3",
            "--Gateway:Beam:UnifiedServiceAddresses:funnel", FunnelAddress,
            "--Gateway:Beam:UnifiedServiceAddresses:beam", BeamAddress);
    }

    public async ValueTask DisposeAsync()
    {
        await _gateway.DisposeAsync();
        await _kafka.DisposeAsync();
        await _hook.DisposeAsync();
        await _upstream.DisposeAsync();
    }

    private string Kafka(string topic) => $"kafka://{_kafka.Bootstrap}/{topic}";

    private static string FunnelTo(string provider, string url, string contentType, string extra = "") => $$"""
        "SoracomFunnel": { "enabled": true, "destination": { "provider": "{{provider}}", "service": "{{provider}}", "resourceUrl": "{{url}}" }, "contentType": "{{contentType}}"{{extra}} }
        """;

    private string BeamEntries(string path) => $$"""
        "SoracomBeam": {
          "udp://beam.soracom.io:23080": { "destination": "{{_upstream.BaseUri}}{{path}}", "enabled": true },
          "tcp://beam.soracom.io:23080": { "destination": "{{_upstream.BaseUri}}{{path}}", "enabled": true } }
        """;

    private string Seed() => $$"""
        {
          "credentials": [ { "credentialsId": "hook-psk", "type": "psk", "credentials": { "key": "{{Psk}}" } } ],
          "groups": [
            { "groupId": "g-json", "configuration": { {{FunnelTo("kafka", Kafka("fjson"), "json")}} } },
            { "groupId": "g-bf", "configuration": { {{FunnelTo("kafka", Kafka("fbf"), "application/x-soracom-bf-v1")}} } },
            { "groupId": "g-text", "configuration": { {{FunnelTo("kafka", Kafka("ftext"), "text")}} } },
            { "groupId": "g-bin", "configuration": { {{FunnelTo("kafka", Kafka("fbin"), "binary")}} } },
            { "groupId": "g-parse", "configuration": {
                "SoracomAir": { "binaryParserEnabled": true, "binaryParserFormat": "temp:0:int:16:/10" },
                {{FunnelTo("kafka", Kafka("fparse"), "json")}} } },
            { "groupId": "g-hook", "configuration": { {{FunnelTo("webhook", _hook.Url(), "json", ", \"credentialsId\": \"hook-psk\"")}} } },
            { "groupId": "g-both", "configuration": { {{BeamEntries("both")}}, {{FunnelTo("webhook", _hook.Url("/both"), "text")}} } },
            { "groupId": "g-down", "configuration": { {{BeamEntries("down")}}, {{FunnelTo("webhook", $"http://127.0.0.1:{GatewayProcess.ClosedPort()}/x", "text")}} } },
            { "groupId": "g-fmt", "configuration": { {{BeamEntries("fmt")}}, {{FunnelTo("webhook", _hook.Url("/fmt"), "text")}},
                "UnifiedEndpoint": { "response": { "format": "SoracomFunnel" } } } },
            { "groupId": "g-fmt-beam", "configuration": { {{BeamEntries("fmtb")}}, {{FunnelTo("webhook", _hook.Url("/fmtb"), "text")}},
                "UnifiedEndpoint": { "response": { "format": "SoracomBeam" } } } },
            { "groupId": "g-mixed", "configuration": { {{BeamEntries("mixed")}}, {{FunnelTo("webhook", _hook.Url("/mixed"), "application/x-soracom-bf-v1")}} } },
            { "groupId": "g-beam", "configuration": { {{BeamEntries("beam")}} } }
          ],
          "subscribers": [
            { "imsi": "440101234567141", "imei": "353000000000141", "groupId": "g-json", "ipAddress": "127.0.0.141" },
            { "imsi": "440101234567142", "groupId": "g-bf", "ipAddress": "127.0.0.142" },
            { "imsi": "440101234567143", "groupId": "g-text", "ipAddress": "127.0.0.143" },
            { "imsi": "440101234567144", "groupId": "g-bin", "ipAddress": "127.0.0.144" },
            { "imsi": "440101234567145", "groupId": "g-parse", "ipAddress": "127.0.0.145" },
            { "imsi": "440101234567146", "groupId": "g-hook", "ipAddress": "127.0.0.146" },
            { "imsi": "440101234567147", "groupId": "g-both", "ipAddress": "127.0.0.147" },
            { "imsi": "440101234567148", "groupId": "g-down", "ipAddress": "127.0.0.148" },
            { "imsi": "440101234567149", "groupId": "g-fmt", "ipAddress": "127.0.0.149" },
            { "imsi": "440101234567153", "groupId": "g-fmt-beam", "ipAddress": "127.0.0.153" },
            { "imsi": "440101234567154", "groupId": "g-mixed", "ipAddress": "127.0.0.154" },
            { "imsi": "440101234567150", "groupId": "g-beam", "ipAddress": "127.0.0.150" }
          ]
        }
        """;

    private string Udp(string source, string to = "127.0.0.1") => $"UDP:{to}:{_gateway.UnifiedPort},bind={source}";

    private string Tcp(string source, string to = "127.0.0.1") => $"TCP:{to}:{_gateway.UnifiedPort},bind={source}";

    private static async Task<string> SendAsync(string payload, string address) =>
        Encoding.UTF8.GetString(await Socat.RunAsync(Encoding.UTF8.GetBytes(payload), address, waitSeconds: address.StartsWith("UDP", StringComparison.Ordinal) ? 8 : 3));

    /// <summary>The envelope with its timestamp and messageId checked by shape and replaced by placeholders.</summary>
    private static string Shape(byte[] envelope)
    {
        var text = Encoding.UTF8.GetString(envelope);
        Assert.Matches(Envelope(), text);
        return Timestamp().Replace(MessageId().Replace(text, "\"messageId\":\"ID\""), "\"timestamp\":TS");
    }

    [GeneratedRegex("\"timestamp\":1[0-9]{12},.*\"messageId\":\"[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\"")]
    private static partial Regex Envelope();

    [GeneratedRegex("\"timestamp\":[0-9]+")]
    private static partial Regex Timestamp();

    [GeneratedRegex("\"messageId\":\"[^\"]+\"")]
    private static partial Regex MessageId();

    private string Expected(string topic, string protocol, string payloads, string imsi, string? imei = null) =>
        $$"""{"operatorId":"OP0000000000","destination":{"provider":"kafka","service":"kafka","resourceUrl":"{{Kafka(topic)}}"},"sourceProtocol":"{{protocol}}","payloads":{{payloads}},"timestamp":TS,"imsi":"{{imsi}}"{{(imei is null ? "" : $",\"imei\":\"{imei}\"")}},"messageId":"ID"}""";

    private List<Confluent.Kafka.ConsumeResult<string, byte[]>> Read(string topic, int count) =>
        KafkaReader.Read(_kafka.Bootstrap, topic, count, TimeSpan.FromSeconds(60));

    [Fact]
    public async Task Json_over_udp_and_tcp_reaches_kafka_as_the_exact_envelope_keyed_by_imsi()
    {
        Assert.Equal("200", await SendAsync("{\"t\": 1}", Udp("127.0.0.141")));
        Assert.Equal("200", await SendAsync("{\"t\":2}", Tcp("127.0.0.141")));

        var records = Read("fjson", 2).OrderBy(static r => Encoding.UTF8.GetString(r.Message.Value).Contains("\"udp\"", StringComparison.Ordinal) ? 0 : 1).ToList();
        Assert.Equal(2, records.Count);
        Assert.Equal(Expected("fjson", "udp", "{\"t\":1}", "440101234567141", "353000000000141"), Shape(records[0].Message.Value));
        Assert.Equal(Expected("fjson", "tcp", "{\"t\":2}", "440101234567141", "353000000000141"), Shape(records[1].Message.Value));
        foreach (var r in records)
        {
            Assert.Equal("440101234567141", r.Message.Key);
            Assert.Equal("440101234567141", r.Header("imsi"));
            Assert.Equal("353000000000141", r.Header("imei"));
            Assert.Equal("application/json", r.Header("content-type"));
            Assert.Contains($"\"messageId\":\"{r.Header("message-id")}\"", Encoding.UTF8.GetString(r.Message.Value), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Binary_format_v1_frames_from_a_funnel_only_group_are_one_record_each()
    {
        using var client = new TcpClient(new IPEndPoint(IPAddress.Parse("127.0.0.142"), 0));
        await client.ConnectAsync(IPAddress.Loopback, _gateway.UnifiedPort, Ct);
        var stream = client.GetStream();
        var frames = BinaryFormatV1.Encode([1, 2, 3, 4, 5, 6]).Concat(BinaryFormatV1.Encode([7])).ToArray();
        await stream.WriteAsync(frames.AsMemory(0, 4), Ct);
        await stream.FlushAsync(Ct);
        await Task.Delay(200, Ct);
        await stream.WriteAsync(frames.AsMemory(4), Ct);

        Assert.Equal("200200", await ReadAsync(stream, 6));
        var records = Read("fbf", 2).Select(static r => Encoding.UTF8.GetString(r.Message.Value)).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(2, records.Count);
        Assert.Contains("\"sourceProtocol\":\"tcp\",\"payloads\":\"AQIDBAUG\",", records[0], StringComparison.Ordinal);
        Assert.Contains("\"sourceProtocol\":\"tcp\",\"payloads\":\"Bw==\",", records[1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Funnel_framed_and_beam_not_frames_the_connection_for_both()
    {
        using var client = new TcpClient(new IPEndPoint(IPAddress.Parse("127.0.0.154"), 0));
        await client.ConnectAsync(IPAddress.Loopback, _gateway.UnifiedPort, Ct);
        var stream = client.GetStream();
        await stream.WriteAsync(BinaryFormatV1.Encode("abc"u8.ToArray()), Ct);

        Assert.Equal("200 {\"result\":\"ok\",\"detail\":{\"beam\":{\"statusCode\":200,\"body\":\"pong\"},\"funnel\":{\"statusCode\":200,\"body\":\"\"}}}\n",
            await ReadAsync(stream, "200 {\"result\":\"ok\",\"detail\":{\"beam\":{\"statusCode\":200,\"body\":\"pong\"},\"funnel\":{\"statusCode\":200,\"body\":\"\"}}}\n".Length));
        Assert.Equal("{\"payload\":\"YWJj\"}", _upstream.Requests.Single(static r => r.Path == "/mixed").Body);
        Assert.Contains("\"payloads\":\"YWJj\"", _hook.Requests.Single(static r => r.Path == "/mixed").Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Text_binary_and_parser_payloads()
    {
        Assert.Equal("200", await SendAsync("héllo \"x\"", Udp("127.0.0.143")));
        Assert.Equal(Expected("ftext", "udp", "\"héllo \\\"x\\\"\"", "440101234567143"), Shape(Read("ftext", 1).Single().Message.Value));

        Assert.Equal("200", await SendAsync("abc", Tcp("127.0.0.144")));
        Assert.Equal(Expected("fbin", "tcp", "\"YWJj\"", "440101234567144"), Shape(Read("fbin", 1).Single().Message.Value));

        var reply = await Socat.RunAsync([0x00, 0xFB], Udp("127.0.0.145"), waitSeconds: 8);
        Assert.Equal("200", Encoding.UTF8.GetString(reply));
        Assert.Equal(Expected("fparse", "udp", "{\"temp\":25.1,\"binaryParserEnabled\":true}", "440101234567145"), Shape(Read("fparse", 1).Single().Message.Value));
    }

    [Fact]
    public async Task Invalid_json_is_refused_on_udp_and_the_tcp_connection_is_closed_after_it()
    {
        Assert.Equal("400 Invalid JSON is send to funnel.", await SendAsync("{not json", Udp("127.0.0.141")));

        using var client = new TcpClient(new IPEndPoint(IPAddress.Parse("127.0.0.141"), 0));
        await client.ConnectAsync(IPAddress.Loopback, _gateway.UnifiedPort, Ct);
        var stream = client.GetStream();
        await stream.WriteAsync("{not json"u8.ToArray(), Ct);
        Assert.Equal("400 Invalid JSON is send to funnel.", await ReadAsync(stream, int.MaxValue));
    }

    [Fact]
    public async Task Webhook_gets_the_signed_envelope_over_udp_and_tcp()
    {
        Assert.Equal("200", await SendAsync("{\"v\":1}", Udp("127.0.0.146")));
        Assert.Equal("200", await SendAsync("{\"v\":2}", Tcp("127.0.0.146")));

        var requests = _hook.Requests.Where(static r => r.Path == "/hook").ToList();
        Assert.Equal(2, requests.Count);
        foreach (var r in requests)
        {
            Assert.True(r.Signature is { IsValid: true }, r.Signature?.Reason);
            Assert.Equal("440101234567146", r.Headers["x-soracom-imsi"]);
            Assert.Matches("^\\{\"credentialsId\":\"hook-psk\",\"operatorId\":\"OP0000000000\",\"destination\":\\{\"provider\":\"webhook\",\"service\":\"webhook\",\"resourceUrl\":\"[^\"]+/hook\"\\},\"sourceProtocol\":\"(udp|tcp)\",\"payloads\":\\{\"v\":[12]\\},\"timestamp\":1[0-9]{12},\"imsi\":\"440101234567146\",\"messageId\":\"[0-9a-f-]{36}\"\\}$", r.Text);
        }
    }

    [Fact]
    public async Task Beam_and_funnel_together_answer_in_the_unified_form()
    {
        Assert.Equal("200 {\"result\":\"ok\",\"detail\":{\"beam\":{\"statusCode\":200,\"body\":\"pong\"},\"funnel\":{\"statusCode\":200,\"body\":\"\"}}}",
            await SendAsync("hi", Udp("127.0.0.147")));
        Assert.Equal("200 {\"result\":\"ok\",\"detail\":{\"beam\":{\"statusCode\":200,\"body\":\"pong\"},\"funnel\":{\"statusCode\":200,\"body\":\"\"}}}\n",
            await SendAsync("hi", Tcp("127.0.0.147")));
        Assert.Equal(2, _hook.Requests.Count(static r => r.Path == "/both"));
        Assert.Equal(2, _upstream.Requests.Count(static r => r.Path == "/both"));
    }

    [Fact]
    public async Task Beam_and_funnel_with_funnel_down_answer_207_ng()
    {
        var udp = await SendAsync("hi", Udp("127.0.0.148"));
        Assert.Matches("^207 \\{\"result\":\"ng\",\"detail\":\\{\"beam\":\\{\"statusCode\":200,\"body\":\"pong\"\\},\"funnel\":\\{\"statusCode\":5[0-9][0-9],\"body\":\"[^\"]+\"\\}\\}\\}$", udp);
        var tcp = await SendAsync("hi", Tcp("127.0.0.148"));
        Assert.Matches("^207 \\{\"result\":\"ng\",\"detail\":\\{\"beam\":\\{\"statusCode\":200,\"body\":\"pong\"\\},\"funnel\":\\{\"statusCode\":5[0-9][0-9],\"body\":\"[^\"]+\"\\}\\}\\}\n$", tcp);
        Assert.Equal(2, _upstream.Requests.Count(static r => r.Path == "/down"));
    }

    [Fact]
    public async Task A_response_format_naming_one_service_gives_that_reply_only()
    {
        Assert.Equal("200", await SendAsync("hi", Udp("127.0.0.149")));
        Assert.Equal("200", await SendAsync("hi", Tcp("127.0.0.149")));
        Assert.Equal(2, _upstream.Requests.Count(static r => r.Path == "/fmt"));
        Assert.Equal(2, _hook.Requests.Count(static r => r.Path == "/fmt"));

        Assert.Equal("200 pong", await SendAsync("hi", Udp("127.0.0.153")));
        Assert.Equal("200 pong\n", await SendAsync("hi", Tcp("127.0.0.153")));
        Assert.Equal(2, _hook.Requests.Count(static r => r.Path == "/fmtb"));
    }

    [Fact]
    public async Task Each_service_address_gets_that_service_only()
    {
        Assert.Equal("200", await SendAsync("a", Udp("127.0.0.147", FunnelAddress)));
        Assert.Equal("200", await SendAsync("b", Tcp("127.0.0.147", FunnelAddress)));
        Assert.Equal(0, _upstream.Requests.Count(static r => r.Path == "/both"));
        Assert.Equal(2, _hook.Requests.Count(static r => r.Path == "/both"));

        Assert.Equal("200 pong", await SendAsync("c", Udp("127.0.0.147", BeamAddress)));
        Assert.Equal("200 pong\n", await SendAsync("d", Tcp("127.0.0.147", BeamAddress)));
        Assert.Equal(2, _upstream.Requests.Count(static r => r.Path == "/both"));
        Assert.Equal(2, _hook.Requests.Count(static r => r.Path == "/both"));

        Assert.StartsWith("200 {\"result\":\"ok\"", await SendAsync("e", Udp("127.0.0.147")), StringComparison.Ordinal);

        Assert.Equal("404 Funnel is not enabled for this device's group", await SendAsync("f", Udp("127.0.0.150", FunnelAddress)));
        Assert.StartsWith("404 Funnel is not enabled for this device's group", await SendAsync("g", Tcp("127.0.0.150", FunnelAddress)), StringComparison.Ordinal);
        Assert.Equal(0, _upstream.Requests.Count(static r => r.Path == "/beam"));

        // A Funnel-only device at Beam's address gets Beam's refusal, and nothing is put into its stream.
        Assert.Equal("404 no Beam UDP entry for this device's group", await SendAsync("h", Udp("127.0.0.143", BeamAddress)));
        Assert.StartsWith("404 no Beam TCP entry for this device's group", await SendAsync("i", Tcp("127.0.0.143", BeamAddress)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Beam_only_group_answers_as_beam_does()
    {
        Assert.Equal("200 pong", await SendAsync("x", Udp("127.0.0.150")));
        Assert.Equal("200 pong\n", await SendAsync("x", Tcp("127.0.0.150")));
    }

    [Fact]
    public async Task A_record_the_broker_refuses_as_too_large_is_413_and_logged()
    {
        Assert.Equal("ok", await _kafka.CommandAsync("error 0 10"));
        Assert.Equal("413 kafka: the message is larger than the broker or topic accepts (MsgSizeTooLarge)", await SendAsync("{\"big\":1}", Udp("127.0.0.141")));

        using var admin = await _gateway.LoginAsync();
        var logs = JsonNode.Parse(await admin.GetStringAsync(_gateway.Url("/v1/logs?resource_type=Subscriber&resource_id=440101234567141&service=Funnel"), Ct))!.AsArray();
        var entry = Assert.Single(logs)!;
        Assert.Equal(413, (int)entry["body"]!["statusCode"]!);
        Assert.Equal("udp", (string)entry["body"]!["sourceProtocol"]!);
    }

    [Fact]
    public async Task Unknown_device_is_refused_with_403_on_udp_and_tcp()
    {
        using var refused = new BeamResultCounter("refused_unknown_device");
        Assert.Equal("403 device not recognised", await SendAsync("x", Udp("127.0.0.159")));
        Assert.StartsWith("403 device not recognised", await SendAsync("x", Tcp("127.0.0.159")), StringComparison.Ordinal);
        Assert.Equal("403 device not recognised", await SendAsync("x", Udp("127.0.0.159", FunnelAddress)));
        Assert.True(refused.Count >= 3, $"each refusal is counted: {refused.Count}");
    }

    /// <summary>Reads until <paramref name="length"/> bytes came or the gateway closed the connection.</summary>
    private static async Task<string> ReadAsync(NetworkStream stream, int length)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        var all = new List<byte>();
        var buffer = new byte[1024];
        while (all.Count < length)
        {
            var n = await stream.ReadAsync(buffer, timeout.Token);
            if (n == 0)
            {
                break;
            }

            all.AddRange(buffer.AsSpan(0, n));
        }

        return Encoding.UTF8.GetString([.. all]);
    }
}
