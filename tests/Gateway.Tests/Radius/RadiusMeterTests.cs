namespace Gateway.Tests.Radius;

/// <summary>
/// Tests that read the process-wide <c>Gateway.Radius</c> meter run one at a time, and apart from other collections,
/// so that every count they see comes from their own listener.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RadiusMeterTests
{
    public const string Name = "radius";
}
