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
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public IPEndPoint Source { get; } = source;

    public MqttProtocolVersion Version { get; } = version;

    public string EntryPoint { get; } = entryPoint;

    /// <summary>The owning device's IMSI, or <c>address:…</c> for an anonymous device (a group's range).</summary>
    public string Owner { get; } = owner;

    public bool IsAnonymous => Owner.StartsWith(AnonymousPrefix, StringComparison.Ordinal);

    public const string AnonymousPrefix = "address:";

    /// <summary>Completes once MQTTnet reported this connection gone, which it does after it cleaned its session up.</summary>
    public Task Closed => _closed.Task;

    /// <summary>True the first time only, so a connection is counted closed once.</summary>
    public bool MarkClosed() => _closed.TrySetResult();
}
