using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Reflection;
using System.Text;
using System.Text.Json.Nodes;
using Amazon;
using Amazon.Runtime;
using Amazon.Runtime.Signing;
using Gateway.Adapters.Tests.Aws;

namespace Gateway.Adapters.Tests.Kinesis;

/// <summary>
/// kinesalite 3.3.3 (npm, installed into tests/tools/kinesalite by test.sh), an in-memory implementation of Kinesis's
/// API, run as a Node process of its own bound to 127.0.0.1, and a small Kinesis client for the tests to create
/// streams and read records back. Stopped by its process ID.
/// </summary>
internal sealed class Kinesalite : IAsyncDisposable
{
    private readonly Process _process;
    private readonly HttpClient _client;

    private Kinesalite(Process process, int port)
    {
        _process = process;
        Port = port;
        Url = $"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}";
        _client = new HttpClient(new SigV4SigningHandler(new BasicAWSCredentials(TestKeys.AccessKeyId, TestKeys.Secret), RegionEndpoint.USEast1, "kinesis", new SocketsHttpHandler()));
    }

    public int Port { get; }

    public string Url { get; }

    public static string Directory =>
        typeof(Kinesalite).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "KinesaliteDir").Value!;

    /// <summary>
    /// Starts kinesalite on <paramref name="port"/> (0: a free one) and waits until it listens. With
    /// <paramref name="path"/> its streams and records are kept on disk there (LevelDB) instead of in memory, so a
    /// kinesalite killed and started again on the same path still has them, as Kinesis does across an outage.
    /// </summary>
    public static async Task<Kinesalite> StartAsync(int port = 0, string? path = null)
    {
        if (!System.IO.Directory.Exists(Path.Combine(Directory, "node_modules", "kinesalite")))
        {
            throw new InvalidOperationException($"kinesalite is not installed in {Directory}: run test.sh, or npm ci --prefix tests/tools/kinesalite");
        }

        var store = path is null ? "" : ",path:" + JsonValue.Create(path).ToJsonString();
        var script = $"const k=require('kinesalite')({{createStreamMs:20,deleteStreamMs:20,updateStreamMs:20,shardLimit:1000{store}}});"
            + $"const s=k.listen({port.ToString(CultureInfo.InvariantCulture)},'127.0.0.1',()=>console.log('listening '+s.address().port));";
        var start = new ProcessStartInfo("node", ["-e", script])
        {
            WorkingDirectory = Directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var process = Process.Start(start)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (true)
        {
            var line = await process.StandardOutput.ReadLineAsync(timeout.Token);
            if (line is null)
            {
                var error = await process.StandardError.ReadToEndAsync(timeout.Token);
                throw new InvalidOperationException("kinesalite did not start: " + error);
            }

            if (line.StartsWith("listening ", StringComparison.Ordinal))
            {
                return new Kinesalite(process, int.Parse(line["listening ".Length..], CultureInfo.InvariantCulture));
            }
        }
    }

    public async Task CreateStreamAsync(string name, int shards = 1)
    {
        await CallAsync("CreateStream", new JsonObject { ["StreamName"] = name, ["ShardCount"] = shards });
        for (var i = 0; i < 200; i++)
        {
            var description = await CallAsync("DescribeStream", new JsonObject { ["StreamName"] = name });
            if ((string?)description["StreamDescription"]!["StreamStatus"] == "ACTIVE")
            {
                return;
            }

            await Task.Delay(20);
        }

        throw new TimeoutException($"stream {name} did not become active");
    }

    /// <summary>Every record in the stream, shard by shard, from the start.</summary>
    public async Task<List<(byte[] Data, string PartitionKey)>> ReadAsync(string name)
    {
        var records = new List<(byte[], string)>();
        var description = await CallAsync("DescribeStream", new JsonObject { ["StreamName"] = name });
        foreach (var shard in description["StreamDescription"]!["Shards"]!.AsArray())
        {
            var iterator = (string?)(await CallAsync("GetShardIterator", new JsonObject
            {
                ["StreamName"] = name, ["ShardId"] = (string?)shard!["ShardId"], ["ShardIteratorType"] = "TRIM_HORIZON",
            }))["ShardIterator"];
            // GetRecords answers at most 10,000 records (or 10 MB) a call: read on until a call brings none.
            while (iterator is not null)
            {
                var got = await CallAsync("GetRecords", new JsonObject { ["ShardIterator"] = iterator, ["Limit"] = 10000 });
                var batch = got["Records"]!.AsArray();
                foreach (var record in batch)
                {
                    records.Add((Convert.FromBase64String((string)record!["Data"]!), (string)record["PartitionKey"]!));
                }

                iterator = batch.Count == 0 ? null : (string?)got["NextShardIterator"];
            }
        }

        return records;
    }

    private async Task<JsonObject> CallAsync(string action, JsonObject body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, Url + "/") { Content = new StringContent(body.ToJsonString(), Encoding.UTF8) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/x-amz-json-1.1");
        request.Headers.TryAddWithoutValidation("X-Amz-Target", "Kinesis_20131202." + action);
        using var response = await _client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"kinesalite {action}: {(int)response.StatusCode} {text}");
        }

        return JsonNode.Parse(text.Length == 0 ? "{}" : text)!.AsObject();
    }

    public async ValueTask DisposeAsync()
    {
        _client.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }
}
