using System.Diagnostics;
using System.Globalization;
using Gateway.Registry;
using Gateway.Registry.Stores;

namespace Gateway.Benchmarks;

/// <summary>
/// What another instance's binding change costs an instance holding N bindings (an attach storm's aftermath): reading
/// every binding and replacing them (what the poll did until the bindings were read by change), against reading the
/// addresses changed since its version. SQLite in a temporary directory; CPU time of this process per catch-up.
/// <code>binding-catchup [N]   default 300000</code>
/// </summary>
internal static class BindingCatchUp
{
    private const int Changes = 200;

    public static async Task<int> RunAsync(string[] args)
    {
        var n = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 300_000;
        var dir = Directory.CreateTempSubdirectory("binding-catchup-").FullName;
        try
        {
            await using var store = new SqliteRegistryStore(Path.Combine(dir, "registry.db"));
            await store.InitializeAsync(CancellationToken.None);
            for (var start = 0; start < n; start += 1000)
            {
                await store.WriteBindingsAsync([.. Enumerable.Range(start, Math.Min(1000, n - start)).Select(static i => Change(i, 0))], CancellationToken.None);
            }

            var resolver = new IdentityResolver();
            for (var round = 1; round <= 3; round++)
            {
                var (cpu, wall) = await TimeAsync(async () =>
                {
                    var all = new List<(string Address, AddressBinding Binding)>();
                    await store.ReadBindingsAsync(-1, (address, binding) => all.Add((address, binding!)), CancellationToken.None);
                    resolver.ReplaceBindings(all);
                });
                Console.WriteLine($"binding-catchup {n:N0} bindings, round {round}: every binding read and replaced: {cpu.TotalMilliseconds:F1} ms CPU, {wall.TotalMilliseconds:F1} ms wall");

                var version = await store.GetBindingsVersionAsync(CancellationToken.None);
                var total = (Cpu: TimeSpan.Zero, Wall: TimeSpan.Zero);
                for (var i = 0; i < Changes; i++)
                {
                    // Another instance's write of one session, then this instance's read of what changed.
                    await store.WriteBindingsAsync([Change(Random.Shared.Next(n), round * Changes + i)], CancellationToken.None);
                    var (c, w) = await TimeAsync(async () => version = await store.ReadBindingsAsync(version, resolver.ApplyBinding, CancellationToken.None));
                    total = (total.Cpu + c, total.Wall + w);
                }

                Console.WriteLine($"binding-catchup {n:N0} bindings, round {round}: one changed binding read and applied: {total.Cpu.TotalMilliseconds * 1000 / Changes:F0} µs CPU, {total.Wall.TotalMilliseconds * 1000 / Changes:F0} µs wall (mean of {Changes})");
            }

            return 0;
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(dir, recursive: true);
        }
    }

    private static BindingChange Change(int i, int second) =>
        new($"10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}", new AddressBinding($"44010{i:0000000000}", null, null, DateTimeOffset.UnixEpoch.AddSeconds(second), "pgw-1"), null);

    private static async Task<(TimeSpan Cpu, TimeSpan Wall)> TimeAsync(Func<Task> work)
    {
        var cpu = Cpu();
        var wall = Stopwatch.StartNew();
        await work();
        return (Cpu() - cpu, wall.Elapsed);
    }

    /// <summary>This process's CPU time: on a shared 2-core machine wall time says more about the neighbours.</summary>
    private static TimeSpan Cpu()
    {
        using var process = Process.GetCurrentProcess();
        return process.TotalProcessorTime;
    }
}
