using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Gateway.Registry;
using Gateway.Registry.Stores;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Gateway.Benchmarks;

/// <summary>
/// The registry at operator scale, measured in-process on the real code and a real SQLite store:
/// generate a seed of N subscribers, start from it (parse + validate + write + publish), start again from the store
/// alone (a restart), time single admin writes at that size, time identity resolution, and record memory per
/// subscriber. <c>registry-scale N [dir]</c>; <c>registry-seed N file</c> only writes the seed.
/// </summary>
internal static class RegistryScale
{
    public static async Task<int> RunAsync(string[] args)
    {
        var n = int.Parse(args[0], CultureInfo.InvariantCulture);
        var dir = args.Length > 1 ? args[1] : Directory.CreateTempSubdirectory("gw-regscale-").FullName;
        Directory.CreateDirectory(dir);
        var seedPath = Path.Combine(dir, $"seed-{n}.json");
        var dbPath = Path.Combine(dir, "registry.db");
        if (args.Length > 2 && args[2] == "--read-only")
        {
            var readCpu = Cpu();
            var rows = 0L;
            var store = new SqliteRegistryStore(dbPath);
            await store.InitializeAsync(CancellationToken.None);
            await store.ReadAsync(-1, RegistryElementKind.Subscriber, (_, _, doc) => rows += doc!.Length, CancellationToken.None);
            Console.WriteLine($"read: {(Cpu() - readCpu).TotalSeconds:F1} s CPU, {rows} chars");
            return 0;
        }

        if (args.Length > 2 && args[2] == "--restart-only")
        {
            // Only the restart, from the store a previous run left: quicker to repeat.
            var restartCpu = Cpu();
            var restartSys = Sys();
            var restartClock = Stopwatch.StartNew();
            var allocated = GC.GetTotalAllocatedBytes();
            var noGc = Environment.GetEnvironmentVariable("BENCH_NOGC") is { } size && GC.TryStartNoGCRegion(long.Parse(size, CultureInfo.InvariantCulture));
            var (restarted, restartedResolver) = await StartAsync(dbPath, dir, null);
            if (noGc && System.Runtime.GCSettings.LatencyMode == System.Runtime.GCLatencyMode.NoGCRegion)
            {
                GC.EndNoGCRegion();
            }

            Console.WriteLine($"start from the store (restart): {restartClock.Elapsed.TotalSeconds:F1} s wall, {(Cpu() - restartCpu).TotalSeconds:F1} s CPU, {restarted.Snapshot.SubscriberCount:N0} subscribers; GC paused {GC.GetTotalPauseDuration().TotalSeconds:F1} s, collections {GC.CollectionCount(0)}/{GC.CollectionCount(1)}/{GC.CollectionCount(2)}, allocated {(GC.GetTotalAllocatedBytes() - allocated) / 1048576} MiB (no-GC region {noGc}); of the CPU {(Sys() - restartSys).TotalSeconds:F1} s in the kernel");
            Settle();
            Resolution(restartedResolver, restarted.Snapshot.SubscriberCount);
            await restarted.StopAsync(CancellationToken.None);
            return 0;
        }

        foreach (var f in new[] { dbPath, dbPath + "-wal", dbPath + "-shm" })
        {
            File.Delete(f);
        }

        var sw = Stopwatch.StartNew();
        RegistrySeedGenerator.Write(seedPath, n);
        Console.WriteLine($"subscribers: {n:N0}; seed file {new FileInfo(seedPath).Length / 1048576.0:F1} MiB written in {sw.Elapsed.TotalSeconds:F1} s");
        var baseline = Settle();

        // 1. Start from the seed file: parse (streamed), validate, write to the store, publish.
        sw.Restart();
        var cpu = Cpu();
        var errors = new List<string>();
        var seed = RegistrySeedFile.Load(seedPath, errors) ?? throw new InvalidOperationException(string.Join("\n", errors));
        var parsed = sw.Elapsed;
        var parsedCpu = Cpu() - cpu;
        var (service, resolver) = await StartAsync(dbPath, dir, seed);
        var seeded = sw.Elapsed;
        var seededCpu = Cpu() - cpu;
        seed = null;
        Console.WriteLine($"start from seed: {seeded.TotalSeconds:F1} s wall, {seededCpu.TotalSeconds:F1} s CPU (parse and check the file {parsed.TotalSeconds:F1} s wall, {parsedCpu.TotalSeconds:F1} s CPU; fit, write and publish {(seeded - parsed).TotalSeconds:F1} s wall, {(seededCpu - parsedCpu).TotalSeconds:F1} s CPU)");
        await service.StopAsync(CancellationToken.None);

        // 2. Restart: the store alone.
        service = null;
        resolver = null;
        var beforeRestart = Settle();
        sw.Restart();
        cpu = Cpu();
        (service, resolver) = await StartAsync(dbPath, dir, null);
        Console.WriteLine($"start from the store (restart): {sw.Elapsed.TotalSeconds:F1} s wall, {(Cpu() - cpu).TotalSeconds:F1} s CPU, snapshot version {service.Snapshot.Version}");
        var loaded = Settle();
        Console.WriteLine($"memory for the registry: managed heap {(loaded.Managed - beforeRestart.Managed) / (double)n:F0} B per subscriber; process RSS {loaded.Rss / 1048576.0:F0} MiB ({(loaded.Rss - baseline.Rss) / (double)n:F0} B per subscriber over the {baseline.Rss / 1048576.0:F0} MiB before loading)");

        // 3. Admin writes at this size: update (tags), create, delete; each validated, written and published.
        await AdminWritesAsync(service, n);

        // 4. Identity resolution against this registry (static addresses; a RADIUS-bound address; an unknown one).
        Resolution(resolver, n);
        await service.StopAsync(CancellationToken.None);
        return 0;
    }

    public static int WriteSeed(string[] args)
    {
        RegistrySeedGenerator.Write(args[1], int.Parse(args[0], CultureInfo.InvariantCulture));
        return 0;
    }

    private static async Task<(RegistryService Service, IdentityResolver Resolver)> StartAsync(string dbPath, string dir, RegistryDocument? seed)
    {
        var resolver = new IdentityResolver();
        var options = Options.Create(new RegistryOptions { DataDirectory = dir, Demo = false, PollInterval = TimeSpan.FromSeconds(1) });
        var service = new RegistryService(new SqliteRegistryStore(dbPath), resolver, options, NullLogger<RegistryService>.Instance, seed);
        await service.StartAsync(CancellationToken.None);
        return (service, resolver);
    }

    private static async Task AdminWritesAsync(RegistryService service, int n)
    {
        var times = new List<double>();
        var cpu = Cpu();
        var collections = (GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2));
        var random = new Random(7);
        for (var k = 0; k < 200; k++)
        {
            var i = random.Next(n);
            var change = (k % 3) switch
            {
                0 => new RegistryChange(RegistryElementKind.Subscriber, RegistrySeedGenerator.Imsi(i), new JsonObject
                {
                    ["imsi"] = RegistrySeedGenerator.Imsi(i),
                    ["groupId"] = "fleet-1",
                    ["ipAddress"] = RegistrySeedGenerator.Address(i),
                    ["tags"] = new JsonObject { ["name"] = $"renamed-{k}" },
                }),
                1 => new RegistryChange(RegistryElementKind.Subscriber, (450100000000000L + k).ToString(CultureInfo.InvariantCulture), new JsonObject
                {
                    ["imsi"] = (450100000000000L + k).ToString(CultureInfo.InvariantCulture),
                    ["groupId"] = "fleet-2",
                    ["ipAddress"] = $"11.0.{k / 256}.{k % 256}",
                }),
                _ => new RegistryChange(RegistryElementKind.Subscriber, (450100000000000L + k - 1).ToString(CultureInfo.InvariantCulture), null),
            };
            var sw = Stopwatch.StartNew();
            var result = await service.ApplyAsync([change], CancellationToken.None);
            times.Add(sw.Elapsed.TotalMilliseconds);
            if (!result.Succeeded)
            {
                throw new InvalidOperationException(string.Join("\n", result.Errors));
            }
        }

        var cpuEach = (Cpu() - cpu).TotalMilliseconds / times.Count;
        times.Sort();
        Console.WriteLine($"admin write (update, create, delete; 200): median {times[times.Count / 2]:F2} ms, p99 {times[(int)(times.Count * 0.99)]:F2} ms, max {times[^1]:F2} ms wall; {cpuEach:F2} ms CPU each; collections during them {GC.CollectionCount(0) - collections.Item1}/{GC.CollectionCount(1) - collections.Item2}/{GC.CollectionCount(2) - collections.Item3}");
    }

    private static void Resolution(IdentityResolver resolver, int n)
    {
        var addresses = new IPAddress[4096];
        var random = new Random(11);
        for (var i = 0; i < addresses.Length; i++)
        {
            addresses[i] = IPAddress.Parse(RegistrySeedGenerator.Address(random.Next(n)));
        }

        resolver.Bind(IPAddress.Parse("100.64.0.1"), new AddressBinding(RegistrySeedGenerator.Imsi(0), null, null, DateTimeOffset.UnixEpoch));
        var known = 0;

        // One SIM over and over (what the BenchmarkDotNet IdentityBenchmarks measure): the lookup's own cost, in cache.
        // First a second of it untimed, so that the lookup runs at its final tier of compilation: a restart from
        // SQLite no longer calls RegistrySnapshot.Key while it loads, and the timed loop would otherwise include
        // the lookup's first, unoptimised calls (some 15 ns more on average).
        var same = addresses[0];
        for (var warm = Stopwatch.StartNew(); warm.ElapsedMilliseconds < 1000;)
        {
            known += resolver.ResolveAddress(same).IsKnown ? 1 : 0;
        }

        var hotCpu = Cpu();
        for (var i = 0; i < 5_000_000; i++)
        {
            known += resolver.ResolveAddress(same).IsKnown ? 1 : 0;
        }

        Console.WriteLine($"identity resolution, the same SIM repeatedly: {(Cpu() - hotCpu).TotalNanoseconds / 5_000_000:F0} ns CPU");
        for (var round = 0; round < 3; round++)
        {
            const int Iterations = 5_000_000;
            var cpu = Cpu();
            var sw = Stopwatch.StartNew();
            for (var i = 0; i < Iterations; i++)
            {
                known += resolver.ResolveAddress(addresses[i & 4095]).IsKnown ? 1 : 0;
            }

            Console.WriteLine($"identity resolution by static address, random SIMs of {n:N0}, round {round + 1}: {sw.Elapsed.TotalNanoseconds / Iterations:F0} ns wall, {(Cpu() - cpu).TotalNanoseconds / Iterations:F0} ns CPU");
        }

        if (known == 0)
        {
            throw new InvalidOperationException("nothing resolved");
        }
    }

    /// <summary>This process's CPU time: on a shared 2-core machine wall time says more about the neighbours.</summary>
    private static TimeSpan Cpu()
    {
        using var process = Process.GetCurrentProcess();
        return process.TotalProcessorTime;
    }

    /// <summary>This process's CPU time in the kernel (page faults of a growing heap, I/O).</summary>
    private static TimeSpan Sys()
    {
        using var process = Process.GetCurrentProcess();
        return process.PrivilegedProcessorTime;
    }

    private static (long Managed, long Rss) Settle()
    {
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        using var process = Process.GetCurrentProcess();
        return (GC.GetTotalMemory(false), process.WorkingSet64);
    }
}
