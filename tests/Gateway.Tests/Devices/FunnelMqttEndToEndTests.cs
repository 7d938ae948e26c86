using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Gateway.Tests.Beam;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace Gateway.Tests.Devices;

/// <summary>
/// Funnel end to end over the MQTT pipeline endpoint of a running gateway: mosquitto_pub 3.1.1 and 5 at QoS 0/1/2 and
/// MQTTnet over WebSocket, the exact envelope (with topic and QoS) read back from the Kafka mock; a destination down
/// until the delivery deadline (Kafka broker down, webhook answering 500) is a failure PUBACK on MQTT 5 and a closed
/// connection without PUBACK on 3.1.1, and the retry after the destination is back is delivered.
/// </summary>
public sealed class FunnelMqttEndToEndTests(FunnelPeersFixture f) : IClassFixture<FunnelPeersFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private string[] Target(string source) => ["-h", "127.0.0.1", "-p", f.Gateway.MqttPipelinePort.ToString(CultureInfo.InvariantCulture), "-A", source];

    private static string TopicMarker(string topic) => $"\"topic\":\"{topic}\"";

    private static string MqttTail(string topic, int qos) => $",\"topic\":\"{topic}\",\"qos\":{qos.ToString(CultureInfo.InvariantCulture)}";

    [Theory]
    [InlineData("mqttv311", 0)]
    [InlineData("mqttv311", 1)]
    [InlineData("mqttv311", 2)]
    [InlineData("mqttv5", 0)]
    [InlineData("mqttv5", 1)]
    [InlineData("mqttv5", 2)]
    public async Task Mosquitto_pub_delivers_the_exact_envelope_with_topic_and_qos(string version, int qos)
    {
        var topic = $"e2e/{version}/{qos.ToString(CultureInfo.InvariantCulture)}";
        const string payload = """{"temp":21.5}""";

        var (code, _, error) = await Mosquitto.RunAsync("mosquitto_pub",
            [.. Target(FunnelPeersFixture.KafkaDevice), "-V", version, "-q", qos.ToString(CultureInfo.InvariantCulture), "-i", $"e2e-{version}-{qos}", "-t", topic, "-m", payload]);

        Assert.True(code == 0, error);
        var record = Assert.Single(f.Records(FunnelPeersFixture.Topic, TopicMarker(topic)));
        var value = Encoding.UTF8.GetString(record.Message.Value);

        // contentType "unspecified" over MQTT: Base64 of the bytes (spec §3.3).
        var payloads = "\"" + Convert.ToBase64String(Encoding.UTF8.GetBytes(payload)) + "\"";
        Assert.Equal(FunnelPeersFixture.Envelope(f.KafkaDestination, "mqtt", payloads, JsonNode.Parse(value)!.AsObject(), FunnelPeersFixture.KafkaIdentity, MqttTail(topic, qos)), value);
        Assert.Equal(FunnelPeersFixture.KafkaImsi, record.Message.Key);
        Assert.Equal(FunnelPeersFixture.KafkaImsi, Gateway.Adapters.Tests.Kafka.KafkaReader.Header(record, "imsi"));
    }

    [Fact]
    public async Task Every_acknowledged_message_of_a_burst_is_in_Kafka()
    {
        const string topic = "e2e/burst";
        var (code, _, error) = await Mosquitto.RunAsync("mosquitto_pub",
            [.. Target(FunnelPeersFixture.KafkaDevice), "-V", "mqttv5", "-q", "1", "-i", "e2e-burst", "-t", topic, "-m", "burst", "--repeat", "100"]);

        Assert.True(code == 0, error);
        Assert.Equal(100, f.Records(FunnelPeersFixture.Topic, TopicMarker(topic), atLeast: 100).Count);
    }

    [Theory]
    [InlineData(4, "kafka", 1)]
    [InlineData(5, "kafka", 1)]
    [InlineData(4, "webhook", 1)]
    [InlineData(5, "webhook", 1)]
    [InlineData(4, "webhook", 2)]
    [InlineData(5, "kafka", 2)]
    public async Task A_destination_down_until_the_deadline_is_not_acknowledged_and_the_retry_is_delivered(byte level, string destination, int qos)
    {
        var ackType = qos == 1 ? (byte)0x40 : (byte)0x50;
        var kafka = destination == "kafka";
        var device = kafka ? FunnelPeersFixture.KafkaDevice : FunnelPeersFixture.FailingHookDevice;
        var topic = $"e2e/down/{destination}/{level.ToString(CultureInfo.InvariantCulture)}/{qos.ToString(CultureInfo.InvariantCulture)}";
        var payload = "down-" + topic;
        var clientId = $"down-{destination}-{level.ToString(CultureInfo.InvariantCulture)}-{qos.ToString(CultureInfo.InvariantCulture)}";
        await SetDownAsync(kafka, down: true);
        try
        {
            using var first = await MqttBytes.RawAsync(device, f.Gateway.MqttPipelinePort);
            await first.GetStream().WriteAsync(MqttBytes.Connect(clientId, level, clean: false), Ct);
            Assert.Equal(0x20, (await MqttBytes.ReadPacketAsync(first.GetStream()))![0]);
            await first.GetStream().WriteAsync(MqttBytes.Publish(topic, payload, qos, 21, level), Ct);

            var ack = await ReadAfterDeadlineAsync(first.GetStream());
            if (level == 5)
            {
                // PUBACK (PUBREC for QoS 2), packet 21, a failure reason code (0x80 and up), the failure as reason string.
                Assert.NotNull(ack);
                Assert.Equal(ackType, ack[0]);
                Assert.Equal("0015", Convert.ToHexString(ack, 2, 2));
                Assert.True(ack[4] >= 0x80, Convert.ToHexString(ack));
            }
            else
            {
                Assert.Null(ack);
            }
        }
        finally
        {
            await SetDownAsync(kafka, down: false);
        }

        var hookRequestsBefore = f.FailingHook.Requests.Count;
        using var retry = await MqttBytes.RawAsync(device, f.Gateway.MqttPipelinePort);
        await retry.GetStream().WriteAsync(MqttBytes.Connect(clientId, level, clean: false), Ct);
        Assert.Equal(0x20, (await MqttBytes.ReadPacketAsync(retry.GetStream()))![0]);
        await retry.GetStream().WriteAsync(MqttBytes.Publish(topic, payload, qos, 21, level, dup: true), Ct);

        Assert.Equal(Convert.ToHexString([ackType]) + "020015", Convert.ToHexString((await ReadAfterDeadlineAsync(retry.GetStream()))!));
        if (qos == 2)
        {
            await retry.GetStream().WriteAsync(new byte[] { 0x62, 0x02, 0x00, 0x15 }, Ct);
            Assert.Equal("70020015", Convert.ToHexString((await MqttBytes.ReadPacketAsync(retry.GetStream()))!));
        }

        if (kafka)
        {
            // At least once: librdkafka may still deliver the first attempt once the broker is back.
            var record = f.Records(FunnelPeersFixture.Topic, TopicMarker(topic))[^1];
            var value = Encoding.UTF8.GetString(record.Message.Value);
            var payloads = "\"" + Convert.ToBase64String(Encoding.UTF8.GetBytes(payload)) + "\"";
            Assert.Equal(FunnelPeersFixture.Envelope(f.KafkaDestination, "mqtt", payloads, JsonNode.Parse(value)!.AsObject(), FunnelPeersFixture.KafkaIdentity, MqttTail(topic, qos)), value);
        }
        else
        {
            Assert.Contains(f.FailingHook.Requests.Skip(hookRequestsBefore), r => r.Text.Contains($"\"payloads\":\"{payload}\"", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task MQTTnet_over_WebSocket_delivers_the_exact_envelope()
    {
        using var client = new MqttClientFactory().CreateMqttClient();
        var options = new MqttClientOptionsBuilder()
            .WithWebSocketServer(o => o.WithUri($"ws://127.0.0.1:{f.Gateway.DeviceHttpPort.ToString(CultureInfo.InvariantCulture)}/mqtt"))
            .WithProtocolVersion(MqttProtocolVersion.V500)
            .WithClientId("e2e-ws")
            .Build();
        await client.ConnectAsync(options, Ct);

        var result = await client.PublishAsync(new MqttApplicationMessageBuilder().WithTopic("e2e/ws").WithPayload("ws-e2e").WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build(), Ct);

        Assert.Equal(MqttClientPublishReasonCode.Success, result.ReasonCode);
        var record = Assert.Single(f.Records(FunnelPeersFixture.Topic, TopicMarker("e2e/ws")));
        var value = Encoding.UTF8.GetString(record.Message.Value);
        Assert.Equal(FunnelPeersFixture.Envelope(f.KafkaDestination, "mqtt", "\"" + Convert.ToBase64String("ws-e2e"u8) + "\"", JsonNode.Parse(value)!.AsObject(),
            $"\"imsi\":\"{FunnelPeersFixture.WebSocketImsi}\"", MqttTail("e2e/ws", 1)), value);
        await client.DisconnectAsync(cancellationToken: Ct);
    }

    private async Task SetDownAsync(bool kafka, bool down)
    {
        if (kafka)
        {
            Assert.Equal("ok", await f.Kafka.CommandAsync(down ? "down" : "up"));
        }
        else
        {
            f.FailingHook.FailWith = down ? 500 : null;
        }
    }

    /// <summary>One packet, or null when the connection ends; waits well past the gateway's 8-second delivery deadline.</summary>
    private static Task<byte[]?> ReadAfterDeadlineAsync(Stream stream) => MqttBytes.ReadPacketAsync(stream, TimeSpan.FromSeconds(60));
}
