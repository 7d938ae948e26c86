using Gateway.Beam;

namespace Gateway.Lpwa;

/// <summary>The upstream's status, or (with <see cref="Failure"/>) why it could not be reached and the status to answer instead.</summary>
internal readonly record struct LpwaUpstreamResult(int Status, UpstreamFailure? Failure);
