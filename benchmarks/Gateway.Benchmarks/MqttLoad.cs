using System.Diagnostics;
using System.Globalization;
using System.Net;
using MQTTnet;
using MQTTnet.Protocol;

namespace Gateway.Benchmarks;

/// <summary>
/// A closed-loop MQTT load generator: CONNECTIONS MQTT 5 clients per source address (each source a registered device;
/// the gateway identifies devices by source address), each keeping INFLIGHT QoS 1 publishes outstanding, for a fixed
/// time. Reports PUBACKs per second, failures and publish-to-PUBACK latency percentiles. Usage:
/// <c>mqtt-load HOST:PORT SECONDS SOURCE[,SOURCE…] CONNECTIONS INFLIGHT [PAYLOAD]</c>.
/// </summary>
internal static class MqttLoad
{
    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length < 5 || !IPEndPoint.TryParse(args[0], out var target))
        {
            await Console.Error.WriteLineAsync("usage: mqtt-load HOST:PORT SECONDS SOURCE[,SOURCE…] CONNECTIONS INFLIGHT [PAYLOAD]");
            return 2;
        }

        var seconds = double.Parse(args[1], CultureInfo.InvariantCulture);
        var sources = args[2].Split(',').Select(IPAddress.Parse).ToArray();
        var connections = int.Parse(args[3], CultureInfo.InvariantCulture);
        var inflight = int.Parse(args[4], CultureInfo.InvariantCulture);
        var payload = System.Text.Encoding.UTF8.GetBytes(args.Length > 5 ? args[5] : "{\"temp\":21.5,\"humidity\":40,\"battery\":3.3}");

        var factory = new MqttClientFactory();
        var clients = new List<IMqttClient>();
        var n = 0;
        foreach (var source in sources)
        {
            for (var c = 0; c < connections; c++)
            {
                var client = factory.CreateMqttClient();
                var options = new MqttClientOptionsBuilder()
                    .WithTcpServer(target.Address.ToString(), target.Port)
                    .WithClientId($"bench-{n++}")
                    .WithProtocolVersion(MQTTnet.Formatter.MqttProtocolVersion.V500)
                    .WithTimeout(TimeSpan.FromSeconds(10))
                    .Build();
                ((MqttClientTcpOptions)options.ChannelOptions).LocalEndpoint = new IPEndPoint(source, 0);
                var connected = await client.ConnectAsync(options);
                if (connected.ResultCode != MqttClientConnectResultCode.Success)
                {
                    await Console.Error.WriteLineAsync($"mqtt-load: {source} refused: {connected.ResultCode}");
                    return 1;
                }
                clients.Add(client);
            }
        }

        var message = new MqttApplicationMessageBuilder().WithTopic("bench/data").WithPayload(payload)
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build();
        var deadline = Stopwatch.GetTimestamp() + (long)(seconds * Stopwatch.Frequency);
        var workers = clients.SelectMany(client => Enumerable.Range(0, inflight).Select(_ => Task.Run(async () =>
        {
            var latencies = new List<double>();
            var failed = 0;
            while (Stopwatch.GetTimestamp() < deadline)
            {
                var started = Stopwatch.GetTimestamp();
                try
                {
                    var result = await client.PublishAsync(message);
                    if (result.ReasonCode == MqttClientPublishReasonCode.Success) latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                    else failed++;
                }
                catch (Exception e) when (e is MQTTnet.Exceptions.MqttCommunicationException or OperationCanceledException or TimeoutException)
                {
                    failed++;
                }
            }
            return (latencies, failed);
        }))).ToArray();
        var start = Stopwatch.GetTimestamp();
        var results = await Task.WhenAll(workers);
        var elapsed = Stopwatch.GetElapsedTime(start).TotalSeconds;
        foreach (var client in clients)
        {
            await client.DisconnectAsync();
            client.Dispose();
        }

        var all = results.SelectMany(static r => r.latencies).Order().ToArray();
        double P(double q) => all.Length == 0 ? double.NaN : all[Math.Min(all.Length - 1, (int)(q * all.Length))];
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{clients.Count} connections x {inflight} in flight: PUBACKs {all.Length} in {elapsed:0.0} s = {all.Length / elapsed:0} msg/s; failed {results.Sum(static r => r.failed)}; p50 {P(0.5):0.000} ms; p99 {P(0.99):0.000} ms; max {P(1):0.000} ms"));
        return 0;
    }
}
