using System.Net;
using Gateway.Devices;
using MQTTnet.Formatter;

namespace Gateway.Tests.Devices;

/// <summary>The MQTT pipeline's record of one live connection: its closed signal, created only when someone waits.</summary>
public sealed class MqttDeviceConnectionTests
{
    private static MqttDeviceConnection Connection() => new(new IPEndPoint(IPAddress.Loopback, 1), MqttProtocolVersion.V311, "mqtt", "440101234567890");

    [Fact]
    public void Closed_completes_when_it_was_awaited_before_the_connection_closed()
    {
        var connection = Connection();
        var closed = connection.Closed;
        Assert.False(closed.IsCompleted);
        Assert.False(connection.IsClosed);

        Assert.True(connection.MarkClosed());
        Assert.True(closed.IsCompleted);
        Assert.True(connection.IsClosed);
    }

    [Fact]
    public void Closed_is_already_complete_when_first_asked_after_the_connection_closed()
    {
        var connection = Connection();
        Assert.True(connection.MarkClosed());
        Assert.True(connection.Closed.IsCompleted);
    }

    [Fact]
    public void A_connection_is_marked_closed_once()
    {
        var connection = Connection();
        Assert.True(connection.MarkClosed());
        Assert.False(connection.MarkClosed());
        Assert.True(connection.Closed.IsCompleted);
    }
}
