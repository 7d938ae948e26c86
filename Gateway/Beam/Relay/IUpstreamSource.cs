namespace Gateway.Beam.Relay;

/// <summary>Where a relay connection gets its upstream connections and gives them back for reuse.</summary>
internal interface IUpstreamSource
{
    /// <summary>An idle connection to the target's upstream, or a new one connected by <paramref name="deadline"/> (Environment.TickCount64).</summary>
    ValueTask<UpstreamConnection> RentAsync(RelayTarget target, long deadline);

    /// <summary>Hands back a connection that finished its exchange cleanly.</summary>
    void Return(RelayTarget target, UpstreamConnection connection);
}
