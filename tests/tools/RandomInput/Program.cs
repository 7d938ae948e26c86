using System.Globalization;
using Gateway.RandomInput;

// dotnet run -c Release --project tests/tools/RandomInput -- [--parser all|NAME[,NAME...]] [--inputs N] [--seed N]
//   [--hang-ms N] [--heap-every N] [--out DIR] [--replay FILE] [--list]
// Exit code 0 when every parser ran clean, 1 when anything was found, 2 for a usage error. See README.md.
var parsers = "all";
var options = new RunOptions { Progress = Console.Error };
string? replay = null;
try
{
    for (var i = 0; i < args.Length; i++)
    {
        var value = i + 1 < args.Length ? args[i + 1] : null;
        switch (args[i])
        {
            case "--list":
                foreach (var target in ParserTargets.All())
                {
                    Console.WriteLine($"{target.Name,-16} {target.Description}");
                }

                return 0;
            case "--parser":
                parsers = value ?? throw new FormatException("--parser needs a name");
                break;
            case "--inputs":
                options = options with { Inputs = long.Parse(value!, NumberStyles.AllowThousands, CultureInfo.InvariantCulture) };
                break;
            case "--seed":
                options = options with { Seed = int.Parse(value!, CultureInfo.InvariantCulture) };
                break;
            case "--hang-ms":
                options = options with { HangAfter = TimeSpan.FromMilliseconds(int.Parse(value!, CultureInfo.InvariantCulture)) };
                break;
            case "--heap-every":
                options = options with { HeapEvery = long.Parse(value!, CultureInfo.InvariantCulture) };
                break;
            case "--out":
                options = options with { OutputDirectory = value ?? throw new FormatException("--out needs a directory") };
                break;
            case "--replay":
                replay = value ?? throw new FormatException("--replay needs a file");
                break;
            default:
                throw new FormatException($"unknown option {args[i]}");
        }

        if (args[i] != "--list")
        {
            i++;
        }
    }

    if (options.Inputs <= 0 || options.HeapEvery <= 0 || options.HangAfter <= TimeSpan.Zero)
    {
        throw new FormatException("--inputs, --heap-every and --hang-ms must be positive");
    }

    var targets = parsers == "all" ? [.. ParserTargets.All()] : parsers.Split(',').Select(ParserTargets.Create).ToList();
    if (replay is not null)
    {
        // Feeds one saved input again and prints what escapes, with its stack.
        var input = File.ReadAllBytes(replay);
        var escaped = false;
        foreach (var target in targets)
        {
            try
            {
                // Timed over many runs too, to tell a slow input from a stall of the machine.
                var clock = System.Diagnostics.Stopwatch.StartNew();
                for (var run = 0; run < 1000; run++)
                {
                    target.Run(input);
                }

                Console.WriteLine($"{target.Name}: {input.Length} bytes ran without an escape, {clock.Elapsed.TotalMilliseconds / 1000:N4} ms a run (1,000 runs)");
            }
            catch (Exception e)
            {
                escaped = true;
                Console.WriteLine($"{target.Name}: {input.Length} bytes: {e}");
            }
        }

        return escaped ? 1 : 0;
    }

    var results = new List<RunResult>();
    foreach (var target in targets)
    {
        Console.Error.WriteLine($"{target.Name}: {options.Inputs:N0} inputs, seed {options.Seed} — {target.Description}");
        var result = new RandomInputRunner(target, options).Run();
        results.Add(result);
        Console.Error.Write(result.Describe());
    }

    Console.WriteLine($"seed {options.Seed}, hang bound {options.HangAfter.TotalMilliseconds:N0} ms, heap measured every {options.HeapEvery:N0} inputs, findings in {options.OutputDirectory}");
    Console.WriteLine();
    Console.WriteLine("| parser | inputs | inputs/s | escapes | hangs (stalls) | heap after forced GC: first → last (max) | time |");
    Console.WriteLine("|---|---:|---:|---:|---:|---|---:|");
    foreach (var result in results)
    {
        Console.WriteLine(result.Row());
    }

    foreach (var result in results.Where(static r => !r.Clean || r.Stalls.Count > 0))
    {
        Console.WriteLine();
        Console.Write(result.Describe());
    }

    return results.All(static r => r.Clean) ? 0 : 1;
}
catch (Exception e) when (e is FormatException or ArgumentException or OverflowException or ArgumentNullException)
{
    Console.Error.WriteLine("random-input: " + e.Message);
    return 2;
}
