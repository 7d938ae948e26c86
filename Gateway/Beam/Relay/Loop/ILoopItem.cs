namespace Gateway.Beam.Relay.Loop;

/// <summary>Something registered with an <see cref="EventLoop"/>: told of its file descriptor's epoll events, on the loop.</summary>
internal interface ILoopItem
{
    void OnEvents(uint events);
}
