using Gateway.Funnel;
using Gateway.Pipeline;
using Gateway.Registry;

namespace Gateway.Beam;

/// <summary>
/// How a TCP→HTTP connection is read and answered, decided once when the device connects: whether the device frames
/// its data with Soracom Binary Format v1, and the end-of-data bytes after the gateway's own replies on it. Framing is
/// asked for by any service the connection reaches: Beam's TCP entry (<c>binaryFormatV1Enabled</c>), Funnel's
/// <c>contentType: application/x-soracom-bf-v1</c>, and the group's <c>UnifiedEndpoint.binaryFormatV1Enabled</c> (on
/// the unified address only). The bytes on a connection are one stream, so framing applies to the connection: when
/// one service asks for it and another does not, every service gets the frames' bodies, one message per frame.
/// </summary>
/// <param name="BinaryFormatV1">Each Binary Format v1 frame is one message (else each read is).</param>
/// <param name="EndOfData">Bytes after a reply the gateway makes itself (a frame refused, the Unified form).</param>
internal readonly record struct TcpFraming(bool BinaryFormatV1, byte[] EndOfData)
{
    /// <summary>The framing for <paramref name="device"/> on the unified port; <paramref name="service"/> is the one service its address names, or null.</summary>
    public static TcpFraming For(DeviceIdentity device, RegistrySnapshot snapshot, string? service = null)
    {
        // Beam's entry counts where Beam is reached (the unified address, Beam's own); Funnel's likewise.
        var beam = service is null or "beam" ? BeamGroupConfig.For(device.Group, snapshot).TcpToHttp : null;
        var beamFramed = beam is { Enabled: true, BinaryFormatV1: true };
        var funnelFramed = service is null or "funnel" && FunnelGroupConfig.FramesTcp(device.Group);
        var unifiedFramed = service is null && UnifiedEndpointSettings.BinaryFormatV1(device.Group);
        return new TcpFraming(beamFramed || funnelFramed || unifiedFramed, beam is { Enabled: true } ? beam.EndOfData : []);
    }
}
