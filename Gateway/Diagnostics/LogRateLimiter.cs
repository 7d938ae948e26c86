using System.Net;

namespace Gateway.Diagnostics;

/// <summary>
/// Bounds the log lines one source can cause: refusals and malformed input are logged for the first
/// <c>perSource</c> events a source sends in a window, and every window ends with one summary line per source that
/// sent more (<c>"… and 84,211 more from 127.0.8.8 in the last 10 s"</c>). Without it a flood of junk datagrams
/// became a flood of log lines (over a million in 15 s), costing disk and CPU and burying every other line. Metrics
/// are not this class's concern: callers count every event as before, and only the line is skipped.
/// </summary>
/// <remarks>
/// Use: <c>if (_limiter.Allow(source)) LogRefused(logger, source, …);</c>. The per-source table is bounded
/// (<c>maxSources</c>); events from sources beyond it are summarised together, so spoofed source addresses cannot
/// grow memory. Time comes from a <see cref="TimeProvider"/>, so tests drive the windows.
/// </remarks>
internal sealed partial class LogRateLimiter : IDisposable
{
    public const int DefaultPerSource = 5;

    public const int DefaultMaxSources = 1024;

    public static readonly TimeSpan DefaultWindow = TimeSpan.FromSeconds(10);

    private readonly ILogger _logger;
    private readonly string _what;
    private readonly int _perSource;
    private readonly int _maxSources;
    private readonly TimeSpan _window;
    private readonly ITimer _timer;
    private readonly Lock _lock = new();
    private readonly Dictionary<object, Counts> _sources = [];
    private long _overflow;

    /// <param name="logger">Where the summaries go: the logger of the lines being limited.</param>
    /// <param name="what">What the limited lines report, for the summary, e.g. "Beam udp: refused datagrams".</param>
    public LogRateLimiter(ILogger logger, string what, TimeProvider? time = null, TimeSpan? window = null, int perSource = DefaultPerSource, int maxSources = DefaultMaxSources)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(perSource, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxSources, 1);
        _logger = logger;
        _what = what;
        _perSource = perSource;
        _maxSources = maxSources;
        _window = window ?? DefaultWindow;
        // The timer holds the limiter weakly: an owner that is never disposed (Kestrel does not dispose connection
        // handlers) must not be kept alive, and ticking, by its own timer.
        _timer = (time ?? TimeProvider.System).CreateTimer(
            static state =>
            {
                if (((WeakReference<LogRateLimiter>)state!).TryGetTarget(out var limiter))
                {
                    limiter.Flush();
                }
            },
            new WeakReference<LogRateLimiter>(this),
            _window,
            _window);
    }

    /// <summary>The sources the table holds now (bounded by <c>maxSources</c>).</summary>
    public int TrackedSources
    {
        get
        {
            lock (_lock)
            {
                return _sources.Count;
            }
        }
    }

    /// <summary>Whether to write this event's line; false means it was counted for the window's summary instead.</summary>
    public bool Allow(IPAddress? source) => AllowKey(source ?? (object)"-");

    /// <summary>As <see cref="Allow(IPAddress?)"/>, by the endpoint's address (a source's ports count as one source).</summary>
    public bool Allow(EndPoint? source) => AllowKey(source is IPEndPoint ip ? ip.Address : source?.ToString() ?? "-");

    /// <summary>As <see cref="Allow(IPAddress?)"/>, for a source already written as text.</summary>
    public bool Allow(string? source) => AllowKey(source ?? "-");

    /// <summary>Ends the window: writes the summaries and starts every source's budget again. Called by the timer.</summary>
    public void Flush()
    {
        List<(object Source, long Suppressed)> summaries = [];
        long overflow;
        lock (_lock)
        {
            foreach (var (source, counts) in _sources)
            {
                if (counts.Suppressed > 0)
                {
                    summaries.Add((source, counts.Suppressed));
                }
            }

            // Forgetting every source each window keeps the table to the sources of one window, at most maxSources.
            _sources.Clear();
            (overflow, _overflow) = (_overflow, 0);
        }

        var seconds = (int)Math.Round(_window.TotalSeconds);
        foreach (var (source, suppressed) in summaries)
        {
            LogSuppressed(_logger, _what, suppressed, source, seconds);
        }

        if (overflow > 0)
        {
            LogSuppressedOverflow(_logger, _what, overflow, _maxSources, seconds);
        }
    }

    public void Dispose() => _timer.Dispose();

    private bool AllowKey(object source)
    {
        lock (_lock)
        {
            if (!_sources.TryGetValue(source, out var counts))
            {
                if (_sources.Count >= _maxSources)
                {
                    _overflow++;
                    return false;
                }

                _sources[source] = counts = new Counts();
            }

            if (counts.Logged < _perSource)
            {
                counts.Logged++;
                return true;
            }

            counts.Suppressed++;
            return false;
        }
    }

    private sealed class Counts
    {
        public int Logged { get; set; }

        public long Suppressed { get; set; }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{What}: … and {Count:N0} more from {Source} in the last {Seconds} s")]
    private static partial void LogSuppressed(ILogger logger, string what, long count, object source, int seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{What}: … and {Count:N0} more from further sources (beyond the {Sources:N0} tracked) in the last {Seconds} s")]
    private static partial void LogSuppressedOverflow(ILogger logger, string what, long count, int sources, int seconds);
}
