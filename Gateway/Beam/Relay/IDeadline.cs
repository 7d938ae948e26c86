namespace Gateway.Beam.Relay;

/// <summary>Something <see cref="RelayDeadlines"/> watches: on each tick it is asked to end itself if its deadline has passed.</summary>
internal interface IDeadline
{
    /// <summary>Ends what waits if the deadline has passed; <paramref name="now"/> is <see cref="Environment.TickCount64"/>.</summary>
    void Expire(long now);
}
