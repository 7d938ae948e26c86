using System.Threading.Tasks.Sources;

namespace Gateway.Beam.Relay.Loop;

/// <summary>
/// A reusable awaitable one waiter at a time, completed by the event loop. The waiter's continuation runs inline,
/// on the loop, where the completion happens: the relay's async code then goes on with no thread hop, as a callback
/// would.
/// </summary>
internal sealed class LoopCompletion<T> : IValueTaskSource<T>, IValueTaskSource
{
    private ManualResetValueTaskSourceCore<T> _core;

    public bool IsPending { get; private set; }

    /// <summary>A new wait, to be ended by <see cref="SetResult"/> or <see cref="SetException"/>.</summary>
    public ValueTask<T> Wait()
    {
        _core.Reset();
        IsPending = true;
        return new ValueTask<T>(this, _core.Version);
    }

    /// <summary>The same wait, for a caller that needs no result.</summary>
    public ValueTask WaitWithoutResult()
    {
        _core.Reset();
        IsPending = true;
        return new ValueTask(this, _core.Version);
    }

    public void SetResult(T result)
    {
        IsPending = false;
        _core.SetResult(result);
    }

    public void SetException(Exception exception)
    {
        IsPending = false;
        _core.SetException(exception);
    }

    public T GetResult(short token) => _core.GetResult(token);

    void IValueTaskSource.GetResult(short token) => _core.GetResult(token);

    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}
