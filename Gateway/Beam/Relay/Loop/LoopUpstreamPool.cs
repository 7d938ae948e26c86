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
    private const long SweepEveryMs = 15_000;

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
            if (UpstreamPool.IsStale(connection))
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
        if (stack.Count < UpstreamPool.MaxIdlePerUpstream)
        {
            stack.Push(connection);
            return;
        }

        connection.Dispose();
    }

    private async ValueTask<UpstreamConnection> ConnectAsync(Uri destination, long deadline)
    {
        using var timeout = new CancellationTokenSource(UpstreamPool.ConnectTimeout(deadline));
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
            if (stack is not null)
            {
                UpstreamPool.TakeExpired(stack, now)?.ForEach(static c => c.Dispose());
            }
        }
    }
}
