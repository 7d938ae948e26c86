using System.IO.Pipelines;
using System.Net;
using Gateway.Devices.Mqtt;

namespace Gateway.Tests.Devices;

/// <summary>
/// The MQTT pipeline's record of one connection: its closed signal (created only when someone waits), its deadline on
/// the shared tick (the CONNECT's, then 1.5 × keepalive, held while a message is in delivery), and ending it from outside.
/// </summary>
public sealed class MqttDeviceSessionTests
{
    private static MqttDeviceSession Session(Pipe? pipe = null, TimeSpan? connectTimeout = null)
    {
        pipe ??= new Pipe();
        return new(pipe.Reader, pipe.Writer, new IPEndPoint(IPAddress.Loopback, 1), "mqtt", connectTimeout ?? TimeSpan.FromSeconds(10));
    }

    private static MqttDeviceConnect Connect(ushort keepAlive) => new() { Level = 4, KeepAliveSeconds = keepAlive, ClientId = "c" };

    [Fact]
    public void Closed_completes_when_it_was_awaited_before_the_connection_closed()
    {
        var session = Session();
        var closed = session.Closed;
        Assert.False(closed.IsCompleted);
        Assert.False(session.IsClosed);

        Assert.True(session.MarkClosed());
        Assert.True(closed.IsCompleted);
        Assert.True(session.IsClosed);
    }

    [Fact]
    public void Closed_is_already_complete_when_first_asked_after_the_connection_closed()
    {
        var session = Session();
        Assert.True(session.MarkClosed());
        Assert.True(session.Closed.IsCompleted);
    }

    [Fact]
    public void A_connection_is_marked_closed_once()
    {
        var session = Session();
        Assert.True(session.MarkClosed());
        Assert.False(session.MarkClosed());
        Assert.True(session.Closed.IsCompleted);
    }

    [Fact]
    public async Task Past_the_connect_deadline_the_pending_read_is_cancelled()
    {
        var pipe = new Pipe();
        var session = Session(pipe, TimeSpan.FromSeconds(10));
        var read = pipe.Reader.ReadAsync(TestContext.Current.CancellationToken);

        session.Expire(Environment.TickCount64 + 9_000);
        Assert.False(read.IsCompleted);

        session.Expire(Environment.TickCount64 + 10_001);
        Assert.True((await read).IsCanceled);
        Assert.Equal(0x8D, session.EndReason);
    }

    [Theory]
    [InlineData(10, 14_000, false)]
    [InlineData(10, 15_100, true)]
    [InlineData(0, 100_000_000, false)]
    public void The_keepalive_cut_is_one_and_a_half_keepalives_and_none_for_keepalive_0(ushort keepAlive, long later, bool ends)
    {
        var session = Session();
        session.Admitted(Connect(keepAlive), "c", "440101234567890");

        session.Expire(Environment.TickCount64 + later);

        Assert.Equal(ends ? 0x8D : 0, session.EndReason);
    }

    [Fact]
    public void A_message_in_delivery_holds_the_keepalive_and_its_end_restarts_it()
    {
        var session = Session();
        session.Admitted(Connect(10), "c", "440101234567890");

        session.Busy();
        session.Expire(Environment.TickCount64 + 60_000);
        Assert.Equal(0, session.EndReason);

        session.Touch();
        session.Expire(Environment.TickCount64 + 16_000);
        Assert.Equal(0x8D, session.EndReason);
    }

    [Fact]
    public void Ended_once_the_first_reason_stays()
    {
        var session = Session();
        session.End(0x8E);
        session.End(0x8D);
        Assert.Equal(0x8E, session.EndReason);
    }

    [Fact]
    public void A_QoS_2_identifier_awaits_its_release_once()
    {
        var session = Session();
        Assert.False(session.IsAwaitingRelease(7));
        Assert.False(session.Release(7));

        session.AwaitRelease(7);
        Assert.True(session.IsAwaitingRelease(7));
        Assert.True(session.Release(7));
        Assert.False(session.IsAwaitingRelease(7));
    }
}
