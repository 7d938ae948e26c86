using BenchmarkDotNet.Running;
using Gateway.Benchmarks;

// dotnet run -c Release --project benchmarks/Gateway.Benchmarks -- --filter '*'      (BenchmarkDotNet)
// dotnet run -c Release --project benchmarks/Gateway.Benchmarks -- udp-load 127.0.0.1:23080 10 32   (UDP load)
// … udp-blast 127.0.0.1:23080 40000 10 127.0.0.1,127.0.0.2   (open-loop UDP sender)
// … kafka-watch 127.0.0.1:9092 topic 3 10 gateway=PID   (records/s into a topic, CPU per record, RSS)
// … mqtt-load 127.0.0.1:1884 10 127.0.0.1,127.0.0.2 4 8   (MQTT 5 QoS 1 closed loop)
// dotnet run -c Release --project benchmarks/Gateway.Benchmarks -- decode-loop 3   (binary parser, for the Node comparison)
// … mqtt-e2e 127.0.0.1:1883 127.0.0.1:1885 10 16 2 1   (MQTT 3.1.1 through a relay to a sink broker, closed on delivery)
// … idle-conns 127.0.0.1:1883 10000 mqtt 127.0.0.1 30   (idle connections held open, for memory per connection)
// dotnet run -c Release --project benchmarks/Gateway.Benchmarks -- registry-scale 1000000 [dir]   (registry at scale)
// dotnet run -c Release --project benchmarks/Gateway.Benchmarks -- registry-seed 1000000 seed.json   (only the seed file)
if (args.Length > 0 && args[0] == "udp-load")
{
    return await UdpLoad.RunAsync(args[1..]);
}

if (args.Length > 0 && args[0] == "udp-blast")
{
    return UdpBlast.Run(args[1..]);
}

if (args.Length > 0 && args[0] == "kafka-watch")
{
    return KafkaWatch.Run(args[1..]);
}

if (args.Length > 0 && args[0] == "mqtt-load")
{
    return await MqttLoad.RunAsync(args[1..]);
}

// … spool-append 5 32 300 always   (spool appends acknowledged per second by fsync policy; docs/delivery.md)
if (args.Length > 0 && args[0] == "spool-append")
{
    return await SpoolAppendLoad.RunAsync(args[1..]);
}

if (args.Length > 0 && args[0] == "decode-loop")
{
    return DecodeLoop.Run(args[1..]);
}

if (args.Length > 0 && args[0] == "mqtt-e2e")
{
    return await MqttEndToEnd.RunAsync(args[1..]);
}

if (args.Length > 0 && args[0] == "idle-conns")
{
    return await IdleConnections.RunAsync(args[1..]);
}

if (args.Length > 0 && args[0] == "registry-scale")
{
    return await RegistryScale.RunAsync(args[1..]);
}

// … radius-storm 127.0.0.1:1813 SECRET 5000 60   (Accounting-Start storm, open loop, new IMSI each; harness/radius-storm.sh)
if (args.Length > 0 && args[0] == "radius-storm")
{
    return await RadiusStorm.RunAsync(args[1..]);
}

// … binding-catchup 300000   (another instance's binding change: every binding read again, or only what changed)
if (args.Length > 0 && args[0] == "binding-catchup")
{
    return await BindingCatchUp.RunAsync(args[1..]);
}

if (args.Length > 0 && args[0] == "registry-seed")
{
    return RegistryScale.WriteSeed(args[1..]);
}

BenchmarkSwitcher.FromAssembly(typeof(SigningBenchmarks).Assembly).Run(args);
return 0;
