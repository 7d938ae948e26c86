using System.Globalization;
using EventHubsPeer;

// The peer as a process of its own (benchmarks, manual runs):
//   EventHubsPeer --key-name NAME --key KEY --hub HUB [--hub HUB…] [--port N] [--record]
// prints "127.0.0.1:PORT" and takes commands on stdin, each answered "ok", a number or "error: …":
//   busy N | delay MS | down | up | count | quit
var hubs = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
string? keyName = null, key = null;
var port = 0;
var record = false;
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--key-name": keyName = args[++i]; break;
        case "--key": key = args[++i]; break;
        case "--hub": hubs.Add(args[++i]); break;
        case "--port": port = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--record": record = true; break;
        default:
            await Console.Error.WriteLineAsync($"unknown argument {args[i]}");
            return 2;
    }
}
if (keyName is null || key is null || hubs.Count == 0)
{
    await Console.Error.WriteLineAsync("usage: EventHubsPeer --key-name NAME --key KEY --hub HUB [--hub HUB…] [--port N] [--record]");
    return 2;
}

using var peer = new LocalEventHubs { KeyName = keyName, Key = key, Hubs = hubs, Record = record };
peer.Start(port);
Console.WriteLine($"127.0.0.1:{peer.Port}");
while (await Console.In.ReadLineAsync() is { } line)
{
    var words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
    if (words.Length == 0)
        continue;
    switch (words[0])
    {
        case "busy" when words.Length == 2: peer.Busy(int.Parse(words[1], CultureInfo.InvariantCulture)); Console.WriteLine("ok"); break;
        case "delay" when words.Length == 2: peer.AcceptDelay = TimeSpan.FromMilliseconds(int.Parse(words[1], CultureInfo.InvariantCulture)); Console.WriteLine("ok"); break;
        case "down": peer.Stop(); Console.WriteLine("ok"); break;
        case "up": peer.Start(peer.Port); Console.WriteLine("ok"); break;
        case "count": Console.WriteLine(peer.AcceptedCount.ToString(CultureInfo.InvariantCulture)); break;
        case "quit": return 0;
        default: Console.WriteLine("error: unknown command"); break;
    }
}
return 0;
