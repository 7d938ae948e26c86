using System.Net;
using Gateway.Registry;
using Microsoft.AspNetCore.Connections;

namespace Gateway.Beam;

/// <summary>
/// The start every TCP entry point shares: resolve the device from the connection's source address and pick its
/// group's entry; when it may not be served, tell it so in the entry point's own form (<c>403 …</c>, <c>404 …</c>),
/// log, count, and let the connection end.
/// </summary>
internal static partial class TcpAdmission
{
    public static async Task<(DeviceIdentity Device, BeamGroupConfig Config, BeamEntry Entry)?> AdmitAsync(
        ConnectionContext connection, IdentityResolver resolver, string entryPoint, Func<BeamGroupConfig, BeamEntry?> select, string noEntryReason, ILogger logger)
    {
        var remote = (connection.RemoteEndPoint as IPEndPoint)?.Address;
        var device = remote is null ? DeviceIdentity.Refused(RefusalReason.UnknownDevice) : resolver.ResolveAddress(remote);
        var output = connection.Transport.Output;
        if (!device.IsKnown)
        {
            LogRefused(logger, entryPoint, remote?.ToString() ?? "-", device.Refusal);
            BeamMetrics.Count(entryPoint, BeamMetrics.Refused(device.Refusal));
            await output.WriteAsync(DeviceReply.Refusal(403, "device not recognised", [0x0a]), CancellationToken.None);
            return null;
        }

        var config = BeamGroupConfig.For(device.Group, resolver.Snapshot);
        if (select(config) is not { Enabled: true } entry)
        {
            BeamMetrics.Count(entryPoint, "no_entry");
            await output.WriteAsync(DeviceReply.Refusal(404, noEntryReason, [0x0a]), CancellationToken.None);
            return null;
        }

        return (device, config, entry);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Beam {EntryPoint}: refused {Source} ({Refusal})")]
    private static partial void LogRefused(ILogger logger, string entryPoint, string source, RefusalReason refusal);
}
