using System.Net;
using System.Net.Sockets;

namespace Gateway.Beam.Relay.Loop;

/// <summary>
/// One event loop's kept-alive upstream connections, per host and port (<see cref="RelayTarget.UpstreamKey"/>):
/// a loop's sockets can only be awaited on that loop, so each has its own pool, and with one thread per pool it
/// needs no lock. The same rules as <see cref="UpstreamPool"/>: idle a minute, closed; idle over a second, checked
/// before reuse.
/// </summary>
internal sealed class LoopUpstreamPool : IUpstreamSource
{
    private const int MaxIdlePerUpstream = 1024;
    private const long CheckAfterIdleMs = 1000;
    private static readonly long SweepEveryMs = 15_000;

    private readonly EventLoop _loop;
    private Stack<UpstreamConnection>?[] _idle = new Stack<UpstreamConnection>?[8];
    private long _nextSweep;

    public LoopUpstreamPool(EventLoop loop)
    {
        _loop = loop;
        _nextSweep = Environment.TickCount64 + SweepEveryMs;
        loop.Ticked += Tick;
    }

    public ValueTask<UpstreamConnection> RentAsync(RelayTarget target, long deadline)
    {
        var stack = target.UpstreamKey < _idle.Length ? _idle[target.UpstreamKey] : null;
        while (stack is not null && stack.TryPop(out var connection))
        {
            if (Environment.TickCount64 - connection.IdleSince > CheckAfterIdleMs && connection.IsSpent())
            {
                connection.Dispose();
                continue;
            }

            return ValueTask.FromResult(connection);
        }

        return ConnectAsync(target.Destination, deadline);
    }

    public void Return(RelayTarget target, UpstreamConnection connection)
    {
        connection.Reused = true;
        connection.IdleSince = Environment.TickCount64;
        if (target.UpstreamKey >= _idle.Length)
        {
            Array.Resize(ref _idle, Math.Max(target.UpstreamKey + 1, _idle.Length * 2));
        }

        var stack = _idle[target.UpstreamKey] ??= new Stack<UpstreamConnection>();
        if (stack.Count < MaxIdlePerUpstream)
        {
            stack.Push(connection);
            return;
        }

        connection.Dispose();
    }

    private async ValueTask<UpstreamConnection> ConnectAsync(Uri destination, long deadline)
    {
        // Clamped to what a CancellationTokenSource takes: the registry bounds timeoutSeconds (300 s), this does not rely on it.
        using var timeout = new CancellationTokenSource(TimeSpan.FromMilliseconds(Math.Clamp(deadline - Environment.TickCount64, 1, int.MaxValue - 1)));
        if (!IPAddress.TryParse(destination.IdnHost, out var address))
        {
            // The resolver answers on another thread; the socket must be made on the loop.
            var addresses = await Dns.GetHostAddressesAsync(destination.IdnHost, timeout.Token);
            await _loop.SwitchTo();
            address = addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork) ?? addresses.FirstOrDefault()
                ?? throw new SocketException((int)SocketError.HostNotFound);
        }

        return await LoopUpstream.ConnectAsync(_loop, new IPEndPoint(address, destination.Port), timeout.Token);
    }

    private void Tick(long now)
    {
        if (now < _nextSweep)
        {
            return;
        }

        _nextSweep = now + SweepEveryMs;
        foreach (var stack in _idle)
        {
            if (stack is null || stack.Count == 0)
            {
                continue;
            }

            // Newest first: keep those idle less than the limit, in the same order.
            var all = stack.ToArray();
            stack.Clear();
            for (var i = all.Length - 1; i >= 0; i--)
            {
                if (now - all[i].IdleSince < UpstreamPool.IdleTimeout.TotalMilliseconds)
                {
                    stack.Push(all[i]);
                }
                else
                {
                    all[i].Dispose();
                }
            }
        }
    }
}
