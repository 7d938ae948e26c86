using System.Net;
using System.Text.Json.Nodes;
using Gateway.Pipeline;
using Gateway.Registry;
using Gateway.Sessions;
using Gateway.Tests.Infrastructure;
using Gateway.Tests.Registry;
using Microsoft.Extensions.Options;

namespace Gateway.Tests.Sessions;

/// <summary>Online state and last seen: by messages within the window, by live connections, never for unknown devices.</summary>
public sealed class DeviceSessionsTests
{
    private const string Imsi = "440101234567890";

    private readonly ManualClock _clock = new();

    private DeviceSessions Sessions(int windowSeconds = 60) =>
        new(_clock, Options.Create(new SessionOptions { OnlineWindowSeconds = windowSeconds }));

    private long Now => _clock.GetUtcNow().ToUnixTimeMilliseconds();

    [Fact]
    public void A_device_never_seen_is_offline_with_no_last_seen()
    {
        Assert.Equal(new SessionStatus(false, null, 0), Sessions().Status(Imsi));
    }

    [Fact]
    public void Seen_is_online_for_the_window_then_offline_with_the_time_kept()
    {
        var sessions = Sessions(windowSeconds: 60);
        sessions.Seen(Imsi);
        var seenAt = Now;

        _clock.Advance(TimeSpan.FromSeconds(60));
        Assert.Equal(new SessionStatus(true, seenAt, 0), sessions.Status(Imsi));
        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(new SessionStatus(false, seenAt, 0), sessions.Status(Imsi));
    }

    [Fact]
    public void The_time_is_written_at_most_once_a_second()
    {
        var sessions = Sessions();
        sessions.Seen(Imsi);
        var first = Now;
        _clock.Advance(TimeSpan.FromMilliseconds(999));
        sessions.Seen(Imsi);
        Assert.Equal(first, sessions.Status(Imsi).LastSeenMs);

        _clock.Advance(TimeSpan.FromMilliseconds(1));
        sessions.Seen(Imsi);
        Assert.Equal(Now, sessions.Status(Imsi).LastSeenMs);
    }

    [Fact]
    public void A_live_connection_keeps_it_online_past_the_window_and_its_end_is_the_last_seen()
    {
        var sessions = Sessions(windowSeconds: 10);
        sessions.Connected(Imsi);
        sessions.Connected(Imsi);
        _clock.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal(new SessionStatus(true, Now - 300_000, 2), sessions.Status(Imsi));

        sessions.Disconnected(Imsi);
        Assert.Equal(new SessionStatus(true, Now, 1), sessions.Status(Imsi));
        sessions.Disconnected(Imsi);
        var closedAt = Now;
        _clock.Advance(TimeSpan.FromSeconds(11));
        Assert.Equal(new SessionStatus(false, closedAt, 0), sessions.Status(Imsi));
    }

    [Fact]
    public void Anonymous_devices_are_not_tracked()
    {
        var sessions = Sessions();
        sessions.Seen(string.Empty);
        sessions.Connected(string.Empty);
        Assert.Equal(new SessionStatus(false, null, 0), sessions.Status(string.Empty));
    }

    [Fact]
    public void The_resolver_marks_an_admitted_device_seen_and_a_refused_one_not()
    {
        var sessions = Sessions();
        var errors = new List<string>();
        var doc = RegistryParser.Parse(JsonNode.Parse(RegistryParserTests.Seed(subscribers: """
            , { "imsi": "440101234567894", "ipAddress": "127.0.0.14", "status": "suspended" }
            """)), errors);
        Assert.Empty(errors);
        var resolver = new IdentityResolver(sessions);
        resolver.Publish(new RegistrySnapshot(doc!));

        Assert.True(resolver.ResolveAddress(IPAddress.Parse("127.0.0.11")).IsKnown);
        Assert.False(resolver.ResolveAddress(IPAddress.Parse("127.0.0.14")).IsKnown);

        Assert.True(sessions.Status(Imsi).Online);
        Assert.Null(sessions.Status("440101234567894").LastSeenMs);
    }

    [Fact]
    public async Task Each_message_through_the_pipeline_marks_its_device_seen()
    {
        var sessions = Sessions();
        var pipeline = new MessagePipeline([], sessions);
        var device = new DeviceIdentity(new Subscriber { Imsi = Imsi, GroupId = "g" }, new Group { GroupId = "g" }, null, RefusalReason.None);

        await pipeline.ProcessAsync(
            new DeviceMessage { Device = device, Protocol = SourceProtocol.Tcp, EntryPoint = "tcp", Payload = "x"u8.ToArray(), ReceivedAtMs = Now },
            TestContext.Current.CancellationToken);

        Assert.Equal(new SessionStatus(true, Now, 0), sessions.Status(Imsi));
    }
}
