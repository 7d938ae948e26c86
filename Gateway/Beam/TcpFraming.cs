using Gateway.Registry;

namespace Gateway.Beam;

/// <summary>
/// How a TCP→HTTP connection is read and answered, decided once when the device connects: whether the device frames
/// its data with Soracom Binary Format v1, and the end-of-data bytes after the gateway's own replies on it. The one
/// place that decision is made: the flags of further services (Funnel's <c>application/x-soracom-bf-v1</c>, the
/// unified endpoint's) join here.
/// </summary>
/// <param name="BinaryFormatV1">Each Binary Format v1 frame is one message (else each read is).</param>
/// <param name="EndOfData">Bytes after a reply the gateway makes itself (a frame refused, the Unified form).</param>
internal readonly record struct TcpFraming(bool BinaryFormatV1, byte[] EndOfData)
{
    public static TcpFraming For(DeviceIdentity device, RegistrySnapshot snapshot) =>
        BeamGroupConfig.For(device.Group, snapshot).TcpToHttp is { Enabled: true } beam
            ? new TcpFraming(beam.BinaryFormatV1, beam.EndOfData)
            : new TcpFraming(false, []);
}
