using System.Diagnostics;
using System.Globalization;

namespace Gateway.RandomInput;

/// <summary>
/// Runs one target: inputs are generated and fed on a worker thread, one at a time. An input that takes longer than
/// <see cref="RunOptions.HangAfter"/> is run three more times when it returns: slow again, it is a hang; fast, the
/// machine stalled, not the parser (on a shared machine a thread can wait over a second for a core), and it is a
/// stall, reported but not a failure. The calling thread is the watchdog for inputs that do not return: it saves one
/// still running after the bound, and ends the run as a hang after <see cref="RunOptions.GiveUpAfter"/>. Every
/// <see cref="RunOptions.HeapEvery"/> inputs the worker forces a full collection and measures the heap; the first and
/// last measurements bound its growth.
/// </summary>
internal sealed class RandomInputRunner(IParserTarget target, RunOptions options)
{
    private const int MaxSaved = 30;

    private readonly Dictionary<string, Finding> _escapes = new(StringComparer.Ordinal);
    private readonly List<string> _hangs = [];
    private readonly List<string> _stalls = [];
    private readonly HashSet<string> _saved = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private Thread? _worker;

    // Written by the worker, read by the watchdog: the input being run and when it started (0 between inputs).
    private byte[] _current = [];
    private long _currentIndex;
    private long _startedAt;
    private long _done;
    private long _firstHeap = -1;
    private long _lastHeap;
    private long _maxHeap;

    public RunResult Run()
    {
        Directory.CreateDirectory(options.OutputDirectory);
        var clock = Stopwatch.StartNew();
        var worker = _worker = new Thread(Feed) { IsBackground = true, Name = "random-input " + target.Name };
        worker.Start();
        var gaveUp = Watch(worker, clock);
        clock.Stop();
        lock (_lock)
        {
            return new RunResult
            {
                Parser = target.Name,
                Inputs = Interlocked.Read(ref _done),
                Elapsed = clock.Elapsed,
                Escapes = [.. _escapes.Values],
                Hangs = [.. _hangs],
                Stalls = [.. _stalls],
                GaveUp = gaveUp,
                FirstHeapBytes = _firstHeap,
                LastHeapBytes = _lastHeap,
                MaxHeapBytes = _maxHeap,
                HeapGrew = _firstHeap >= 0 && _lastHeap - _firstHeap > options.HeapGrowthBound,
            };
        }
    }

    /// <summary>After a run given up: waits for the worker to end, once whatever held it is released (for tests).</summary>
    public bool WaitForWorker(TimeSpan timeout) => _worker?.Join(timeout) ?? true;

    private void Feed()
    {
        var mutator = new Mutator(target, options.Seed ^ StableHash(target.Name));
        for (long i = 0; i < options.Inputs; i++)
        {
            var input = mutator.Next();
            var started = Stopwatch.GetTimestamp();
            Volatile.Write(ref _current, input);
            Volatile.Write(ref _currentIndex, i);
            Volatile.Write(ref _startedAt, started);
            try
            {
                target.Run(input);
            }
            catch (Exception e)
            {
                RecordEscape(i, input, e);
            }

            Volatile.Write(ref _startedAt, 0);
            var elapsed = Stopwatch.GetElapsedTime(started);
            if (elapsed > options.HangAfter)
            {
                Recheck(i, input, elapsed);
            }

            Volatile.Write(ref _done, i + 1);
            if ((i + 1) % options.HeapEvery == 0 || i + 1 == options.Inputs)
            {
                MeasureHeap();
            }
        }
    }

    /// <summary>Watches the worker until it ends; true when an input ran so long that the run was abandoned.</summary>
    private bool Watch(Thread worker, Stopwatch clock)
    {
        var nextProgress = TimeSpan.FromSeconds(10);
        long saved = -1;
        while (!worker.Join(50))
        {
            var started = Volatile.Read(ref _startedAt);
            var index = Volatile.Read(ref _currentIndex);
            var input = Volatile.Read(ref _current);
            if (started != 0 && started == Volatile.Read(ref _startedAt))
            {
                var running = Stopwatch.GetElapsedTime(started);
                if (running > options.HangAfter && index != saved)
                {
                    saved = index;
                    // Saved now, in case it never returns and the process is stopped.
                    Save("hang", index, input, $"still running after {running.TotalMilliseconds:N0} ms");
                }

                if (running > options.GiveUpAfter)
                {
                    lock (_lock)
                    {
                        _hangs.Add(string.Create(CultureInfo.InvariantCulture, $"input {index} still running after {running.TotalSeconds:N0} s, run given up; saved as {PathOf("hang", index)}"));
                    }

                    options.Progress?.WriteLine($"{target.Name}: input {index} still running after {running}; giving up");
                    return true;
                }
            }

            if (options.Progress is not null && clock.Elapsed > nextProgress)
            {
                nextProgress += TimeSpan.FromSeconds(30);
                var done = Interlocked.Read(ref _done);
                options.Progress.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{target.Name}: {done:N0} inputs, {done / clock.Elapsed.TotalSeconds:N0}/s, {_escapes.Count} escape kinds, {_hangs.Count} hangs, {_stalls.Count} stalls, heap {Interlocked.Read(ref _lastHeap) / (1024 * 1024)} MiB"));
            }
        }

        return false;
    }

    /// <summary>Runs a slow input three more times: a hang if the fastest is still over the bound, else a stall.</summary>
    private void Recheck(long index, byte[] input, TimeSpan first)
    {
        var fastest = TimeSpan.MaxValue;
        for (var i = 0; i < 3; i++)
        {
            var started = Stopwatch.GetTimestamp();
            try
            {
                target.Run(input);
            }
            catch (Exception)
            {
                // Already counted as an escape the first time.
            }

            var elapsed = Stopwatch.GetElapsedTime(started);
            fastest = elapsed < fastest ? elapsed : fastest;
        }

        var saved = Save("hang", index, input, $"took {first.TotalMilliseconds:N0} ms, then {fastest.TotalMilliseconds:N3} ms (fastest of 3 more runs)");
        var text = string.Create(CultureInfo.InvariantCulture,
            $"input {index} took {first.TotalMilliseconds:N0} ms, then {fastest.TotalMilliseconds:N3} ms (fastest of 3 more runs); saved as {saved}");
        lock (_lock)
        {
            (fastest > options.HangAfter ? _hangs : _stalls).Add(text);
        }
    }

    private void RecordEscape(long index, byte[] input, Exception e)
    {
        var signature = Signature(e);
        lock (_lock)
        {
            if (_escapes.TryGetValue(signature, out var known))
            {
                known.Count++;
                return;
            }
        }

        var saved = _escapes.Count < MaxSaved ? Save("escape", index, input, e.ToString()) : null;
        lock (_lock)
        {
            _escapes[signature] = new Finding(signature, index, e.ToString(), saved);
        }
    }

    /// <summary>The exception's type and the first frame it was thrown from: one entry per distinct bug, not per input.</summary>
    private static string Signature(Exception e)
    {
        var frame = new StackTrace(e, fNeedFileInfo: false).GetFrames().FirstOrDefault()?.GetMethod();
        return $"{e.GetType().Name} at {frame?.DeclaringType?.FullName}.{frame?.Name}";
    }

    /// <summary>Writes the input and why to <c>--out</c> (at most <see cref="MaxSaved"/> of each kind); a second reason for the same input is appended.</summary>
    private string Save(string kind, long index, byte[] input, string why)
    {
        var path = PathOf(kind, index);
        lock (_lock)
        {
            if (_saved.Contains(path))
            {
                File.AppendAllText(Path.ChangeExtension(path, ".txt"), why + Environment.NewLine);
            }
            else if (_saved.Count < MaxSaved * 2)
            {
                _saved.Add(path);
                File.WriteAllBytes(path, input);
                File.WriteAllText(Path.ChangeExtension(path, ".txt"), why + Environment.NewLine);
            }
        }

        return path;
    }

    private string PathOf(string kind, long index) =>
        Path.Combine(options.OutputDirectory, string.Create(CultureInfo.InvariantCulture, $"{target.Name}-{kind}-{options.Seed}-{index}.bin"));

    private void MeasureHeap()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        var heap = GC.GetTotalMemory(forceFullCollection: false);
        if (_firstHeap < 0)
        {
            _firstHeap = heap;
        }

        Interlocked.Exchange(ref _lastHeap, heap);
        _maxHeap = Math.Max(_maxHeap, heap);
    }

    private static int StableHash(string text)
    {
        // string.GetHashCode differs per process; the seed of a target's inputs must not.
        var hash = 17;
        foreach (var c in text)
        {
            hash = unchecked((hash * 31) + c);
        }

        return hash;
    }
}
