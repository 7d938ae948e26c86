namespace Gateway.Beam;

/// <summary>
/// An idle cut on a timer of its own: a cancellation source whose token every read and write of the relay waits with.
/// The TCP relay's; the MQTT relay, which holds many more idle connections, uses <see cref="Mqtt.SweptIdle"/>.
/// </summary>
internal sealed class TimerIdle(TimeSpan after) : IRelayIdle, IDisposable
{
    private readonly CancellationTokenSource _source = new(after);

    public CancellationToken Token => _source.Token;

    public void Restart() => _source.CancelAfter(after);

    public ValueTask EndAsync() => new(_source.CancelAsync());

    public void Dispose() => _source.Dispose();
}
