using System.Diagnostics;
using System.Globalization;
using Confluent.Kafka;
using Gateway.Adapters.Kafka;

namespace Gateway.Benchmarks;

/// <summary>
/// Measures what reached a Kafka topic over a window: after WARMUP seconds it reads the topic's end offsets and the
/// CPU ticks (/proc/PID/stat, user + system) of the given processes, again SECONDS later, and prints the records
/// added per second, each process's CPU per record and its resident set size at the end. Usage:
/// <c>kafka-watch BOOTSTRAP TOPIC WARMUP SECONDS NAME=PID…</c>.
/// </summary>
internal static class KafkaWatch
{
    private const double TicksPerSecond = 100; // USER_HZ on Linux

    public static int Run(string[] args)
    {
        if (args.Length < 5)
        {
            Console.Error.WriteLine("usage: kafka-watch BOOTSTRAP TOPIC WARMUP SECONDS NAME=PID…");
            return 2;
        }

        KafkaNativeLibrary.Pin();
        var (bootstrap, topic) = (args[0], args[1]);
        var warmup = double.Parse(args[2], CultureInfo.InvariantCulture);
        var seconds = double.Parse(args[3], CultureInfo.InvariantCulture);
        var processes = args[4..].Select(static a => a.Split('=')).Select(static p => (Name: p[0], Pid: int.Parse(p[1], CultureInfo.InvariantCulture))).ToArray();
        using var consumer = new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig { BootstrapServers = bootstrap, GroupId = "kafka-watch" }).Build();
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = bootstrap }).Build();

        Thread.Sleep(TimeSpan.FromSeconds(warmup));
        var partitions = admin.GetMetadata(topic, TimeSpan.FromSeconds(5)).Topics[0].Partitions.Select(p => new TopicPartition(topic, p.PartitionId)).ToArray();
        long EndOffsets() => partitions.Sum(p => consumer.QueryWatermarkOffsets(p, TimeSpan.FromSeconds(5)).High.Value);
        var offsets0 = EndOffsets();
        var ticks0 = processes.Select(p => Ticks(p.Pid)).ToArray();
        var t0 = Stopwatch.GetTimestamp();
        Thread.Sleep(TimeSpan.FromSeconds(seconds));
        var offsets1 = EndOffsets();
        var ticks1 = processes.Select(p => Ticks(p.Pid)).ToArray();
        var elapsed = Stopwatch.GetElapsedTime(t0).TotalSeconds;
        var records = offsets1 - offsets0;
        var line = string.Create(CultureInfo.InvariantCulture, $"topic {topic}: {records} records in {elapsed:0.00} s = {records / elapsed:0} msg/s");
        for (var i = 0; i < processes.Length; i++)
        {
            var cpuSeconds = (ticks1[i] - ticks0[i]) / TicksPerSecond;
            line += string.Create(CultureInfo.InvariantCulture,
                $"; {processes[i].Name} cpu {cpuSeconds / elapsed * 100:0}% = {(records == 0 ? double.NaN : cpuSeconds * 1e6 / records):0.0} µs/msg, rss {Rss(processes[i].Pid) / 1024.0:0} MB");
        }
        Console.WriteLine(line);
        return 0;
    }

    private static long Ticks(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture); // utime, stime (fields 14, 15)
    }

    private static long Rss(int pid) =>
        File.ReadLines($"/proc/{pid}/status").Where(static l => l.StartsWith("VmRSS:", StringComparison.Ordinal))
            .Select(static l => long.Parse(l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture)).FirstOrDefault();
}
