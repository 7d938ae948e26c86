using System.IO.Pipelines;
using System.Net;
using Gateway.Beam.Relay;

namespace Gateway.Devices.Mqtt;

/// <summary>
/// One device connection to the MQTT pipeline endpoint, from accept to close: where it comes from (identity is resolved
/// again from this address for every PUBLISH, so registry changes apply at once), its CONNECT, which device owns its
/// client ID, and its deadline. The deadline is watched by the endpoint's shared <see cref="RelayDeadlines"/> tick, not
/// a timer of its own (a timer, its source and registrations were ≈ 0.4 KiB of an idle relay connection): first the
/// CONNECT's, then 1.5 × the keepalive, restarted by every read, suspended while a message is in delivery. Ending
/// cancels the connection's pending read and flush; its loop then says why (MQTT 5) and returns, which closes it.
/// A class, not a record: two connections are never the same one, however alike (the registration is removed by reference).
/// </summary>
internal sealed class MqttDeviceSession(PipeReader input, PipeWriter output, IPEndPoint source, string entryPoint, TimeSpan connectTimeout) : IDeadline
{
    public const string AnonymousPrefix = "address:";

    private long _deadline = Environment.TickCount64 + (long)connectTimeout.TotalMilliseconds;
    private long _idleMs = long.MaxValue;
    private int _endReason;

    // Created only when someone waits (a reconnect under the same client ID), and only when QoS 2 is used: every idle
    // connection would otherwise hold a completion source and a set.
    private TaskCompletionSource? _closed;
    private HashSet<ushort>? _awaitingRelease;
    private int _isClosed;
    private bool _isOpen;

    public PipeReader Input { get; } = input;

    public PipeWriter Output { get; } = output;

    public IPEndPoint Source { get; } = source;

    public string EntryPoint { get; } = entryPoint;

    /// <summary>Set once the CONNECT was read.</summary>
    public MqttDeviceConnect? Connect { get; private set; }

    /// <summary>The client ID the connection is registered under (the device's, or the one assigned to it).</summary>
    public string ClientId { get; private set; } = "";

    /// <summary>The owning device's IMSI, or <c>address:…</c> for an anonymous device (a group's range).</summary>
    public string Owner { get; private set; } = "";

    public bool IsV5 => Connect?.IsV5 == true;

    public bool IsAnonymous => Owner.StartsWith(AnonymousPrefix, StringComparison.Ordinal);

    /// <summary>Why the connection was ended from outside its loop (an MQTT 5 DISCONNECT reason code); 0 while it was not.</summary>
    public byte EndReason => (byte)Volatile.Read(ref _endReason);

    /// <summary>Whether the connection has closed (its registration given up).</summary>
    public bool IsClosed => Volatile.Read(ref _isClosed) != 0;

    /// <summary>Completes once the connection has closed.</summary>
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

    /// <summary>The CONNECT was admitted: the keepalive replaces the CONNECT deadline (0: no cut, §3.1.2.10).</summary>
    public void Admitted(MqttDeviceConnect connect, string clientId, string owner)
    {
        Connect = connect;
        ClientId = clientId;
        Owner = owner;
        _idleMs = connect.KeepAliveSeconds == 0 ? long.MaxValue : connect.KeepAliveSeconds * 1500L;
        Touch();
    }

    /// <summary>Whether the device was answered CONNACK 0: only then does its will count, and its session.</summary>
    public bool IsOpen => Volatile.Read(ref _isOpen);

    public void Opened() => Volatile.Write(ref _isOpen, true);

    /// <summary>Bytes arrived: the keepalive starts again.</summary>
    public void Touch()
    {
        var idle = _idleMs;
        Volatile.Write(ref _deadline, idle == long.MaxValue ? long.MaxValue : Environment.TickCount64 + idle);
    }

    /// <summary>A message is in delivery: the device's next packets wait unread meanwhile, so its silence is not its own.</summary>
    public void Busy() => Volatile.Write(ref _deadline, long.MaxValue);

    public void Expire(long now)
    {
        if (now >= Volatile.Read(ref _deadline))
        {
            // Keep Alive timeout (§3.1.2.10, MQTT 5 reason 0x8D); before a CONNECT there is nobody to tell.
            End(0x8D);
        }
    }

    /// <summary>Ends the connection from outside its loop (once; later calls do nothing).</summary>
    public void End(byte reason)
    {
        if (Interlocked.CompareExchange(ref _endReason, reason, 0) != 0)
        {
            return;
        }

        Input.CancelPendingRead();
        Output.CancelPendingFlush();
    }

    /// <summary>QoS 2: the message was delivered and PUBREC sent; a copy of it (DUP) is not delivered again until PUBREL.</summary>
    public void AwaitRelease(ushort packetId) => (_awaitingRelease ??= []).Add(packetId);

    public bool IsAwaitingRelease(ushort packetId) => _awaitingRelease?.Contains(packetId) == true;

    /// <summary>PUBREL: true when the identifier was awaiting it.</summary>
    public bool Release(ushort packetId) => _awaitingRelease?.Remove(packetId) == true;

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
