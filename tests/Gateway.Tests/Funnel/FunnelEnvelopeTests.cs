using System.Buffers;
using System.Text;
using Gateway.Funnel;
using Gateway.Pipeline;
using Gateway.Registry;

namespace Gateway.Tests.Funnel;

/// <summary>The envelope's exact bytes for each content type and option.</summary>
public sealed class FunnelEnvelopeTests
{
    private const string Url = "https://hooks.example.com/in";
    private const string Head = """{"credentialsId":"hook-psk","operatorId":"OP0012345678","destination":{"provider":"webhook","service":"webhook","resourceUrl":"https://hooks.example.com/in"},"sourceProtocol":""" + "\"";
    private const string Tail = ""","timestamp":1653891795421,"imsi":"440101234567890","imei":"353000000000001","messageId":"m-1"}""";

    public static TheoryData<string, string, string?, string, string> Payloads => new()
    {
        { "json", "udp", null, """{ "a": 1, "b": [true, null], "s": "温度" }""", """{"a":1,"b":[true,null],"s":"温度"}""" },
        { "text", "udp", null, "temp=21.5 \"q\"", "\"temp=21.5 \\\"q\\\"\"" },
        { "text", "tcp", null, "温度 <x>", "\"温度 <x>\"" },
        { "binary", "udp", null, "AB", "\"QUI=\"" },
        { "application/x-soracom-bf-v1", "tcp", null, "hello", "\"aGVsbG8=\"" },
        { "unspecified", "http", "application/json; charset=utf-8", """{"a":1}""", """{"a":1}""" },
        { "unspecified", "http", "text/plain", "hi", "\"hi\"" },
        { "unspecified", "http", "application/xml", "<a/>", "\"<a/>\"" },
        { "unspecified", "http", "application/octet-stream", "hi", "\"aGk=\"" },
        { "unspecified", "udp", null, """{"a":1}""", "\"eyJhIjoxfQ==\"" },
        { "", "tcp", null, "hi", "\"aGk=\"" },
    };

    [Theory]
    [MemberData(nameof(Payloads))]
    public void Payloads_follow_the_content_type(string contentType, string protocolName, string? requestContentType, string payload, string expected)
    {
        var protocol = Enum.Parse<SourceProtocol>(protocolName, ignoreCase: true);
        var (config, device) = Load(FunnelRegistry.Funnel(Url, contentType));

        var envelope = Write(config, FunnelRegistry.Message(device, protocol, payload, contentType: requestContentType));

        Assert.Equal(Head + SourceProtocols.Name(protocol) + "\",\"payloads\":" + expected + Tail, envelope);
    }

    [Fact]
    public void Binary_parser_output_is_the_payloads_whatever_the_content_type()
    {
        var (config, device) = Load(FunnelRegistry.Funnel(Url, "text"));

        var envelope = Write(config, FunnelRegistry.Message(device, SourceProtocol.Udp, "\u0001", json: """{"binaryParserEnabled":true,"t":21}"""));

        Assert.Equal(Head + "udp\",\"payloads\":{\"binaryParserEnabled\":true,\"t\":21}" + Tail, envelope);
    }

    [Fact]
    public void Add_sim_id_adds_the_sim_id_after_the_imei()
    {
        var (config, device) = Load(FunnelRegistry.Funnel(Url, addSimId: true));

        var envelope = Write(config, FunnelRegistry.Message(device, SourceProtocol.Udp, "1"));

        Assert.Equal(Head + "udp\",\"payloads\":1" + Tail.Replace("\"messageId\"", "\"simId\":\"8981100024620429680\",\"messageId\"", StringComparison.Ordinal), envelope);
    }

    [Fact]
    public void An_unknown_imei_and_no_credentials_leave_their_keys_out()
    {
        var (config, device) = Load(FunnelRegistry.Funnel(Url, credentialsId: null), imei: "");

        var envelope = Write(config, FunnelRegistry.Message(device, SourceProtocol.Udp, "true"), credentialsId: null);

        Assert.Equal(
            """{"operatorId":"OP0012345678","destination":{"provider":"webhook","service":"webhook","resourceUrl":"https://hooks.example.com/in"},"sourceProtocol":"udp","payloads":true,"timestamp":1653891795421,"imsi":"440101234567890","messageId":"m-1"}""",
            envelope);
    }

    [Fact]
    public void Payloads_only_is_the_payloads_value_alone()
    {
        var (config, device) = Load(FunnelRegistry.Funnel(Url, destinationExtra: ", \"payloadsOnly\": true"));

        Assert.Equal("""{"t":1}""", Write(config, FunnelRegistry.Message(device, SourceProtocol.Udp, """{ "t" : 1 }""")));
    }

    [Fact]
    public void Destination_is_provider_service_resource_url_then_the_other_keys_as_configured()
    {
        const string funnel = """
            { "enabled": true, "contentType": "json",
              "destination": { "payloadsOnly": false, "resourceUrl": "https://hooks.example.com/#{imsi}", "timeoutSeconds": 2, "service": "webhook", "provider": "webhook" } }
            """;
        var (config, device) = Load(funnel);

        var envelope = Write(config, FunnelRegistry.Message(device, SourceProtocol.Lora, "{}"), credentialsId: null);

        Assert.StartsWith(
            """{"operatorId":"OP0012345678","destination":{"provider":"webhook","service":"webhook","resourceUrl":"https://hooks.example.com/#{imsi}","payloadsOnly":false,"timeoutSeconds":2},"sourceProtocol":"lora","payloads":{}""",
            envelope,
            StringComparison.Ordinal);
    }

    [Fact]
    public void An_anonymous_device_has_no_identity_keys()
    {
        var (config, device) = Load(FunnelRegistry.Funnel(Url));
        var anonymous = new DeviceIdentity(Subscriber.AnonymousIn(FunnelRegistry.GroupId), device.Group, null, RefusalReason.None);

        var envelope = Write(config, FunnelRegistry.Message(anonymous, SourceProtocol.Udp, "1"));

        Assert.EndsWith("\"payloads\":1,\"timestamp\":1653891795421,\"messageId\":\"m-1\"}", envelope, StringComparison.Ordinal);
    }

    [Fact]
    public void Invalid_json_writes_nothing_usable()
    {
        var (config, device) = Load(FunnelRegistry.Funnel(Url));

        Assert.False(FunnelEnvelope.TryWrite(new ArrayBufferWriter<byte>(), config, FunnelRegistry.Message(device, SourceProtocol.Udp, "{\"a\":"), "OP", null, "m"));
        Assert.False(FunnelEnvelope.TryWrite(new ArrayBufferWriter<byte>(), config, FunnelRegistry.Message(device, SourceProtocol.Udp, ""), "OP", null, "m"));
    }

    private static (FunnelGroupConfig Config, DeviceIdentity Device) Load(string funnel, string imei = FunnelRegistry.Imei)
    {
        var resolver = FunnelRegistry.Resolver(FunnelRegistry.Seed(funnel, imei));
        var device = FunnelRegistry.Device(resolver);
        return (FunnelGroupConfig.For(device.Group, resolver.Snapshot, FunnelAdapters.Known), device);
    }

    private static string Write(FunnelGroupConfig config, DeviceMessage message, string? credentialsId = FunnelRegistry.CredentialsId)
    {
        var buffer = new ArrayBufferWriter<byte>();
        Assert.True(FunnelEnvelope.TryWrite(buffer, config, message, "OP0012345678", credentialsId, "m-1"));
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
