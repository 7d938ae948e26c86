using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace Gateway.Sessions;

/// <summary>
/// Online state and "last seen" per IMSI, in memory. Fed by identity resolution (every request, datagram, connection
/// and LPWA uplink of a known device), by the message pipeline (every message, including the frames of a long TCP
/// connection), and by the connection-oriented entry points (a connection opened and closed). It costs one dictionary
/// lookup and a clock read per call and allocates only the first time an IMSI is seen; the time is written at most
/// once a second per device, so devices busy on several cores do not fight over one cache line. One entry per IMSI
/// seen since the process started: at most the registry's size. Anonymous devices (a group's range, no IMSI) are not
/// tracked. With several gateway instances, each knows the sessions of the devices that talk to it.
/// </summary>
internal sealed class DeviceSessions(TimeProvider time, IOptions<SessionOptions> options)
{
    private const long WriteIntervalMs = 1000;

    private readonly ConcurrentDictionary<string, Session> _sessions = new(StringComparer.Ordinal);
    private readonly long _windowMs = options.Value.OnlineWindowSeconds * 1000L;

    /// <summary>The device sent something or was identified now.</summary>
    public void Seen(string imsi)
    {
        if (imsi.Length == 0)
        {
            return;
        }

        var session = _sessions.GetOrAdd(imsi, static _ => new Session());
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        if (now - Volatile.Read(ref session.LastSeenMs) >= WriteIntervalMs)
        {
            Volatile.Write(ref session.LastSeenMs, now);
        }
    }

    /// <summary>A connection of this device was admitted; <see cref="Disconnected"/> must follow once it ends.</summary>
    public void Connected(string imsi)
    {
        if (imsi.Length == 0)
        {
            return;
        }

        var session = _sessions.GetOrAdd(imsi, static _ => new Session());
        Interlocked.Increment(ref session.Connections);
        Volatile.Write(ref session.LastSeenMs, time.GetUtcNow().ToUnixTimeMilliseconds());
    }

    /// <summary>A connection counted by <see cref="Connected"/> ended: the device was there until now.</summary>
    public void Disconnected(string imsi)
    {
        if (imsi.Length != 0 && _sessions.TryGetValue(imsi, out var session))
        {
            Volatile.Write(ref session.LastSeenMs, time.GetUtcNow().ToUnixTimeMilliseconds());
            Interlocked.Decrement(ref session.Connections);
        }
    }

    public SessionStatus Status(string imsi)
    {
        if (!_sessions.TryGetValue(imsi, out var session))
        {
            return new SessionStatus(false, null, 0);
        }

        var last = Volatile.Read(ref session.LastSeenMs);
        var connections = Math.Max(0, Volatile.Read(ref session.Connections));
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        return last < 0 ? new SessionStatus(connections > 0, null, connections) : new SessionStatus(connections > 0 || now - last <= _windowMs, last, connections);
    }

    /// <summary>Fields, not properties: they are updated with <see cref="Volatile"/> and <see cref="Interlocked"/>.</summary>
    private sealed class Session
    {
        public long LastSeenMs = long.MinValue / 2;
        public int Connections;
    }
}
