using System.Globalization;
using System.Runtime.InteropServices;
using Gateway.Adapters.Tests.Aws;

// The Firehose or AWS IoT contract peer as a process of its own (benchmarks, manual runs):
//   AwsPeer firehose|iotdata
// prints its base URL ("http://127.0.0.1:PORT") and takes commands on stdin, each answered on one line:
//   count    records accepted so far (Firehose: records of PutRecordBatch calls; IoT: publishes)
//   refused  requests refused so far (bad signature or shape), with the first reason
//   quit
// Accepted records are counted and dropped, so a long run does not hold them all.
if (args.Length != 1 || args[0] is not ("firehose" or "iotdata"))
{
    await Console.Error.WriteLineAsync("usage: AwsPeer firehose|iotdata");
    return 2;
}

// The web host inside FakeAws takes SIGTERM for itself (it stops, the process would not), and Console.In blocks: so
// stdin is read on a pool thread and SIGTERM/SIGINT end the loop, which lets the benchmark scripts stop the peer.
using var stop = new CancellationTokenSource();
using var onTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, _ => stop.Cancel());
using var onInt = PosixSignalRegistration.Create(PosixSignal.SIGINT, _ => stop.Cancel());
await using var peer = await FakeAws.StartAsync(args[0]);
Console.WriteLine(peer.Url);
long accepted = 0, refused = 0;
string? firstReason = null;
while (await ReadLineOrStopAsync(stop.Token) is { } line)
{
    while (peer.Accepted.TryDequeue(out _))
    {
        accepted++;
    }

    while (peer.Checks.TryDequeue(out var problem))
    {
        if (problem is not null)
        {
            refused++;
            firstReason ??= problem;
        }
    }

    switch (line.Trim())
    {
        case "count": Console.WriteLine(accepted.ToString(CultureInfo.InvariantCulture)); break;
        case "refused": Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{refused} {firstReason}")); break;
        case "quit": return 0;
        default: Console.WriteLine("error: unknown command"); break;
    }
}

return 0;

static async Task<string?> ReadLineOrStopAsync(CancellationToken stop)
{
    var read = Task.Run(Console.In.ReadLine, CancellationToken.None);
    var finished = await Task.WhenAny(read, Task.Delay(Timeout.Infinite, stop));
    return finished == read ? await read : null;
}
