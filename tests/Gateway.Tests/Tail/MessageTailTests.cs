using Gateway.Pipeline;
using Gateway.Registry;
using Gateway.Tail;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Tail;

/// <summary>The live tail: kept only while watched, bounded, a copy of the bytes, with each service's outcome.</summary>
public sealed class MessageTailTests
{
    private const string Imsi = "440101234567890";

    private static readonly DeviceIdentity s_device = new(
        new Subscriber { Imsi = Imsi, GroupId = "g" }, new Group { GroupId = "g" }, null, RefusalReason.None);

    private readonly ManualClock _clock = new();
    private readonly MessageTail _tail;
    private readonly MessagePipeline _pipeline;

    public MessageTailTests()
    {
        _tail = new MessageTail(_clock);
        _pipeline = new MessagePipeline([new RefusingService()], tail: _tail);
    }

    private Task<PipelineResult> SendAsync(byte[] payload) => _pipeline.ProcessAsync(
        new DeviceMessage { Device = s_device, Protocol = SourceProtocol.Udp, EntryPoint = "udp", Payload = payload, ReceivedAtMs = 7 },
        TestContext.Current.CancellationToken).AsTask();

    [Fact]
    public async Task Nothing_is_kept_for_a_subscriber_nobody_watches()
    {
        await SendAsync("before"u8.ToArray());
        Assert.False(_tail.Watches(Imsi));

        var page = _tail.Read(Imsi, -1)!;
        Assert.Empty(page.Entries);
        Assert.Equal(-1, page.Cursor);
        Assert.True(_tail.Watches(Imsi));
    }

    [Fact]
    public async Task A_watched_message_is_copied_with_its_outcome_and_the_cursor_moves_on()
    {
        _tail.Read(Imsi, -1);
        var buffer = "hello"u8.ToArray();
        await SendAsync(buffer);
        buffer[0] = (byte)'J'; // the entry point's pooled buffer, reused after delivery

        var page = _tail.Read(Imsi, -1)!;
        var entry = Assert.Single(page.Entries);
        Assert.Equal("hello"u8.ToArray(), entry.Preview);
        Assert.Equal(("udp", 7L, 5), (entry.EntryPoint, entry.TimeMs, entry.Size));
        Assert.Equal(new TailResult("refusing", 413, "too large"), Assert.Single(entry.Results));
        Assert.Equal(0, page.Cursor);

        Assert.Empty(_tail.Read(Imsi, page.Cursor)!.Entries);
        await SendAsync("again"u8.ToArray());
        Assert.Equal("again"u8.ToArray(), Assert.Single(_tail.Read(Imsi, page.Cursor)!.Entries).Preview);
    }

    [Fact]
    public async Task The_ring_keeps_the_latest_fifty_and_a_late_reader_is_told_how_many_it_missed()
    {
        _tail.Read(Imsi, -1);
        for (var i = 0; i < 60; i++)
        {
            await SendAsync([(byte)i]);
        }

        var page = _tail.Read(Imsi, 4)!;
        Assert.Equal(MessageTail.Capacity, page.Entries.Count);
        Assert.Equal(10, page.Entries[0].Preview[0]);
        Assert.Equal(59, page.Cursor);
        Assert.Equal(5, page.Missed);
    }

    [Fact]
    public async Task Only_the_first_bytes_are_copied()
    {
        _tail.Read(Imsi, -1);
        await SendAsync(new byte[10_000]);
        var entry = Assert.Single(_tail.Read(Imsi, -1)!.Entries);
        Assert.Equal(MessageTail.PreviewBytes, entry.Preview.Length);
        Assert.Equal(10_000, entry.Size);
    }

    [Fact]
    public async Task A_watch_lapses_a_minute_after_the_last_read()
    {
        _tail.Read(Imsi, -1);
        _clock.Advance(TimeSpan.FromMilliseconds(MessageTail.WatchMs + 1));
        await SendAsync("late"u8.ToArray());
        Assert.False(_tail.Watches(Imsi));
        Assert.Empty(_tail.Read(Imsi, -1)!.Entries);
    }

    [Fact]
    public void At_most_sixty_four_subscribers_are_watched_until_a_watch_lapses()
    {
        for (var i = 0; i < MessageTail.MaxWatched; i++)
        {
            Assert.NotNull(_tail.Read($"44010000000{i:D4}", -1));
        }

        Assert.Null(_tail.Read(Imsi, -1));
        Assert.NotNull(_tail.Read("440100000000000", -1)); // already watched: still served
        _clock.Advance(TimeSpan.FromMilliseconds(MessageTail.WatchMs + 1));
        Assert.NotNull(_tail.Read(Imsi, -1));
    }

    private sealed class RefusingService : IDeviceService
    {
        public string Name => "refusing";

        public bool Accepts(DeviceIdentity device, SourceProtocol protocol) => true;

        public ValueTask<ServiceResult> DeliverAsync(DeviceMessage message, CancellationToken cancellationToken) =>
            ValueTask.FromResult(ServiceResult.Refusal(Name, message.Protocol, 413, "too large"));
    }
}
