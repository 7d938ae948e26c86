using System.Globalization;
using System.Net;
using System.Text;
using Gateway.LoadGen;

// Completions of socket reads run on the runtime's socket thread instead of being queued to the thread pool: one
// thread switch less per response. The runtime reads this once, when the first socket is used.
if (Environment.GetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS") is null)
{
    Environment.SetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS", "1");
}

const string Usage = """
    usage: loadgen --url http://HOST:PORT/PATH --rate N [--duration SECONDS] [--connections N] [--warmup SECONDS]
                   [--drain SECONDS] [--spin-us MICROSECONDS]
    Open-loop, fixed-rate HTTP/1.1 GET load over keep-alive connections; latency is measured from each request's
    intended send time to the last byte of its response. Prints one line of key=value pairs.
    Defaults: duration 10, connections 64, warmup 1 (sent at the rate, not measured), drain 5 (time allowed after
    the last intended send for the backlog and requests in flight), spin-us 0 (the sender sleeps with nanosleep).
    """;

var options = new Dictionary<string, string>(StringComparer.Ordinal);
for (var i = 0; i < args.Length; i++)
{
    if (args[i] is "-h" or "-?" or "--help")
    {
        Console.WriteLine(Usage);
        return 0;
    }

    if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 == args.Length)
    {
        Console.Error.WriteLine(Usage);
        return 2;
    }

    options[args[i][2..]] = args[++i];
}

double Number(string name, double fallback)
{
    if (!options.TryGetValue(name, out var text))
    {
        return fallback;
    }

    if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || value < 0)
    {
        throw new ArgumentException($"--{name}: not a non-negative number: {text}");
    }

    return value;
}

double rate, duration, warmup, drain, spin;
int connections;
Uri? url;
try
{
    var unknown = options.Keys.Except(["url", "rate", "duration", "connections", "warmup", "drain", "spin-us"]).ToList();
    if (unknown.Count > 0)
    {
        throw new ArgumentException($"unknown option --{unknown[0]}");
    }

    if (!options.TryGetValue("url", out var urlText) || !Uri.TryCreate(urlText, UriKind.Absolute, out url) || url.Scheme != "http")
    {
        throw new ArgumentException("--url: an http:// URL is required");
    }

    rate = Number("rate", 0);
    if (rate <= 0)
    {
        throw new ArgumentException("--rate: a positive number of requests per second is required");
    }

    duration = Number("duration", 10);
    connections = (int)Number("connections", 64);
    warmup = Number("warmup", 1);
    drain = Number("drain", 5);
    spin = Number("spin-us", 0);
    if (connections < 1 || duration <= 0)
    {
        throw new ArgumentException("--connections and --duration must be positive");
    }
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine($"loadgen: {ex.Message}");
    Console.Error.WriteLine(Usage);
    return 2;
}

var address = IPAddress.TryParse(url.Host.Trim('[', ']'), out var literal)
    ? literal
    : Dns.GetHostAddresses(url.Host).First();
var endPoint = new IPEndPoint(address, url.Port);
var request = Encoding.ASCII.GetBytes(
    $"GET {url.PathAndQuery} HTTP/1.1\r\nHost: {url.Authority}\r\nUser-Agent: loadgen\r\nAccept: */*\r\n\r\n");

var generator = new LoadGenerator(endPoint, request, rate, duration, warmup, connections, spin, drain);
try
{
    generator.Connect();
}
catch (System.Net.Sockets.SocketException ex)
{
    Console.Error.WriteLine($"loadgen: cannot connect to {endPoint}: {ex.Message}");
    return 1;
}

generator.Run();

var lat = generator.Latency;
var svc = generator.Service;
static string Ms(long micros) => (micros / 1000.0).ToString("0.000", CultureInfo.InvariantCulture);
var completed = generator.Ok + generator.Non2xx;
var errors = generator.Non2xx + generator.IoErrors + generator.Timeouts;
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"rate_target={rate:0.#} rate_achieved={completed / generator.MeasuredSeconds:0.0} sent={generator.Sent} ok={generator.Ok} " +
    $"errors={errors} non2xx={generator.Non2xx} io_errors={generator.IoErrors} timeouts={generator.Timeouts} unsent={generator.Unsent} " +
    $"reconnects={generator.Reconnects} connections={connections} duration_s={duration:0.###} " +
    $"p50_ms={Ms(lat.ValueAt(0.5))} p90_ms={Ms(lat.ValueAt(0.9))} p99_ms={Ms(lat.ValueAt(0.99))} p999_ms={Ms(lat.ValueAt(0.999))} " +
    $"max_ms={Ms(lat.Max())} mean_ms={lat.Mean() / 1000:0.000} svc_p50_ms={Ms(svc.ValueAt(0.5))} svc_p99_ms={Ms(svc.ValueAt(0.99))}"));
return 0;
