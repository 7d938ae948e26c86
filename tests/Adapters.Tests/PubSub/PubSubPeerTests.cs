using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using static Gateway.Adapters.Tests.PubSub.PubSubTestKit;

namespace Gateway.Adapters.Tests.PubSub;

/// <summary>
/// What the emulator cannot be made to do: throttling, unavailability, refusals and a peer that never answers, from
/// in-test servers answering in the published shapes: gRPC statuses in trailers, and REST's
/// <c>{"error": {"code": 429, "message": "…", "status": "RESOURCE_EXHAUSTED"}}</c>.
/// </summary>
public sealed class PubSubPeerTests
{
    private const string Topic = "projects/funnel-test/topics/peer";

    private static Task<TestPeer> RestAnswering(int status, string? canonical, string message = "refused") =>
        TestPeer.StartAsync(app => app.MapPost("/v1/{**rest}", () => canonical is null
            ? Results.Text("<html>upstream error</html>", "text/html", statusCode: status)
            : Results.Json(new { error = new { code = status, message, status = canonical } }, statusCode: status)));

    private static Task<TestPeer> GrpcAnswering(StatusCode status, string detail = "refused") =>
        TestPeer.StartAsync(app => GrpcPublish.Map(app, (_, _) => Task.FromResult<(StatusCode, string?, Google.Cloud.PubSub.V1.PublishResponse?)>((status, detail, null))), http2: true);

    [Theory]
    [InlineData(429, "RESOURCE_EXHAUSTED", DeliveryOutcome.Transient, 429)]
    [InlineData(429, null, DeliveryOutcome.Transient, 429)]
    [InlineData(503, "UNAVAILABLE", DeliveryOutcome.Transient, 503)]
    [InlineData(504, "DEADLINE_EXCEEDED", DeliveryOutcome.Transient, 504)]
    [InlineData(500, "INTERNAL", DeliveryOutcome.Transient, 502)]
    [InlineData(502, null, DeliveryOutcome.Transient, 502)]
    [InlineData(403, "PERMISSION_DENIED", DeliveryOutcome.Permanent, 403)]
    [InlineData(401, "UNAUTHENTICATED", DeliveryOutcome.Permanent, 401)]
    [InlineData(404, "NOT_FOUND", DeliveryOutcome.Permanent, 404)]
    [InlineData(400, "INVALID_ARGUMENT", DeliveryOutcome.Permanent, 400)]
    public async Task Rest_error_answers_map_to_outcomes(int status, string? canonical, DeliveryOutcome outcome, int replyStatus)
    {
        await using var peer = await RestAnswering(status, canonical);
        await using var adapter = Adapter(Topic, At(peer.Root, "rest"));

        var results = await SendAsync(adapter, [Message("a"), Message("b")], TimeSpan.FromSeconds(10));

        Assert.All(results, r => Assert.Equal((outcome, replyStatus), (r.Outcome, r.Status)));
        Assert.StartsWith("google/pubsub: ", results[0].Reason, StringComparison.Ordinal);
        if (canonical is "RESOURCE_EXHAUSTED")
            Assert.Equal("google/pubsub: throttled by the service (RESOURCE_EXHAUSTED)", results[0].Reason);
        if (canonical is "NOT_FOUND")
            Assert.Equal($"google/pubsub: topic {Topic} not found", results[0].Reason);
    }

    [Theory]
    [InlineData(StatusCode.ResourceExhausted, DeliveryOutcome.Transient, 429)]
    [InlineData(StatusCode.Unavailable, DeliveryOutcome.Transient, 503)]
    [InlineData(StatusCode.DeadlineExceeded, DeliveryOutcome.Transient, 504)]
    [InlineData(StatusCode.Internal, DeliveryOutcome.Transient, 502)]
    [InlineData(StatusCode.Aborted, DeliveryOutcome.Transient, 502)]
    [InlineData(StatusCode.PermissionDenied, DeliveryOutcome.Permanent, 403)]
    [InlineData(StatusCode.Unauthenticated, DeliveryOutcome.Permanent, 401)]
    [InlineData(StatusCode.NotFound, DeliveryOutcome.Permanent, 404)]
    [InlineData(StatusCode.InvalidArgument, DeliveryOutcome.Permanent, 400)]
    public async Task Grpc_statuses_map_to_outcomes(StatusCode status, DeliveryOutcome outcome, int replyStatus)
    {
        await using var peer = await GrpcAnswering(status);
        await using var adapter = Adapter(Topic, At(peer.Root, "grpc"));

        var results = await SendAsync(adapter, [Message("a"), Message("b")], TimeSpan.FromSeconds(10));

        Assert.All(results, r => Assert.Equal((outcome, replyStatus), (r.Outcome, r.Status)));
        if (status is StatusCode.ResourceExhausted)
            Assert.Equal("google/pubsub: throttled by the service (RESOURCE_EXHAUSTED)", results[0].Reason);
        if (status is StatusCode.NotFound)
            Assert.Equal($"google/pubsub: topic {Topic} not found", results[0].Reason);
    }

    [Fact]
    public async Task Grpc_requests_carry_the_bytes_attributes_and_no_ordering_key_by_default()
    {
        Google.Cloud.PubSub.V1.PublishRequest? seen = null;
        await using var peer = await TestPeer.StartAsync(app => GrpcPublish.Map(app, (request, _) =>
        {
            seen = request;
            return Task.FromResult<(StatusCode, string?, Google.Cloud.PubSub.V1.PublishResponse?)>((StatusCode.OK, null, GrpcPublish.Ok(request)));
        }), http2: true);
        await using var adapter = Adapter(Topic, At(peer.Root, "grpc"));
        var message = Message("{\"x\":1}");

        var results = await SendAsync(adapter, [message], TimeSpan.FromSeconds(10));

        Assert.Equal(DeliveryResult.Ok, results[0]);
        Assert.Equal(Topic, seen!.Topic);
        var m = Assert.Single(seen.Messages);
        Assert.Equal(message.Body.ToArray(), m.Data.ToByteArray());
        Assert.Equal("", m.OrderingKey);
        Assert.Equal(message.MessageId, m.Attributes["messageId"]);
        Assert.Equal(["contentType", "imei", "imsi", "messageId", "simId"], m.Attributes.Keys.Order());
    }

    [Theory]
    [MemberData(nameof(Transports), MemberType = typeof(PubSubTestKit))]
    public async Task A_success_that_does_not_list_every_message_is_not_taken_as_delivered(string transport)
    {
        await using var peer = transport == "rest"
            ? await TestPeer.StartAsync(app => app.MapPost("/v1/{**rest}", () => Results.Json(new { messageIds = new[] { "1" } })))
            : await TestPeer.StartAsync(app => GrpcPublish.Map(app, (_, _) =>
            {
                var one = new Google.Cloud.PubSub.V1.PublishResponse();
                one.MessageIds.Add("1");
                return Task.FromResult<(StatusCode, string?, Google.Cloud.PubSub.V1.PublishResponse?)>((StatusCode.OK, null, one));
            }), http2: true);
        await using var adapter = Adapter(Topic, At(peer.Root, transport));

        var results = await SendAsync(adapter, [Message("a"), Message("b")], TimeSpan.FromSeconds(10));

        Assert.All(results, r => Assert.Equal((DeliveryOutcome.Transient, 502), (r.Outcome, r.Status)));
    }

    [Theory]
    [MemberData(nameof(Transports), MemberType = typeof(PubSubTestKit))]
    public async Task A_slow_peer_is_bounded_by_the_callers_token(string transport)
    {
        // Accepts connections and reads, never answers.
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var accepted = new List<Socket>();
        _ = Task.Run(async () =>
        {
            try
            {
                while (true)
                    accepted.Add(await listener.AcceptSocketAsync());
            }
            catch (SocketException) { }
            catch (ObjectDisposedException) { }
        }, Ct);
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        await using var adapter = Adapter(Topic, At($"http://127.0.0.1:{port}", transport));

        var clock = Stopwatch.StartNew();
        var results = await SendAsync(adapter, [Message("a"), Message("b")], TimeSpan.FromMilliseconds(700));
        clock.Stop();

        Assert.All(results, r => Assert.Equal((DeliveryOutcome.Transient, 504), (r.Outcome, r.Status)));
        Assert.Equal("google/pubsub: no answer from the service before the deadline", results[0].Reason);
        Assert.InRange(clock.Elapsed, TimeSpan.FromMilliseconds(600), TimeSpan.FromSeconds(5));
        listener.Stop();
        foreach (var s in accepted)
            s.Dispose();
    }

    [Theory]
    [MemberData(nameof(Transports), MemberType = typeof(PubSubTestKit))]
    public async Task Nothing_listening_is_transient_502(string transport)
    {
        var port = PubSubEmulator.FreePort();
        await using var adapter = Adapter(Topic, At($"http://127.0.0.1:{port}", transport));

        var results = await SendAsync(adapter, [Message("a")], TimeSpan.FromSeconds(10));

        Assert.Equal((DeliveryOutcome.Transient, 502), (results[0].Outcome, results[0].Status));
        Assert.Equal("google/pubsub: the service is unreachable (ConnectionError)", results[0].Reason);
    }
}
