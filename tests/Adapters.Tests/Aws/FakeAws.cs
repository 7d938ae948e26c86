using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Gateway.Adapters.Tests.Aws;

/// <summary>
/// An in-test Firehose / AWS IoT / Kinesis peer on 127.0.0.1 (no emulator of the first two exists here). It enforces
/// the documented request shapes (JSON 1.1 <c>PutRecordBatch</c> and <c>PutRecords</c>: target header, content type,
/// names, base64 data, per-record and per-call limits; IoT <c>POST /topics/&lt;topic&gt;?qos=</c>) and checks each
/// request's SigV4 signature with <see cref="SigV4Verifier"/>, answering as AWS documents: per-record results in
/// order, errors as <c>__type</c> plus <c>x-amzn-ErrorType</c>. Tests script refusals and delays, and outages
/// (<see cref="StopAsync"/>, <see cref="RestartAsync"/> on the same port).
/// </summary>
internal sealed class FakeAws : IAsyncDisposable
{
    private readonly string _service;
    private readonly string _region;
    private WebApplication? _app;

    private FakeAws(string service, string region)
    {
        _service = service;
        _region = region;
    }

    public string Url { get; private set; } = string.Empty;

    /// <summary>The port it listens on, kept across <see cref="StopAsync"/> and <see cref="RestartAsync"/>.</summary>
    public int Port { get; private set; }

    /// <summary>Records accepted, in order: the stream or topic, the bytes, the partition key (Kinesis).</summary>
    public ConcurrentQueue<(string Name, byte[] Data, string? PartitionKey, string? ContentType)> Accepted { get; } = new();

    /// <summary>Every request's outcome: null when it passed the checks, else why it was refused.</summary>
    public ConcurrentQueue<string?> Checks { get; } = new();

    /// <summary>A whole-request answer instead of the normal one: status and error type, or null to go on.</summary>
    public Func<int, (int Status, string Type)?>? Refuse { get; set; }

    /// <summary>A record's error code (Kinesis and Firehose), or null to accept it.</summary>
    public Func<byte[], string?>? FailRecord { get; set; }

    public TimeSpan Delay { get; set; }

    /// <summary>The access keys the peer takes (the test key by default; a test of AssumeRole gives the session's).</summary>
    public IReadOnlyDictionary<string, string> Secrets { get; set; } = TestKeys.Secrets;

    /// <summary>The last request's <c>X-Amz-Security-Token</c>, when it had one.</summary>
    public string? LastSecurityToken { get; private set; }

    private int _calls;

    public int Calls => _calls;

    /// <summary>
    /// Starts the peer on 127.0.0.1: a free port when <paramref name="port"/> is 0, else that one (an outage test
    /// passes one it can bind again after <see cref="StopAsync"/>).
    /// </summary>
    public static async Task<FakeAws> StartAsync(string service, string region = "us-east-1", int port = 0)
    {
        var peer = new FakeAws(service, region);
        await peer.ListenAsync(port);
        return peer;
    }

    /// <summary>
    /// Goes down: the listener is closed (new connections are refused) and open connections end, as with a service
    /// that is unreachable. What was accepted stays in <see cref="Accepted"/>; <see cref="RestartAsync"/> comes back.
    /// </summary>
    public async Task StopAsync()
    {
        if (Interlocked.Exchange(ref _app, null) is { } app)
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    /// <summary>Comes back up on the same port after <see cref="StopAsync"/>, with everything recorded so far.</summary>
    public Task RestartAsync() => _app is null ? ListenAsync(Port) : throw new InvalidOperationException("the peer is up");

    private async Task ListenAsync(int port)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        // Stopping waits for requests under way; a peer going down should not hold a test up for Kestrel's default.
        builder.WebHost.UseShutdownTimeout(TimeSpan.FromSeconds(2));
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Listen(IPAddress.Loopback, port);
            k.Limits.MaxRequestBodySize = 16 * 1024 * 1024;
        });
        var app = builder.Build();
        app.Run(HandleAsync);
        try
        {
            await app.StartAsync();
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }

        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        Url = address.Replace("[::1]", "127.0.0.1", StringComparison.Ordinal);
        Port = new Uri(Url).Port;
        _app = app;
    }

    private async Task HandleAsync(HttpContext context)
    {
        var call = Interlocked.Increment(ref _calls);
        using var copy = new MemoryStream();
        await context.Request.Body.CopyToAsync(copy);
        var body = copy.ToArray();
        var target = context.Features.Get<IHttpRequestFeature>()!.RawTarget;
        var headers = context.Request.Headers.SelectMany(h => h.Value.Select(v => new KeyValuePair<string, string>(h.Key, v ?? string.Empty))).ToList();
        if (Delay > TimeSpan.Zero)
        {
            await Task.Delay(Delay, context.RequestAborted);
        }

        LastSecurityToken = context.Request.Headers["X-Amz-Security-Token"].FirstOrDefault();
        var problem = SigV4Verifier.Verify(new SigV4Verifier.Request(context.Request.Method, target, headers, body), Secrets, _service, _region, DateTimeOffset.UtcNow);
        if (problem is not null)
        {
            Checks.Enqueue("signature: " + problem);
            await ErrorAsync(context, 403, _service == "iotdata" ? "ForbiddenException" : "InvalidSignatureException");
            return;
        }

        if (Refuse?.Invoke(call) is { } refusal)
        {
            Checks.Enqueue(null);
            await ErrorAsync(context, refusal.Status, refusal.Type);
            return;
        }

        if (_service == "iotdata")
        {
            await PublishAsync(context, target, body);
        }
        else
        {
            await PutAsync(context, body);
        }
    }

    private async Task PublishAsync(HttpContext context, string target, byte[] body)
    {
        var question = target.IndexOf('?', StringComparison.Ordinal);
        var path = question < 0 ? target : target[..question];
        var query = question < 0 ? string.Empty : target[(question + 1)..];
        string? problem = null;
        if (context.Request.Method != "POST" || !path.StartsWith("/topics/", StringComparison.Ordinal) || path.Length == "/topics/".Length
            || path.IndexOf('/', "/topics/".Length) >= 0)
        {
            problem = "not POST /topics/<url-encoded topic>";
        }
        else if (query is not ("qos=0" or "qos=1"))
        {
            problem = "qos must be 0 or 1";
        }
        else if (body.Length > 128 * 1024)
        {
            await Refuse413(context);
            return;
        }

        Checks.Enqueue(problem);
        if (problem is not null)
        {
            await ErrorAsync(context, 400, "InvalidRequestException");
            return;
        }

        Accepted.Enqueue((Uri.UnescapeDataString(path["/topics/".Length..]), body, null, context.Request.ContentType));
        await context.Response.WriteAsJsonAsync(new { message = "OK", traceId = Guid.NewGuid() });
    }

    private async Task Refuse413(HttpContext context)
    {
        Checks.Enqueue(null);
        await ErrorAsync(context, 413, "RequestEntityTooLargeException");
    }

    private async Task PutAsync(HttpContext context, byte[] body)
    {
        var kinesis = _service == "kinesis";
        var (targetHeader, nameField, maxRecord, maxCall) = kinesis
            ? ("Kinesis_20131202.PutRecords", "StreamName", 1024 * 1024, 5 * 1024 * 1024)
            : ("Firehose_20150804.PutRecordBatch", "DeliveryStreamName", 1000 * 1024, 4 * 1024 * 1024);
        string? problem = null;
        JsonObject? request = null;
        if (context.Request.Method != "POST" || context.Request.Path != "/")
        {
            problem = "not POST /";
        }
        else if (context.Request.Headers["X-Amz-Target"] != targetHeader)
        {
            problem = "X-Amz-Target is not " + targetHeader;
        }
        else if (context.Request.ContentType != "application/x-amz-json-1.1")
        {
            problem = "Content-Type is not application/x-amz-json-1.1";
        }
        else
        {
            try
            {
                request = JsonNode.Parse(body) as JsonObject;
            }
            catch (JsonException)
            {
            }

            problem = request is null ? "the body is not a JSON object" : Shape(request, nameField, kinesis, maxRecord, maxCall);
        }

        Checks.Enqueue(problem);
        if (problem is not null)
        {
            await ErrorAsync(context, 400, problem.Contains("larger", StringComparison.Ordinal) ? "ValidationException" : "SerializationException");
            return;
        }

        var name = (string)request![nameField]!;
        var results = new JsonArray();
        var failed = 0;
        foreach (var record in request["Records"]!.AsArray())
        {
            var data = Convert.FromBase64String((string)record!["Data"]!);
            if (FailRecord?.Invoke(data) is { } code)
            {
                failed++;
                results.Add(new JsonObject { ["ErrorCode"] = code, ["ErrorMessage"] = "refused by the test (arn:aws:kinesis:us-east-1:111122223333:stream/x)" });
                continue;
            }

            Accepted.Enqueue((name, data, (string?)record["PartitionKey"], null));
            results.Add(kinesis
                ? new JsonObject { ["SequenceNumber"] = Accepted.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), ["ShardId"] = "shardId-000000000000" }
                : new JsonObject { ["RecordId"] = Guid.NewGuid().ToString("N") });
        }

        var answer = kinesis
            ? new JsonObject { ["FailedRecordCount"] = failed, ["Records"] = results }
            : new JsonObject { ["FailedPutCount"] = failed, ["Encrypted"] = false, ["RequestResponses"] = results };
        context.Response.ContentType = "application/x-amz-json-1.1";
        await context.Response.WriteAsync(answer.ToJsonString());
    }

    private static string? Shape(JsonObject request, string nameField, bool kinesis, int maxRecord, int maxCall)
    {
        if (request[nameField] is not JsonValue n || !n.TryGetValue<string>(out var name) || name.Length == 0)
        {
            return nameField + " is missing";
        }

        if (request["Records"] is not JsonArray records || records.Count is 0 or > 500)
        {
            return "Records must hold 1-500 records";
        }

        var total = 0;
        foreach (var record in records)
        {
            if (record is not JsonObject r || r["Data"] is not JsonValue d || !d.TryGetValue<string>(out var data))
            {
                return "a record has no Data";
            }

            byte[] bytes;
            try
            {
                bytes = Convert.FromBase64String(data);
            }
            catch (FormatException)
            {
                return "a record's Data is not base64";
            }

            var key = kinesis ? (string?)r["PartitionKey"] : null;
            if (kinesis && key is not { Length: >= 1 and <= 256 })
            {
                return "a record's PartitionKey must be 1-256 characters";
            }

            var size = bytes.Length + (key?.Length ?? 0);
            if (size > maxRecord)
            {
                return "a record is larger than the limit";
            }

            total += size;
        }

        return total > maxCall ? "the call is larger than the limit" : null;
    }

    private static async Task ErrorAsync(HttpContext context, int status, string type)
    {
        context.Response.StatusCode = status;
        context.Response.Headers["x-amzn-ErrorType"] = type + ":http://internal.amazon.com/coral/com.amazon.coral.service/";
        context.Response.ContentType = "application/x-amz-json-1.1";
        await context.Response.WriteAsync(new JsonObject { ["__type"] = type, ["message"] = "refused by the test peer" }.ToJsonString());
    }

    public async ValueTask DisposeAsync() => await StopAsync();
}
