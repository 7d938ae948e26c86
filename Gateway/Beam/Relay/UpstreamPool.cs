using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Gateway.Beam.Relay;

/// <summary>
/// Kept-alive plain TCP connections to HTTP upstreams, per host and port, shared by every device and entry that
/// names the same upstream. Connections idle for a minute are closed by a sweep; one idle for over a second is
/// checked before reuse (an upstream may have closed it), and a reused one that fails before any response byte
/// is replaced once by the relay.
/// </summary>
internal sealed class UpstreamPool : IUpstreamSource, IDisposable
{
    /// <summary>Connections idle longer than this are closed (the same as the HttpClient path's pool).</summary>
    public static readonly TimeSpan IdleTimeout = TimeSpan.FromSeconds(60);

    /// <summary>Idle connections kept per upstream (per event loop on the loops); more are closed.</summary>
    internal const int MaxIdlePerUpstream = 1024;

    private const long CheckAfterIdleMs = 1000;

    private readonly ConcurrentDictionary<(string Host, int Port), Stack<UpstreamConnection>> _idle = new();
    private readonly ConcurrentDictionary<(string Host, int Port), int> _keys = new();
    private readonly Timer _sweep;

    public UpstreamPool()
    {
        _sweep = new Timer(static s => ((UpstreamPool)s!).Sweep(), this, TimeSpan.FromSeconds(15), TimeSpan.FromSeconds(15));
    }

    /// <summary>The idle connections to a destination's host and port, shared by every entry naming them; looked up once per entry.</summary>
    public Stack<UpstreamConnection> IdleFor(Uri destination) =>
        _idle.GetOrAdd((destination.IdnHost, destination.Port), static _ => new Stack<UpstreamConnection>());

    /// <summary>
    /// A small number for the destination's host and port, the same for every entry naming them: the event loops'
    /// own pools (<see cref="Loop.LoopUpstreamPool"/>) index their idle connections by it.
    /// </summary>
    public int KeyFor(Uri destination)
    {
        var key = (destination.IdnHost, destination.Port);
        if (_keys.TryGetValue(key, out var number))
        {
            return number;
        }

        // Numbers are handed out under a lock so that two new hosts never get the same one.
        lock (_keys)
        {
            return _keys.GetOrAdd(key, _keys.Count);
        }
    }

    /// <summary>An idle connection to the upstream, or a new one connected by <paramref name="deadline"/> (Environment.TickCount64).</summary>
    public ValueTask<UpstreamConnection> RentAsync(RelayTarget target, long deadline)
    {
        var stack = target.Idle;
        while (true)
        {
            UpstreamConnection? connection;
            lock (stack)
            {
                stack.TryPop(out connection);
            }

            if (connection is null)
            {
                return ConnectAsync(target.Destination, deadline);
            }

            if (IsStale(connection))
            {
                connection.Dispose();
                continue;
            }

            return ValueTask.FromResult(connection);
        }
    }

    public void Return(RelayTarget target, UpstreamConnection connection)
    {
        connection.Reused = true;
        connection.IdleSince = Environment.TickCount64;
        var stack = target.Idle;
        lock (stack)
        {
            if (stack.Count < MaxIdlePerUpstream)
            {
                stack.Push(connection);
                return;
            }
        }

        connection.Dispose();
    }

    public void Dispose()
    {
        _sweep.Dispose();
        foreach (var stack in _idle.Values)
        {
            lock (stack)
            {
                while (stack.TryPop(out var connection))
                {
                    connection.Dispose();
                }
            }
        }
    }

    /// <summary>A connection idle over a second that the upstream has closed meanwhile (checked only then: it costs a system call).</summary>
    internal static bool IsStale(UpstreamConnection connection) =>
        Environment.TickCount64 - connection.IdleSince > CheckAfterIdleMs && connection.IsSpent();

    /// <summary>The time left until <paramref name="deadline"/> (Environment.TickCount64) for a connect's cancellation.</summary>
    internal static TimeSpan ConnectTimeout(long deadline) =>
        // Clamped to what a CancellationTokenSource takes: the registry bounds timeoutSeconds (300 s), this does not rely on it.
        TimeSpan.FromMilliseconds(Math.Clamp(deadline - Environment.TickCount64, 1, int.MaxValue - 1));

    /// <summary>
    /// Takes the connections idle for <see cref="IdleTimeout"/> out of <paramref name="stack"/>, keeping the others
    /// in their order (newest first), and returns them for the caller to close (outside any lock).
    /// </summary>
    internal static List<UpstreamConnection>? TakeExpired(Stack<UpstreamConnection> stack, long now)
    {
        if (stack.Count == 0)
        {
            return null;
        }

        UpstreamConnection[] all = [.. stack];
        stack.Clear();
        List<UpstreamConnection>? expired = null;

        // Newest first in the array: pushing back oldest first keeps the order.
        for (var i = all.Length - 1; i >= 0; i--)
        {
            if (now - all[i].IdleSince < IdleTimeout.TotalMilliseconds)
            {
                stack.Push(all[i]);
            }
            else
            {
                (expired ??= []).Add(all[i]);
            }
        }

        return expired;
    }

    private static async ValueTask<UpstreamConnection> ConnectAsync(Uri destination, long deadline)
    {
        using var timeout = new CancellationTokenSource(ConnectTimeout(deadline));
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            Hosting.DescriptorBudget.ThrowIfOver(socket);
            var addresses = await UpstreamResolver.Shared.ResolveAsync(destination.IdnHost, timeout.Token);
            await socket.ConnectAsync(addresses, destination.Port, timeout.Token);
            return new SocketUpstream(socket);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private void Sweep()
    {
        var now = Environment.TickCount64;
        foreach (var stack in _idle.Values)
        {
            List<UpstreamConnection>? expired;
            lock (stack)
            {
                expired = TakeExpired(stack, now);
            }

            expired?.ForEach(static c => c.Dispose());
        }
    }
}
