using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;

namespace Gateway.Beam;

/// <summary>
/// Resolves upstream host names for every upstream path (the event-loop relay, the Kestrel relay, the pooled
/// <see cref="BeamHttpClient"/>), so that a name that does not resolve, or resolves slowly, costs its own requests
/// and not everyone's:
/// <list type="bullet">
/// <item>one lookup per name at a time: concurrent requests for the same name share it;</item>
/// <item>answers kept <see cref="PositiveTtl"/>, failures <see cref="NegativeTtl"/> (the system resolver gives no
/// TTL; these are short enough for a DNS change to be seen soon);</item>
/// <item>at most <see cref="MaxConcurrentLookups"/> lookups at once across all names: on Linux each is a blocking
/// <c>getaddrinfo</c> on a thread-pool thread, and hundreds of them starved the pool that every connection
/// needs;</item>
/// <item>a lookup answers within <see cref="LookupTimeout"/> or fails as "host not found"; the slot it holds is
/// given back only when the system call really returns, so a stuck resolver cannot pile up blocked threads.</item>
/// </list>
/// Callers' cancellation ends their wait, never the shared lookup.
/// </summary>
internal sealed class UpstreamResolver : IDisposable
{
    public static readonly TimeSpan PositiveTtl = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan NegativeTtl = TimeSpan.FromSeconds(5);
    public static readonly TimeSpan LookupTimeout = TimeSpan.FromSeconds(10);
    public const int MaxConcurrentLookups = 8;

    // Names come from configuration, so the table is small; the bound keeps a pathological registry from growing it.
    private const int MaxEntries = 4096;

    private static readonly Meter s_meter = new(BeamMetrics.MeterName);
    private static readonly Counter<long> s_lookups = s_meter.CreateCounter<long>(
        "gateway.beam.upstream.lookups", description: "Upstream host name lookups started, by result (resolved, not_found, timed_out, busy).");

    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.OrdinalIgnoreCase);
    private readonly SemaphoreSlim _slots = new(MaxConcurrentLookups, MaxConcurrentLookups);
    private readonly Func<string, Task<IPAddress[]>> _lookup;
    private readonly TimeProvider _time;

    public UpstreamResolver(Func<string, Task<IPAddress[]>>? lookup = null, TimeProvider? time = null)
    {
        _lookup = lookup ?? (static host => Dns.GetHostAddressesAsync(host));
        _time = time ?? TimeProvider.System;
    }

    public void Dispose() => _slots.Dispose();

    /// <summary>The process's resolver: like the system's own name cache, one for everyone.</summary>
    public static UpstreamResolver Shared { get; } = new();

    /// <summary>
    /// The addresses of <paramref name="host"/> (an IP literal is returned as is), IPv4 first. Throws
    /// <see cref="SocketException"/> (<see cref="SocketError.HostNotFound"/>, or <see cref="SocketError.TryAgain"/>
    /// when the lookup timed out or too many were waiting).
    /// </summary>
    public async ValueTask<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken)
    {
        if (IPAddress.TryParse(host, out var literal))
        {
            return [literal];
        }

        var now = _time.GetTimestamp();
        if (!_entries.TryGetValue(host, out var entry) || entry.IsExpired(now))
        {
            entry = Replace(host, entry, now);
        }

        return await entry.Task.WaitAsync(cancellationToken);
    }

    private Entry Replace(string host, Entry? stale, long now)
    {
        if (_entries.Count >= MaxEntries)
        {
            _entries.Clear();
        }

        var fresh = new Entry();
        if (stale is null ? !_entries.TryAdd(host, fresh) : !_entries.TryUpdate(host, fresh, stale))
        {
            // Another caller started the lookup a moment ago: share it.
            return _entries.TryGetValue(host, out var current) ? current : Replace(host, null, now);
        }

        _ = LookupAsync(host, fresh);
        return fresh;
    }

    private async Task LookupAsync(string host, Entry entry)
    {
        if (!await _slots.WaitAsync(LookupTimeout, CancellationToken.None))
        {
            Fail(entry, "busy", SocketError.TryAgain, $"too many upstream host lookups in progress; {host} not looked up");
            return;
        }

        Task<IPAddress[]> lookup;
        try
        {
            lookup = _lookup(host);
        }
        catch (Exception e)
        {
            _slots.Release();
            Fail(entry, "not_found", SocketError.HostNotFound, e.Message);
            return;
        }

        // The slot is the thread blocked in getaddrinfo: it is free when the call returns, not when we stop waiting.
        _ = lookup.ContinueWith(static (_, slots) => ((SemaphoreSlim)slots!).Release(), _slots, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        try
        {
            var addresses = await lookup.WaitAsync(LookupTimeout, _time);
            if (addresses.Length == 0)
            {
                Fail(entry, "not_found", SocketError.HostNotFound, $"{host} has no address");
                return;
            }

            s_lookups.Add(1, new KeyValuePair<string, object?>("result", "resolved"));
            entry.Answer(_time, PositiveTtl, [.. addresses.OrderBy(static a => a.AddressFamily == AddressFamily.InterNetwork ? 0 : 1)], null);
        }
        catch (TimeoutException)
        {
            Fail(entry, "timed_out", SocketError.TryAgain, $"looking up {host} took over {LookupTimeout.TotalSeconds:0} s");
        }
        catch (SocketException e)
        {
            Fail(entry, "not_found", e.SocketErrorCode, e.Message);
        }
        catch (Exception e)
        {
            Fail(entry, "not_found", SocketError.HostNotFound, e.Message);
        }
    }

    private void Fail(Entry entry, string result, SocketError error, string message)
    {
        s_lookups.Add(1, new KeyValuePair<string, object?>("result", result));
        entry.Answer(_time, NegativeTtl, null, new SocketException((int)error, message));
    }

    /// <summary>One name's lookup: in flight (never expired), or answered and kept until it expires.</summary>
    private sealed class Entry
    {
        private readonly TaskCompletionSource<IPAddress[]> _answer = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private long _expiresAt = long.MaxValue;

        public Task<IPAddress[]> Task => _answer.Task;

        public bool IsExpired(long now) => now >= Volatile.Read(ref _expiresAt);

        public void Answer(TimeProvider time, TimeSpan ttl, IPAddress[]? addresses, Exception? failure)
        {
            Volatile.Write(ref _expiresAt, time.GetTimestamp() + (long)(ttl.TotalSeconds * time.TimestampFrequency));
            if (failure is null)
            {
                _answer.TrySetResult(addresses!);
            }
            else
            {
                _answer.TrySetException(failure);
            }
        }
    }
}
