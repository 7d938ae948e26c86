using System.Net;
using Gateway.Pipeline;
using Gateway.Registry;
using Microsoft.AspNetCore.Connections;

namespace Gateway.Beam;

/// <summary>
/// The start every TCP entry point shares: resolve the device from the connection's source address and check that
/// its group has something for it there (a Beam entry, or a service of the message pipeline); when it may not be
/// served, tell it so in the entry point's own form (<c>403 …</c>, <c>404 …</c>), log, count, and let the connection end.
/// </summary>
internal sealed partial class TcpAdmission(
    IdentityResolver resolver, Microsoft.Extensions.Options.IOptions<BeamOptions> options, ILogger<TcpAdmission> logger, Sessions.DeviceSessions? sessions = null)
    : IDisposable
{
    // Refusals are logged a few per source per window; the metrics count every one.
    private readonly Diagnostics.LogRateLimiter _refusals = new(logger, "TCP entry points: refused connections");

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, int> _open = new(StringComparer.Ordinal);
    private readonly int _maxPerDevice = options.Value.MaxConnectionsPerDevice;

    /// <summary>
    /// Admits a connection to one Beam entry (TCP→TCP, MQTT); the returned lease must be disposed when the connection
    /// ends. Null when the device was refused (the refusal has been written). <paramref name="refusal"/> turns a
    /// refusal (403 unknown device, 404 no entry, 503 too many connections) into the entry point's bytes; by default
    /// the <c>&lt;status&gt; &lt;reason&gt;</c> line.
    /// </summary>
    public async Task<(DeviceIdentity Device, BeamGroupConfig Config, BeamEntry Entry, IDisposable Lease)?> AdmitAsync(
        ConnectionContext connection, string entryPoint, Func<BeamGroupConfig, BeamEntry?> select, string noEntryReason,
        Func<int, string, byte[]>? refusal = null)
    {
        var admitted = await AdmitAsync(
            connection, entryPoint, static (device, s) => s.Select(BeamGroupConfig.For(device.Group, s.Resolver.Snapshot)) is { Enabled: true },
            (Resolver: resolver, Select: select), noEntryReason, refusal);
        if (admitted is not var (device, lease))
        {
            return null;
        }

        // The same compiled object as the check above: it is cached per group object, which the identity holds.
        var config = BeamGroupConfig.For(device.Group, resolver.Snapshot);
        return (device, config, select(config)!, lease);
    }

    /// <summary>
    /// Admits a connection whose messages go through the pipeline (TCP→HTTP and the unified endpoint): the device
    /// must be one some service (or <paramref name="onlyService"/>) takes messages from over <paramref name="protocol"/>.
    /// </summary>
    public Task<(DeviceIdentity Device, IDisposable Lease)?> AdmitAsync(
        ConnectionContext connection, string entryPoint, MessagePipeline pipeline, SourceProtocol protocol, string noEntryReason,
        string? onlyService = null, Func<int, string, byte[]>? refusal = null) =>
        AdmitAsync(
            connection, entryPoint, static (device, s) => s.Pipeline.Serves(device, s.Protocol, s.OnlyService),
            (Pipeline: pipeline, Protocol: protocol, OnlyService: onlyService), noEntryReason, refusal);

    private async Task<(DeviceIdentity Device, IDisposable Lease)?> AdmitAsync<TState>(
        ConnectionContext connection, string entryPoint, Func<DeviceIdentity, TState, bool> serves, TState state, string noEntryReason,
        Func<int, string, byte[]>? refusal)
    {
        refusal ??= static (status, reason) => DeviceReply.Refusal(status, reason, [0x0a]);
        var remote = (connection.RemoteEndPoint as IPEndPoint)?.Address;
        var device = remote is null ? DeviceIdentity.Refused(RefusalReason.UnknownDevice) : resolver.ResolveAddress(remote);
        var output = connection.Transport.Output;
        if (!device.IsKnown)
        {
            if (_refusals.Allow(remote))
            {
                LogRefused(logger, entryPoint, remote?.ToString() ?? "-", device.Refusal);
            }

            BeamMetrics.Count(entryPoint, BeamMetrics.Refused(device.Refusal));
            await output.WriteAsync(refusal(403, "device not recognised"), CancellationToken.None);
            return null;
        }

        if (!serves(device, state))
        {
            if (_refusals.Allow(remote))
            {
                LogNoEntry(logger, entryPoint, remote!.ToString(), device.Label);
            }

            BeamMetrics.Count(entryPoint, "no_entry");
            await output.WriteAsync(refusal(404, noEntryReason), CancellationToken.None);
            return null;
        }

        // One device must not be able to take every connection the process has. Anonymous devices (a group's
        // range) have no IMSI, so each source address counts as one device.
        var imsi = device.Subscriber!.IsAnonymous ? "@" + remote!.ToString() : device.Subscriber.Imsi;
        if (_open.AddOrUpdate(imsi, 1, static (_, n) => n + 1) > _maxPerDevice)
        {
            Release(imsi);
            if (_refusals.Allow(remote))
            {
                LogTooMany(logger, entryPoint, remote!.ToString(), device.Label, _maxPerDevice);
            }

            BeamMetrics.Count(entryPoint, "too_many_connections");
            await output.WriteAsync(refusal(503, "too many connections from this device"), CancellationToken.None);
            return null;
        }

        // An admitted connection keeps its device online until it ends (anonymous devices are not tracked).
        sessions?.Connected(device.Subscriber.Imsi);
        return (device, new Lease(this, imsi));
    }

    public void Dispose() => _refusals.Dispose();

    private void Close(string imsi)
    {
        Release(imsi);
        if (imsi[0] != '@')
        {
            sessions?.Disconnected(imsi);
        }
    }

    private void Release(string imsi)
    {
        if (_open.AddOrUpdate(imsi, 0, static (_, n) => n - 1) <= 0)
        {
            _open.TryRemove(new KeyValuePair<string, int>(imsi, 0));
        }
    }

    private sealed class Lease(TcpAdmission owner, string imsi) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                owner.Close(imsi);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Beam {EntryPoint}: refused {Source} ({Refusal})")]
    private static partial void LogRefused(ILogger logger, string entryPoint, string source, RefusalReason refusal);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Beam {EntryPoint}: refused {Source} ({Device}): no enabled entry for its group")]
    private static partial void LogNoEntry(ILogger logger, string entryPoint, string source, string device);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Beam {EntryPoint}: refused {Source} ({Device}): already {Limit} connections open")]
    private static partial void LogTooMany(ILogger logger, string entryPoint, string source, string device, int limit);
}
