using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Gateway.Adapters.Tests.Kafka;
using Gateway.Tests.Beam;
using Gateway.Tests.Funnel;

namespace Gateway.Tests.Devices;

/// <summary>
/// Funnel end to end over the HTTP device listener of a running gateway: the real curl from 127.0.0.17N, the envelope
/// read back from the Kafka mock cluster by a Confluent consumer and received by a webhook that verifies SORACOM's
/// signature, and the refusals a device sees (invalid JSON, oversize, unknown device, destination down).
/// </summary>
public sealed class FunnelHttpEndToEndTests(FunnelPeersFixture f) : IClassFixture<FunnelPeersFixture>
{
    private string Url => $"http://127.0.0.1:{f.Gateway.DeviceHttpPort.ToString(CultureInfo.InvariantCulture)}/";

    private Task<(int Status, string Body, string Headers)> PostAsync(string from, string host, string contentType, params string[] body) =>
        Curl.RunAsync(from, ["-X", "POST", "-H", "Host: " + host, "-H", "Content-Type: " + contentType, .. body, Url]);

    public static TheoryData<string, string, string> Bodies => new()
    {
        // contentType "unspecified": the request's Content-Type says how to read the body (spec §3.3).
        { "application/json", """{ "temp": 21.5, "id": "json-kafka" }""", """{"temp":21.5,"id":"json-kafka"}""" },
        { "text/plain; charset=utf-8", "text-kafka 20°C", "\"text-kafka 20°C\"" },
        { "application/xml", """<m id="xml-kafka"/>""", "\"<m id=\\\"xml-kafka\\\"/>\"" },
    };

    [Theory]
    [MemberData(nameof(Bodies))]
    public async Task Funnel_host_answers_204_after_the_exact_envelope_is_in_Kafka(string contentType, string body, string payloads)
    {
        var marker = body.Contains("json-kafka", StringComparison.Ordinal) ? "json-kafka" : body.Contains("text-kafka", StringComparison.Ordinal) ? "text-kafka" : "xml-kafka";
        var before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

        var (status, reply, _) = await PostAsync(FunnelPeersFixture.KafkaDevice, "funnel.soracom.io", contentType, "--data-binary", body);

        Assert.Equal(204, status);
        Assert.Equal("", reply);
        var record = Assert.Single(f.Records(FunnelPeersFixture.Topic, marker));
        var value = Encoding.UTF8.GetString(record.Message.Value);
        var envelope = JsonNode.Parse(value)!.AsObject();
        Assert.Equal(FunnelPeersFixture.Envelope(f.KafkaDestination, "http", payloads, envelope, FunnelPeersFixture.KafkaIdentity), value);
        Assert.InRange((long)envelope["timestamp"]!, before, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        Assert.Equal(FunnelPeersFixture.KafkaImsi, record.Message.Key);
        Assert.Equal(FunnelPeersFixture.KafkaImsi, record.Header("imsi"));
        Assert.Equal(FunnelPeersFixture.KafkaImei, record.Header("imei"));
        Assert.Equal((string)envelope["messageId"]!, record.Header("message-id"));
        Assert.Equal((long)envelope["timestamp"]!, record.Message.Timestamp.UnixTimestampMs);
    }

    [Theory]
    [MemberData(nameof(Bodies))]
    public async Task Funnel_host_answers_204_after_the_webhook_received_the_signed_envelope(string contentType, string body, string payloads)
    {
        var (status, reply, _) = await PostAsync(FunnelPeersFixture.HookDevice, "funnel.soracom.io", contentType, "--data-binary", body);

        Assert.Equal(204, status);
        Assert.Equal("", reply);
        var request = Assert.Single(f.Hook.Requests, r => r.Text.Contains(payloads, StringComparison.Ordinal));
        Assert.True(request.Signature!.IsValid, request.Signature.Reason);
        Assert.Equal(FunnelPeersFixture.HookImsi, request.Signature.Identity!.Imsi);
        var envelope = JsonNode.Parse(request.Text)!.AsObject();
        var destination = $$"""{"provider":"webhook","service":"webhook","resourceUrl":"{{f.Hook.Url()}}"}""";
        var expected = FunnelPeersFixture.Envelope(destination, "http", payloads, envelope, $$"""
            "imsi":"{{FunnelPeersFixture.HookImsi}}","simId":"8981100000000000173"
            """).Replace("{\"operatorId\"", $"{{\"credentialsId\":\"{FunnelRegistry.CredentialsId}\",\"operatorId\"", StringComparison.Ordinal);
        Assert.Equal(expected, request.Text);
        Assert.Equal((string)envelope["messageId"]!, request.Headers["x-message-id"]);
    }

    [Fact]
    public async Task Invalid_JSON_with_contentType_json_is_400_and_never_reaches_Kafka()
    {
        var (status, reply, headers) = await PostAsync(FunnelPeersFixture.JsonDevice, "funnel.soracom.io", "application/json", "--data-binary", "{not json: invalid-json-1");
        var (okStatus, _, _) = await PostAsync(FunnelPeersFixture.JsonDevice, "funnel.soracom.io", "application/json", "--data-binary", """{"after":"invalid-json-1"}""");

        Assert.Equal(400, status);
        Assert.Equal("""{"message":"Invalid JSON is send to funnel."}""", reply);
        Assert.Contains("Content-Type: application/json", headers, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(204, okStatus);

        // The valid message after it is there, alone: the refused one was never produced.
        var record = Assert.Single(f.Records(FunnelPeersFixture.JsonTopic, "invalid-json-1"));
        Assert.Contains("\"payloads\":{\"after\":\"invalid-json-1\"}", Encoding.UTF8.GetString(record.Message.Value), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_body_of_800001_bytes_is_413_and_800000_bytes_are_delivered()
    {
        var dir = Directory.CreateTempSubdirectory("e2e-http-").FullName;
        try
        {
            var over = Path.Combine(dir, "over");
            var limit = Path.Combine(dir, "limit");
            await File.WriteAllTextAsync(over, "oversize-1" + new string('x', 800_001 - 10), TestContext.Current.CancellationToken);
            await File.WriteAllTextAsync(limit, "atlimit-1" + new string('y', 800_000 - 9), TestContext.Current.CancellationToken);

            var (status, reply, headers) = await PostAsync(FunnelPeersFixture.KafkaDevice, "funnel.soracom.io", "text/plain", "--data-binary", "@" + over);
            var (okStatus, _, _) = await PostAsync(FunnelPeersFixture.KafkaDevice, "funnel.soracom.io", "text/plain", "--data-binary", "@" + limit);

            Assert.Equal(413, status);
            Assert.Equal("Maximum content-length is: 800000", reply);
            Assert.Contains("Connection: close", headers, StringComparison.OrdinalIgnoreCase);
            Assert.Equal(204, okStatus);
            var read = f.ReadUntil(FunnelPeersFixture.Topic, "atlimit-1");
            var record = Assert.Single(read, r => FunnelPeersFixture.Has(r, "atlimit-1"));
            var payloads = (string)JsonNode.Parse(record.Message.Value)!["payloads"]!;
            Assert.Equal(800_000, payloads.Length);
            Assert.DoesNotContain(read, r => FunnelPeersFixture.Has(r, "oversize-1"));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task A_chunked_body_over_800000_bytes_is_413_and_not_delivered()
    {
        var dir = Directory.CreateTempSubdirectory("e2e-http-").FullName;
        try
        {
            var over = Path.Combine(dir, "over");
            await File.WriteAllTextAsync(over, "chunked-over-1" + new string('x', 900_000), TestContext.Current.CancellationToken);

            var (status, reply, _) = await PostAsync(FunnelPeersFixture.KafkaDevice, "funnel.soracom.io", "text/plain", "-H", "Transfer-Encoding: chunked", "--data-binary", "@" + over);
            var (okStatus, _, _) = await PostAsync(FunnelPeersFixture.KafkaDevice, "funnel.soracom.io", "text/plain", "-H", "Transfer-Encoding: chunked", "--data-binary", "chunked-ok-1");

            Assert.Equal(413, status);
            Assert.Equal("Maximum content-length is: 800000", reply);
            Assert.Equal(204, okStatus);
            Assert.DoesNotContain(f.ReadUntil(FunnelPeersFixture.Topic, "chunked-ok-1"), r => FunnelPeersFixture.Has(r, "chunked-over-1"));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task An_unknown_device_is_403_and_nothing_is_delivered()
    {
        var (status, reply, _) = await PostAsync(FunnelPeersFixture.Unknown, "funnel.soracom.io", "application/json",
            "-H", "X-Soracom-Imsi: " + FunnelPeersFixture.KafkaImsi, "--data-binary", """{"who":"unknown-device-1"}""");

        Assert.Equal(403, status);
        Assert.Equal("device not recognised\n", reply);

        // Had the header been trusted, the message would be in the claimed IMSI's partition, before this one.
        Assert.Equal(204, (await PostAsync(FunnelPeersFixture.KafkaDevice, "funnel.soracom.io", "text/plain", "--data-binary", "after-unknown-1")).Status);
        Assert.DoesNotContain(f.ReadUntil(FunnelPeersFixture.Topic, "after-unknown-1"), r => FunnelPeersFixture.Has(r, "unknown-device-1"));
    }

    [Theory]
    [InlineData("gateway.example.org")]
    [InlineData("uni.soracom.io")]
    public async Task Other_hosts_reach_Funnel_through_the_unified_endpoint(string host)
    {
        var marker = "unified-" + host;
        var (status, reply, _) = await PostAsync(FunnelPeersFixture.KafkaDevice, host, "text/plain", "--data-binary", marker);

        // Auto with one service: Funnel's own reply.
        Assert.Equal(204, status);
        Assert.Equal("", reply);
        var record = Assert.Single(f.Records(FunnelPeersFixture.Topic, marker));
        var envelope = JsonNode.Parse(record.Message.Value)!.AsObject();
        Assert.Equal(FunnelPeersFixture.Envelope(f.KafkaDestination, "http", $"\"{marker}\"", envelope, FunnelPeersFixture.KafkaIdentity),
            Encoding.UTF8.GetString(record.Message.Value));
    }

    [Fact]
    public async Task Beam_and_Funnel_at_uni_with_Funnel_down_answer_Funnels_failure_Beam_takes_no_HTTP_messages_here()
    {
        // Beam's HTTP messages go through its relay on :8888, so over this listener Funnel is the group's one service:
        // Auto answers with Funnel's own reply, and the Unified format lists Funnel alone, as "ng".
        var (auto, autoReply, autoHeaders) = await PostAsync(FunnelPeersFixture.BeamAutoDevice, "uni.soracom.io", "application/json", "--data-binary", """{"down":1}""");
        var (unified, unifiedReply, unifiedHeaders) = await PostAsync(FunnelPeersFixture.BeamUnifiedDevice, "uni.soracom.io", "application/json", "--data-binary", """{"down":2}""");

        Assert.Equal(502, auto);
        Assert.Matches("""^\{"message":"could not reach 127\.0\.0\.1:[0-9]+ \(ConnectionRefused\)"\}$""", autoReply);
        Assert.Contains("Content-Type: application/json", autoHeaders, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(207, unified);
        Assert.Matches("""^\{"result":"ng","detail":\{"funnel":\{"statusCode":502,"body":"could not reach 127\.0\.0\.1:[0-9]+ \(ConnectionRefused\)"\}\}\}$""", unifiedReply);
        Assert.Contains("Content-Type: application/json", unifiedHeaders, StringComparison.OrdinalIgnoreCase);
    }
}
