using System.Net;
using MQTTnet.Formatter;

namespace Gateway.Devices;

/// <summary>
/// What the MQTT endpoint knows about one client ID's live connection, taken from the network at CONNECT: where it
/// comes from (identity is resolved again from this address for every PUBLISH, so registry changes apply at once),
/// which protocol version it speaks (how a failure is answered), and which device owns the client ID. A class, not a
/// record: two connections are never the same one, however alike (the registration is removed by reference).
/// </summary>
internal sealed class MqttDeviceConnection(IPEndPoint source, MqttProtocolVersion version, string entryPoint, string owner)
{
    // Created only when someone waits (a reconnect under the same client ID): every idle connection would otherwise
    // hold a completion source and its task, ≈ 90 bytes.
    private TaskCompletionSource? _closed;
    private int _isClosed;

    public IPEndPoint Source { get; } = source;

    public MqttProtocolVersion Version { get; } = version;

    public string EntryPoint { get; } = entryPoint;

    /// <summary>The owning device's IMSI, or <c>address:…</c> for an anonymous device (a group's range).</summary>
    public string Owner { get; } = owner;

    public bool IsAnonymous => Owner.StartsWith(AnonymousPrefix, StringComparison.Ordinal);

    public const string AnonymousPrefix = "address:";

    /// <summary>Whether MQTTnet reported this connection gone.</summary>
    public bool IsClosed => Volatile.Read(ref _isClosed) != 0;

    /// <summary>Completes once MQTTnet reported this connection gone, which it does after it cleaned its session up.</summary>
    public Task Closed
    {
        get
        {
            var closed = LazyInitializer.EnsureInitialized(ref _closed, static () => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));

            // Marked closed before the source existed: MarkClosed had nothing to complete.
            if (IsClosed)
            {
                closed.TrySetResult();
            }

            return closed.Task;
        }
    }

    /// <summary>True the first time only, so a connection is counted closed once.</summary>
    public bool MarkClosed()
    {
        if (Interlocked.Exchange(ref _isClosed, 1) != 0)
        {
            return false;
        }

        Volatile.Read(ref _closed)?.TrySetResult();
        return true;
    }
}
