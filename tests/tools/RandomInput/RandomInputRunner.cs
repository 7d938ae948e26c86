using System.Diagnostics;
using System.Globalization;

namespace Gateway.RandomInput;

/// <summary>
/// Runs one target: inputs are generated and fed on a worker thread, one at a time; the calling thread is the
/// watchdog, which reports an input running longer than <see cref="RunOptions.HangAfter"/> as a hang (saving it) and
/// ends the run if one runs past <see cref="RunOptions.GiveUpAfter"/>. Every <see cref="RunOptions.HeapEvery"/> inputs
/// the worker forces a full collection and measures the heap; the first and last measurements bound its growth.
/// </summary>
internal sealed class RandomInputRunner(IParserTarget target, RunOptions options)
{
    private const int SavedPerKind = 3;

    private readonly Dictionary<string, Finding> _escapes = new(StringComparer.Ordinal);
    private readonly List<string> _hangs = [];
    private readonly Lock _lock = new();

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
        var worker = new Thread(Feed) { IsBackground = true, Name = "random-input " + target.Name };
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
                GaveUp = gaveUp,
                FirstHeapBytes = _firstHeap,
                LastHeapBytes = _lastHeap,
                MaxHeapBytes = _maxHeap,
                HeapGrew = _firstHeap >= 0 && _lastHeap - _firstHeap > options.HeapGrowthBound,
            };
        }
    }

    private void Feed()
    {
        var mutator = new Mutator(target, options.Seed ^ StableHash(target.Name));
        for (long i = 0; i < options.Inputs; i++)
        {
            var input = mutator.Next();
            Volatile.Write(ref _current, input);
            Volatile.Write(ref _currentIndex, i);
            Volatile.Write(ref _startedAt, Stopwatch.GetTimestamp());
            try
            {
                target.Run(input);
            }
            catch (Exception e)
            {
                RecordEscape(i, input, e);
            }

            Volatile.Write(ref _startedAt, 0);
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
        long reported = -1;
        var nextProgress = TimeSpan.FromSeconds(10);
        while (!worker.Join(50))
        {
            var started = Volatile.Read(ref _startedAt);
            var index = Volatile.Read(ref _currentIndex);
            var input = Volatile.Read(ref _current);
            if (started != 0 && started == Volatile.Read(ref _startedAt))
            {
                var running = Stopwatch.GetElapsedTime(started);
                if (running > options.HangAfter && index != reported)
                {
                    reported = index;
                    var saved = Save("hang", index, input, $"still running after {running.TotalMilliseconds:N0} ms");
                    lock (_lock)
                    {
                        _hangs.Add(string.Create(CultureInfo.InvariantCulture, $"input {index} ran over {options.HangAfter.TotalMilliseconds:N0} ms, saved as {saved}"));
                    }
                }

                if (running > options.GiveUpAfter)
                {
                    options.Progress?.WriteLine($"{target.Name}: input {index} still running after {running}; giving up");
                    return true;
                }
            }

            if (options.Progress is not null && clock.Elapsed > nextProgress)
            {
                nextProgress += TimeSpan.FromSeconds(30);
                var done = Interlocked.Read(ref _done);
                options.Progress.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{target.Name}: {done:N0} inputs, {done / clock.Elapsed.TotalSeconds:N0}/s, {_escapes.Count} escape kinds, {_hangs.Count} hangs, heap {Interlocked.Read(ref _lastHeap) / (1024 * 1024)} MiB"));
            }
        }

        return false;
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

        var saved = Save("escape", index, input, e.ToString());
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

    private string? Save(string kind, long index, byte[] input, string why)
    {
        lock (_lock)
        {
            if ((kind == "hang" ? _hangs.Count : _escapes.Count) >= SavedPerKind * 10)
            {
                return null;
            }
        }

        var path = Path.Combine(options.OutputDirectory, string.Create(CultureInfo.InvariantCulture, $"{target.Name}-{kind}-{options.Seed}-{index}.bin"));
        File.WriteAllBytes(path, input);
        File.WriteAllText(Path.ChangeExtension(path, ".txt"), why + Environment.NewLine);
        return path;
    }

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
