namespace Gateway.RandomInput;

/// <summary>How one target is run.</summary>
internal sealed record RunOptions
{
    public long Inputs { get; init; } = 10_000_000;

    public int Seed { get; init; } = 1;

    /// <summary>An input still running after this long is reported as a hang, and saved.</summary>
    public TimeSpan HangAfter { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>An input still running after this long ends the run: a thread cannot be stopped, so the rest is not fed.</summary>
    public TimeSpan GiveUpAfter { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>The heap is measured after a forced collection every this many inputs.</summary>
    public long HeapEvery { get; init; } = 100_000;

    /// <summary>Growth of the measured heap between the first and the last measurement that counts as a leak.</summary>
    public long HeapGrowthBound { get; init; } = 32L * 1024 * 1024;

    /// <summary>Where escaping and hanging inputs are saved: the first input of each kind of escape, and each hang (up to 30 of each).</summary>
    public string OutputDirectory { get; init; } = Path.Combine(Path.GetTempPath(), "gateway-random-input");

    /// <summary>Receives a progress line now and then; null for none.</summary>
    public TextWriter? Progress { get; init; }
}
