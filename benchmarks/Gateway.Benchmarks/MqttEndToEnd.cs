using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace Gateway.Benchmarks;

/// <summary>
/// End-to-end MQTT load through a relay: MQTT 3.1.1 publishers connect to ENTRY (the gateway's Beam MQTT port, or a
/// mosquitto that bridges on), one subscriber listens on SINK (the upstream broker) to <c>bench/#</c>. Each of
/// CONNECTIONS × INFLIGHT workers publishes one message and waits until the subscriber has it (or 5 s: lost), so the
/// loop is closed on delivery, not on the entry's PUBACK, and QoS 0 and 1 are measured alike. Latency is publish to
/// receipt at the sink; messages published during the first WARMUP seconds are not counted. Prints one line of
/// <c>key=value</c>. Usage: <c>mqtt-e2e ENTRY SINK SECONDS CONNECTIONS INFLIGHT QOS [WARMUP] [SOURCE]</c>.
/// </summary>
internal static class MqttEndToEnd
{
    private static readonly TimeSpan LostAfter = TimeSpan.FromSeconds(5);

    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length < 6 || !IPEndPoint.TryParse(args[0], out var entry) || !IPEndPoint.TryParse(args[1], out var sink))
        {
            await Console.Error.WriteLineAsync("usage: mqtt-e2e ENTRY SINK SECONDS CONNECTIONS INFLIGHT QOS [WARMUP] [SOURCE]");
            return 2;
        }

        var seconds = double.Parse(args[2], CultureInfo.InvariantCulture);
        var connections = int.Parse(args[3], CultureInfo.InvariantCulture);
        var inflight = int.Parse(args[4], CultureInfo.InvariantCulture);
        var qos = (MqttQualityOfServiceLevel)int.Parse(args[5], CultureInfo.InvariantCulture);
        var warmup = args.Length > 6 ? double.Parse(args[6], CultureInfo.InvariantCulture) : 2;
        var source = args.Length > 7 ? IPAddress.Parse(args[7]) : IPAddress.Loopback;

        var pending = new ConcurrentDictionary<long, TaskCompletionSource<long>>();
        var factory = new MqttClientFactory();
        using var subscriber = factory.CreateMqttClient();
        subscriber.ApplicationMessageReceivedAsync += e =>
        {
            var payload = e.ApplicationMessage.Payload;
            if (payload.Length >= 8)
            {
                Span<byte> id = stackalloc byte[8];
                payload.Slice(0, 8).CopyTo(id);
                if (pending.TryRemove(BinaryPrimitives.ReadInt64LittleEndian(id), out var waiter))
                {
                    waiter.TrySetResult(Stopwatch.GetTimestamp());
                }
            }

            return Task.CompletedTask;
        };
        await subscriber.ConnectAsync(Options(sink, "bench-sink", null));
        await subscriber.SubscribeAsync(new MqttTopicFilterBuilder().WithTopic("bench/#").WithQualityOfServiceLevel(qos).Build());

        var publishers = new List<IMqttClient>();
        for (var c = 0; c < connections; c++)
        {
            var client = factory.CreateMqttClient();
            var result = await client.ConnectAsync(Options(entry, $"bench-pub-{c}", source));
            if (result.ResultCode != MqttClientConnectResultCode.Success)
            {
                await Console.Error.WriteLineAsync($"mqtt-e2e: {entry} refused: {result.ResultCode}");
                return 1;
            }

            publishers.Add(client);
        }

        var start = Stopwatch.GetTimestamp();
        var counted = start + (long)(warmup * Stopwatch.Frequency);
        var deadline = counted + (long)(seconds * Stopwatch.Frequency);
        long nextId = 0;
        var filler = new byte[32];
        filler.AsSpan().Fill((byte)'x');
        var workers = publishers.SelectMany((client, c) => Enumerable.Range(0, inflight).Select(_ => Task.Run(async () =>
        {
            var latencies = new List<double>();
            var lost = 0;
            var failed = 0;
            var topic = $"bench/c{c}";
            while (Stopwatch.GetTimestamp() < deadline)
            {
                var id = Interlocked.Increment(ref nextId);
                var payload = new byte[8 + filler.Length];
                BinaryPrimitives.WriteInt64LittleEndian(payload, id);
                filler.CopyTo(payload, 8);
                var waiter = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
                pending[id] = waiter;
                var sent = Stopwatch.GetTimestamp();
                try
                {
                    await client.PublishAsync(new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload(payload).WithQualityOfServiceLevel(qos).Build());
                    var received = await waiter.Task.WaitAsync(LostAfter);
                    if (sent >= counted)
                    {
                        latencies.Add((received - sent) * 1000.0 / Stopwatch.Frequency);
                    }
                }
                catch (TimeoutException)
                {
                    pending.TryRemove(id, out TaskCompletionSource<long>? _);
                    lost++;
                }
                catch (Exception e) when (e is MQTTnet.Exceptions.MqttCommunicationException or OperationCanceledException)
                {
                    pending.TryRemove(id, out TaskCompletionSource<long>? _);
                    failed++;
                    await Task.Delay(100);
                }
            }

            return (latencies, lost, failed);
        }))).ToArray();
        var results = await Task.WhenAll(workers);
        foreach (var client in publishers)
        {
            await client.DisconnectAsync();
            client.Dispose();
        }

        await subscriber.DisconnectAsync();
        var all = results.SelectMany(static r => r.latencies).Order().ToArray();
        double P(double q) => all.Length == 0 ? double.NaN : all[Math.Min(all.Length - 1, (int)(q * all.Length))];
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"msgs_s={all.Length / seconds:0} p50_ms={P(0.5):0.000} p99_ms={P(0.99):0.000} max_ms={P(1):0.000} lost={results.Sum(static r => r.lost)} failed={results.Sum(static r => r.failed)} connections={connections} inflight={inflight} qos={(int)qos}"));
        return 0;
    }

    private static MqttClientOptions Options(IPEndPoint target, string clientId, IPAddress? source)
    {
        var options = new MqttClientOptionsBuilder()
            .WithTcpServer(target.Address.ToString(), target.Port)
            .WithClientId(clientId)
            .WithProtocolVersion(MqttProtocolVersion.V311)
            .WithCleanSession()
            .WithKeepAlivePeriod(TimeSpan.FromSeconds(60))
            .WithTimeout(TimeSpan.FromSeconds(10))
            .Build();
        if (source is not null)
        {
            ((MqttClientTcpOptions)options.ChannelOptions).LocalEndpoint = new IPEndPoint(source, 0);
        }

        return options;
    }
}
