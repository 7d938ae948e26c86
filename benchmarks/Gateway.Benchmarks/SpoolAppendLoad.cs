using System.Diagnostics;
using System.Globalization;
using Gateway.Spool;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gateway.Benchmarks;

/// <summary>
/// <c>spool-append SECONDS WRITERS PAYLOAD_BYTES FSYNC [INTERVAL_MS]</c>: closed-loop appends to a spool in a temporary
/// directory (WRITERS concurrent writers, each waiting for its append to be acknowledged before the next, as a device
/// waits for its reply). Prints acknowledged appends per second, append latency p50/p99, and fsyncs made. Nothing reads
/// the spool, so the disk sees the appends only.
/// </summary>
internal static class SpoolAppendLoad
{
    public static async Task<int> RunAsync(string[] args)
    {
        var seconds = int.Parse(args[0], CultureInfo.InvariantCulture);
        var writers = int.Parse(args[1], CultureInfo.InvariantCulture);
        var payload = new byte[int.Parse(args[2], CultureInfo.InvariantCulture)];
        var options = new SpoolOptions { Fsync = args[3], FsyncIntervalMilliseconds = args.Length > 4 ? int.Parse(args[4], CultureInfo.InvariantCulture) : 10, MaxBytes = 8L << 30 };
        var dir = Directory.CreateTempSubdirectory("spool-bench-").FullName;
        try
        {
            await using var spool = DurableSpool.Open(dir, "bench", options, TimeProvider.System, NullLogger.Instance);
            var latencies = new List<double>[writers];
            var stop = Stopwatch.StartNew();
            await Task.WhenAll(Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
            {
                var mine = latencies[w] = new List<double>(100_000);
                while (stop.Elapsed.TotalSeconds < seconds)
                {
                    var started = Stopwatch.GetTimestamp();
                    if (await spool.AppendAsync(Guid.CreateVersion7(), payload) != SpoolAppend.Stored)
                    {
                        throw new InvalidOperationException("append refused");
                    }

                    mine.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                }
            })));
            var all = latencies.SelectMany(static l => l).Order().ToList();
            var rate = all.Count / stop.Elapsed.TotalSeconds;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"fsync={options.Fsync}{(options.Fsync == "interval" ? $"/{options.FsyncIntervalMilliseconds}ms" : "")} writers={writers} payload={payload.Length}B: {rate:F0} appends/s, p50 {all[all.Count / 2]:F3} ms, p99 {all[(int)(all.Count * 0.99)]:F3} ms, {all.Count} appends"));
            return 0;
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
