using System.Net;
using Gateway.Beam;
using Gateway.Registry;
using Gateway.Tests.Funnel;

namespace Gateway.Tests.Beam;

/// <summary>
/// <see cref="TcpFraming"/>: Binary Format v1 is asked for by Beam's TCP entry, Funnel's content type or the unified
/// endpoint's switch, each where its service is reached; the connection is framed when any of them asks.
/// </summary>
public sealed class TcpFramingTests
{
    private static string Beam(bool framed, string extra = "") =>
        "\"SoracomBeam\": { \"tcp://beam.soracom.io:23080\": { \"destination\": \"http://127.0.0.1:9/x\", \"enabled\": true"
        + (framed ? ", \"binaryFormatV1Enabled\": true" : "") + extra + " } }";

    private static string Funnel(string contentType, bool enabled = true) =>
        $"\"SoracomFunnel\": {FunnelRegistry.Funnel("http://127.0.0.1:9/hook", contentType, credentialsId: null, enabled: enabled)}";

    private static (DeviceIdentity Device, RegistrySnapshot Snapshot) Device(params string[] namespaces)
    {
        var seed = $$"""
            {
              "groups": [ { "groupId": "g", "configuration": { {{string.Join(", ", namespaces)}} } } ],
              "subscribers": [ { "imsi": "440101234567001", "groupId": "g", "ipAddress": "127.0.0.1" } ]
            }
            """;
        var snapshot = FunnelRegistry.Snapshot(seed);
        var resolver = new IdentityResolver();
        resolver.Publish(snapshot);
        return (resolver.ResolveAddress(IPAddress.Loopback), snapshot);
    }

    private static TcpFraming For(string? service, params string[] namespaces)
    {
        var (device, snapshot) = Device(namespaces);
        return TcpFraming.For(device, snapshot, service);
    }

    [Fact]
    public void Beam_alone_frames_as_before_with_its_end_of_data()
    {
        Assert.True(For(null, Beam(true)).BinaryFormatV1);
        Assert.Equal([0x0a], For(null, Beam(true)).EndOfData);
        Assert.False(For(null, Beam(false)).BinaryFormatV1);
        Assert.Equal([0x0d, 0x0a], For(null, Beam(false, ", \"eodBytes\": \"0d0a\"")).EndOfData);
        Assert.True(For("beam", Beam(true)).BinaryFormatV1);
    }

    [Theory]
    [InlineData("application/x-soracom-bf-v1", true, true)]
    [InlineData("application/x-soracom-bf-v1", false, false)]
    [InlineData("binary", true, false)]
    [InlineData("json", true, false)]
    public void Funnel_frames_with_its_bf_v1_content_type_when_enabled(string contentType, bool enabled, bool framed)
    {
        var framing = For(null, Funnel(contentType, enabled));
        Assert.Equal(framed, framing.BinaryFormatV1);
        Assert.Empty(framing.EndOfData);
        Assert.Equal(framed, For("funnel", Funnel(contentType, enabled)).BinaryFormatV1);
    }

    [Fact]
    public void When_the_services_disagree_the_connection_is_framed()
    {
        Assert.True(For(null, Beam(false), Funnel("application/x-soracom-bf-v1")).BinaryFormatV1);
        Assert.True(For(null, Beam(true), Funnel("json")).BinaryFormatV1);
        Assert.Equal([0x0a], For(null, Beam(false), Funnel("application/x-soracom-bf-v1")).EndOfData);
    }

    [Fact]
    public void A_service_address_takes_only_its_own_services_flag()
    {
        Assert.False(For("beam", Beam(false), Funnel("application/x-soracom-bf-v1")).BinaryFormatV1);
        Assert.False(For("funnel", Beam(true), Funnel("json")).BinaryFormatV1);
        Assert.Empty(For("funnel", Beam(true), Funnel("json")).EndOfData);
        Assert.False(For("funnel", Beam(false), "\"UnifiedEndpoint\": { \"binaryFormatV1Enabled\": true }").BinaryFormatV1);
    }

    [Fact]
    public void The_unified_endpoint_switch_frames_the_unified_address()
    {
        Assert.True(For(null, Beam(false), "\"UnifiedEndpoint\": { \"binaryFormatV1Enabled\": true }").BinaryFormatV1);
        Assert.False(For(null, Beam(false), "\"UnifiedEndpoint\": { \"binaryFormatV1Enabled\": false }").BinaryFormatV1);
    }
}
