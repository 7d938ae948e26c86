using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json.Nodes;

namespace Gateway.Adapters.Tests.PubSub;

/// <summary>
/// Google's Pub/Sub emulator (Debian package <c>google-cloud-cli-pubsub-emulator</c>) as a process on 127.0.0.1, and
/// the REST calls the tests make to it: topics, subscriptions, pull. The start script execs Java, so the process is
/// the JVM and killing it kills the emulator. Its state is in memory: a restarted emulator has no topics.
/// </summary>
internal sealed class PubSubEmulator : IAsyncDisposable
{
    public const string Script = "/usr/lib/google-cloud-sdk/platform/pubsub-emulator/bin/cloud-pubsub-emulator";

    /// <summary>Why the emulator cannot run here, for a test to skip with; null when it can.</summary>
    public static string? Missing => File.Exists(Script)
        ? null
        : $"the Google Pub/Sub emulator is not installed ({Script} is missing): install the Debian packages google-cloud-cli and google-cloud-cli-pubsub-emulator from Google's apt source";

    private static readonly HttpClient s_http = new() { Timeout = TimeSpan.FromSeconds(30) };

    private Process? _process;

    private PubSubEmulator(int port)
    {
        Port = port;
    }

    public int Port { get; }

    /// <summary>The emulator's root, <c>http://127.0.0.1:PORT</c>.</summary>
    public string Endpoint => $"http://127.0.0.1:{Port}";

    /// <summary>Skips the calling test, with the reason, when the emulator is not installed.</summary>
    public static void SkipIfMissing()
    {
        if (Missing is { } reason)
            Assert.Skip(reason);
    }

    /// <summary>Starts an emulator on <paramref name="port"/> (a free one when 0) and waits until it answers.</summary>
    public static async Task<PubSubEmulator> StartAsync(int port = 0)
    {
        SkipIfMissing();
        // A port found free can be taken before the JVM binds it (tests run in parallel): then the JVM logs the bind
        // error and never answers. On a port of our choosing, try again on a fresh one.
        for (var attempt = 1; ; attempt++)
        {
            var emulator = new PubSubEmulator(port == 0 ? FreePort() : port);
            try
            {
                await emulator.StartAsync();
                return emulator;
            }
            catch (Exception) when (port == 0 && attempt < 3)
            {
                await emulator.KillAsync();
            }
            catch
            {
                // The caller never gets the emulator to dispose: a JVM that did not answer in time must not outlive the test.
                await emulator.KillAsync();
                throw;
            }
        }
    }

    /// <summary>Starts (again, after <see cref="KillAsync"/>) on the same port.</summary>
    public async Task StartAsync()
    {
        var start = new ProcessStartInfo(Script)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("--host=127.0.0.1");
        start.ArgumentList.Add($"--port={Port}");
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        var bindFailed = false;
        process.ErrorDataReceived += (_, line) =>
        {
            // The JVM's log lines are drained, not kept; a bind failure ends the wait at once.
            if (line.Data is { } text && text.Contains("Address already in use", StringComparison.OrdinalIgnoreCase))
            {
                Volatile.Write(ref bindFailed, true);
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        while (true)
        {
            Assert.False(process.HasExited, $"the Pub/Sub emulator exited at start (code {(process.HasExited ? process.ExitCode : 0)})");
            Assert.False(Volatile.Read(ref bindFailed), $"the Pub/Sub emulator could not bind port {Port}");
            try
            {
                using var answer = await s_http.GetAsync(new Uri(Endpoint + "/"));
                if (answer.IsSuccessStatusCode)
                    return;
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }
            Assert.True(DateTime.UtcNow < deadline, "the Pub/Sub emulator did not answer within 90 s");
            await Task.Delay(200);
        }
    }

    /// <summary>Kills the JVM (its sockets close as a crashed service's do) and waits for it to end.</summary>
    public async Task KillAsync()
    {
        if (_process is not { } process)
            return;
        if (!process.HasExited)
            process.Kill(entireProcessTree: true);
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        process.Dispose();
        _process = null;
    }

    public async Task CreateTopicAsync(string topicPath)
    {
        using var answer = await s_http.PutAsync(new Uri($"{Endpoint}/v1/{topicPath}"), null);
        Assert.True(answer.IsSuccessStatusCode, $"creating {topicPath}: {(int)answer.StatusCode} {await answer.Content.ReadAsStringAsync()}");
    }

    public async Task CreateSubscriptionAsync(string subscriptionPath, string topicPath, bool ordered = false)
    {
        var body = new JsonObject { ["topic"] = topicPath, ["enableMessageOrdering"] = ordered };
        using var answer = await s_http.PutAsync(new Uri($"{Endpoint}/v1/{subscriptionPath}"), JsonContent.Create(body));
        Assert.True(answer.IsSuccessStatusCode, $"creating {subscriptionPath}: {(int)answer.StatusCode} {await answer.Content.ReadAsStringAsync()}");
    }

    /// <summary>Creates a topic and a subscription to it, both named after <paramref name="name"/> in <paramref name="project"/>.</summary>
    public async Task<(string Topic, string Subscription)> CreateAsync(string project, string name, bool ordered = false)
    {
        var topic = $"projects/{project}/topics/{name}";
        var subscription = $"projects/{project}/subscriptions/{name}-sub";
        await CreateTopicAsync(topic);
        await CreateSubscriptionAsync(subscription, topic, ordered);
        return (topic, subscription);
    }

    /// <summary>Pulls and acknowledges until <paramref name="count"/> messages came or <paramref name="timeout"/> passed.</summary>
    public async Task<List<PulledMessage>> PullAsync(string subscriptionPath, int count, TimeSpan timeout)
    {
        var pulled = new List<PulledMessage>();
        var deadline = DateTime.UtcNow + timeout;
        while (pulled.Count < count && DateTime.UtcNow < deadline)
        {
            var request = new JsonObject { ["maxMessages"] = 1000, ["returnImmediately"] = true };
            using var answer = await s_http.PostAsync(new Uri($"{Endpoint}/v1/{subscriptionPath}:pull"), JsonContent.Create(request));
            Assert.True(answer.IsSuccessStatusCode, $"pull: {(int)answer.StatusCode}");
            var json = JsonNode.Parse(await answer.Content.ReadAsStringAsync())!;
            var received = json["receivedMessages"]?.AsArray() ?? [];
            var acks = new JsonArray();
            foreach (var r in received)
            {
                var m = r!["message"]!;
                pulled.Add(new PulledMessage(
                    Convert.FromBase64String((string?)m["data"] ?? ""),
                    m["attributes"]?.AsObject().ToDictionary(a => a.Key, a => (string)a.Value!) ?? [],
                    (string?)m["orderingKey"]));
                acks.Add((string)r["ackId"]!);
            }
            if (acks.Count > 0)
            {
                using var ack = await s_http.PostAsync(new Uri($"{Endpoint}/v1/{subscriptionPath}:acknowledge"), JsonContent.Create(new JsonObject { ["ackIds"] = acks }));
            }
            else
            {
                await Task.Delay(100);
            }
        }
        return pulled;
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync() => await KillAsync();
}

/// <summary>A message as a subscriber pulled it: the data bytes, the attributes and the ordering key.</summary>
internal sealed record PulledMessage(byte[] Data, Dictionary<string, string> Attributes, string? OrderingKey);
