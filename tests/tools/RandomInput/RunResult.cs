using System.Globalization;
using System.Text;

namespace Gateway.RandomInput;

/// <summary>What one target's run found.</summary>
internal sealed record RunResult
{
    public required string Parser { get; init; }

    public required long Inputs { get; init; }

    public required TimeSpan Elapsed { get; init; }

    public required IReadOnlyList<Finding> Escapes { get; init; }

    /// <summary>Inputs that ran longer than <see cref="RunOptions.HangAfter"/>, each saved.</summary>
    public required IReadOnlyList<string> Hangs { get; init; }

    /// <summary>Inputs that ran longer than the bound once but were fast when run again: the machine stalled, not the parser.</summary>
    public IReadOnlyList<string> Stalls { get; init; } = [];

    /// <summary>An input ran past <see cref="RunOptions.GiveUpAfter"/> and the run ended there.</summary>
    public bool GaveUp { get; init; }

    public long FirstHeapBytes { get; init; }

    public long LastHeapBytes { get; init; }

    public long MaxHeapBytes { get; init; }

    public bool HeapGrew { get; init; }

    public long EscapeCount => Escapes.Sum(static f => f.Count);

    public double InputsPerSecond => Inputs / Math.Max(Elapsed.TotalSeconds, 1e-9);

    public bool Clean => EscapeCount == 0 && Hangs.Count == 0 && !GaveUp && !HeapGrew;

    /// <summary>A Markdown table row: parser, inputs, inputs/s, escapes, hangs (stalls), heap first → last (max).</summary>
    public string Row() => string.Create(CultureInfo.InvariantCulture,
        $"| `{Parser}` | {Inputs:N0} | {InputsPerSecond:N0} | {EscapeCount} | {Hangs.Count}{(GaveUp ? " (gave up)" : "")}{(Stalls.Count > 0 ? $" ({Stalls.Count} stall{(Stalls.Count > 1 ? "s" : "")})" : "")} | {Mib(FirstHeapBytes)} → {Mib(LastHeapBytes)} (max {Mib(MaxHeapBytes)}){(HeapGrew ? " **grew**" : "")} | {Elapsed.TotalSeconds:N0} s |");

    /// <summary>Every finding, one a line, for a report or a failed test's message.</summary>
    public string Describe()
    {
        var text = new StringBuilder(Row()).AppendLine();
        foreach (var escape in Escapes)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"  escape: {escape}").AppendLine(Indent(escape.Example));
        }

        foreach (var hang in Hangs)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"  hang: {hang}");
        }

        foreach (var stall in Stalls)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"  stall: {stall}");
        }

        return text.ToString();
    }

    private static string Mib(long bytes) => string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024):F1} MiB");

    private static string Indent(string text) => "    " + text.ReplaceLineEndings(Environment.NewLine + "    ");
}
