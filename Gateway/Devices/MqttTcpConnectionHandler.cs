using Microsoft.AspNetCore.Connections;
using MQTTnet.Adapter;
using MQTTnet.Diagnostics.Logger;
using MQTTnet.Formatter;
using MQTTnet.Server;

namespace Gateway.Devices;

/// <summary>
/// The MQTT port's Kestrel connection handler, feeding MQTTnet's server one <see cref="MqttKestrelChannel"/> per
/// connection (in place of MQTTnet.AspNetCore's handler, whose channel has no packet-size limit). MQTTnet finds it as
/// one of its server adapters and sets <see cref="ClientHandler"/> when it starts.
/// </summary>
internal sealed class MqttTcpConnectionHandler(MqttPacketLimit limit) : ConnectionHandler, IMqttServerAdapter
{
    private MqttServerOptions? _options;

    public Func<IMqttChannelAdapter, Task>? ClientHandler { get; set; }

    public Task StartAsync(MqttServerOptions options, IMqttNetLogger logger)
    {
        _options = options;
        return Task.CompletedTask;
    }

    public Task StopAsync() => Task.CompletedTask;

    public void Dispose()
    {
    }

    public override async Task OnConnectedAsync(ConnectionContext connection)
    {
        // Before MQTTnet started (or after it stopped) there is no one to hand the connection to: it is closed.
        if (ClientHandler is not { } handler || _options is not { } options)
        {
            return;
        }

        var formatter = new MqttPacketFormatterAdapter(new MqttBufferWriter(options.WriterBufferSize, options.WriterBufferSizeMax));
        using var channel = new MqttKestrelChannel(formatter, connection, limit);
        await handler(channel);
    }
}
