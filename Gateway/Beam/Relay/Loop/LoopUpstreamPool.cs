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
    private readonly UpstreamResolver _resolver;
    private Stack<UpstreamConnection>?[] _idle = new Stack<UpstreamConnection>?[8];
    private long _nextSweep;

    public LoopUpstreamPool(EventLoop loop, UpstreamResolver? resolver = null)
    {
        _loop = loop;
        _resolver = resolver ?? UpstreamResolver.Shared;
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
        var addresses = await ResolveOnLoopAsync(destination.IdnHost, timeout.Token);

        // Each address in turn, as the Kestrel path's socket connect does: a refused or unreachable first address
        // (an IPv6 record with no route, one replica down) is not the destination's answer.
        for (var i = 0; ; i++)
        {
            try
            {
                return await LoopUpstream.ConnectAsync(_loop, new IPEndPoint(addresses[i], destination.Port), timeout.Token);
            }
            catch (SocketException) when (i + 1 < addresses.Length && !timeout.IsCancellationRequested)
            {
            }
        }
    }

    /// <summary>
    /// Resolves on the resolver's thread and comes back to the loop whatever the outcome: the relay goes on touching
    /// loop-only state (its sockets, this pool) after a failed or cancelled lookup as much as after an answer.
    /// </summary>
    private async ValueTask<IPAddress[]> ResolveOnLoopAsync(string host, CancellationToken cancellationToken)
    {
        if (IPAddress.TryParse(host, out var literal))
        {
            return [literal];
        }

        try
        {
            return await _resolver.ResolveAsync(host, cancellationToken);
        }
        finally
        {
            await _loop.SwitchTo();
        }
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
