using System.Collections.Concurrent;
using System.Security.Cryptography.X509Certificates;
using Gateway.Adapters.PubSub;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using static Gateway.Adapters.Tests.PubSub.PubSubTestKit;

namespace Gateway.Adapters.Tests.PubSub;

/// <summary>
/// The service-account path: an in-test token endpoint (the key file's <c>token_uri</c> on 127.0.0.1) that checks the
/// JWT assertion's signature with the key's public half, and an in-test HTTPS publish endpoint that checks the bearer
/// token. Secrets (the private key, the token) never reach a reason or a log line.
/// </summary>
public sealed class PubSubTokenTests
{
    private const string Token = "ya29.test-access-token-0123456789";

    /// <summary>A factory whose gRPC channels trust exactly <paramref name="certificate"/>.</summary>
    private static PubSubAdapterFactory Trusting(X509Certificate2 certificate) => new(_ => null)
    {
        ConfigureGrpcHandler = h => h.SslOptions.RemoteCertificateValidationCallback =
            (_, c, _, _) => c is not null && c.GetCertHashString() == certificate.GetCertHashString(),
    };

    [Theory]
    [MemberData(nameof(Transports), MemberType = typeof(PubSubTestKit))]
    public async Task The_assertion_is_signed_with_the_key_and_the_token_is_cached_and_sent_as_bearer(string transport)
    {
        using var key = ServiceAccounts.NewKey();
        var assertions = new ConcurrentQueue<JsonObject>();
        await using var tokens = await TestPeer.StartAsync(app => app.MapPost("/token", async (HttpRequest request) =>
        {
            var form = await request.ReadFormAsync();
            Assert.Equal("urn:ietf:params:oauth:grant-type:jwt-bearer", (string?)form["grant_type"]);
            assertions.Enqueue(ServiceAccounts.VerifyAssertion(form["assertion"]!, key));
            return Results.Json(new { access_token = Token, expires_in = 3600, token_type = "Bearer" });
        }));
        var tokenUri = tokens.Root + "/token";
        using var certificate = ServiceAccounts.LoopbackCertificate();
        var published = new ConcurrentQueue<(string? Authorization, string Topic, byte[] FirstData)>();
        await using var pubsub = await TestPeer.StartAsync(app =>
        {
            app.MapPost("/v1/{**rest}", async (HttpRequest request, string rest) =>
            {
                var body = (await JsonNode.ParseAsync(request.Body))!;
                published.Enqueue((request.Headers.Authorization, rest, Convert.FromBase64String((string)body["messages"]![0]!["data"]!)));
                return Results.Json(new { messageIds = body["messages"]!.AsArray().Select((_, i) => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray() });
            });
            GrpcPublish.Map(app, (request, context) =>
            {
                published.Enqueue((context.Request.Headers.Authorization, request.Topic + ":publish", request.Messages[0].Data.ToByteArray()));
                return Task.FromResult<(Grpc.Core.StatusCode, string?, Google.Cloud.PubSub.V1.PublishResponse?)>((Grpc.Core.StatusCode.OK, null, GrpcPublish.Ok(request)));
            });
        }, certificate);
        var logs = new CapturingLogs();
        await using var adapter = Adapter("projects/funnel-test/topics/secure", At(pubsub.Root, transport),
            ServiceAccounts.Credentials(key, tokenUri), factory: Trusting(certificate), http: ServiceAccounts.Trusting(certificate), logs: logs);

        var first = await SendAsync(adapter, [Message("one")], TimeSpan.FromSeconds(20));
        var second = await SendAsync(adapter, [Message("two"), Message("three")], TimeSpan.FromSeconds(20));

        Assert.Equal(DeliveryResult.Ok, first[0]);
        Assert.All(second, r => Assert.Equal(DeliveryResult.Ok, r));
        var claims = Assert.Single(assertions); // one token for both sends: cached
        Assert.Equal(ServiceAccounts.Email, (string?)claims["iss"]);
        Assert.Equal("https://www.googleapis.com/auth/pubsub", (string?)claims["scope"]);
        // Google.Apis.Auth always names Google's token audience; the request itself went to the key file's token_uri.
        Assert.Equal("https://oauth2.googleapis.com/token", (string?)claims["aud"]);
        Assert.True((long)claims["exp"]! > (long)claims["iat"]!);
        Assert.Equal(2, published.Count);
        Assert.All(published, p =>
        {
            Assert.Equal($"Bearer {Token}", p.Authorization);
            Assert.Equal("projects/funnel-test/topics/secure:publish", p.Topic);
        });
        Assert.Equal("one", Encoding.UTF8.GetString(published.First().FirstData));
        Assert.DoesNotContain(Token, logs.All, StringComparison.Ordinal);
        Assert.DoesNotContain(ServiceAccounts.KeyMaterial(key)[..40], logs.All, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_refused_assertion_is_permanent_401_held_for_a_while_and_never_quotes_the_key()
    {
        using var key = ServiceAccounts.NewKey();
        var asked = 0;
        await using var tokens = await TestPeer.StartAsync(app => app.MapPost("/token", () =>
        {
            Interlocked.Increment(ref asked);
            return Results.Json(new { error = "invalid_grant", error_description = "Invalid JWT Signature." }, statusCode: 400);
        }));
        using var certificate = ServiceAccounts.LoopbackCertificate();
        var published = 0;
        await using var pubsub = await TestPeer.StartAsync(app => GrpcPublish.Map(app, (request, _) =>
        {
            Interlocked.Increment(ref published);
            return Task.FromResult<(Grpc.Core.StatusCode, string?, Google.Cloud.PubSub.V1.PublishResponse?)>((Grpc.Core.StatusCode.OK, null, GrpcPublish.Ok(request)));
        }), certificate);
        var logs = new CapturingLogs();
        var credentials = ServiceAccounts.Credentials(key, tokens.Root + "/token");
        await using var adapter = Adapter("projects/funnel-test/topics/secure", $$""","endpoint":"{{pubsub.Root}}" """,
            credentials, factory: Trusting(certificate), logs: logs);

        var first = await SendAsync(adapter, [Message("one")], TimeSpan.FromSeconds(20));
        var second = await SendAsync(adapter, [Message("two")], TimeSpan.FromSeconds(20));

        foreach (var r in first.Concat(second))
        {
            Assert.Equal((DeliveryOutcome.Permanent, 401), (r.Outcome, r.Status));
            Assert.Equal("google/pubsub: the token endpoint refused the service account (invalid_grant)", r.Reason);
        }
        Assert.Equal(1, asked); // the second send did not ask again
        Assert.Equal(0, published);
        var keyFile = (string)credentials.Values["credentials"]!;
        foreach (var secret in new[] { ServiceAccounts.KeyMaterial(key)[..40], keyFile[..80] })
            Assert.DoesNotContain(secret, logs.All + first[0].Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_https_endpoint_without_credentials_or_with_an_unreadable_key_refuses_every_message()
    {
        var none = await SendAsync(Adapter("projects/funnel-test/topics/cloud"), [Message("x")], TimeSpan.FromSeconds(5));
        Assert.Equal((DeliveryOutcome.Permanent, 401), (none[0].Outcome, none[0].Status));
        Assert.Contains("needs a google-service-account-json credential set", none[0].Reason, StringComparison.Ordinal);

        var broken = new AdapterCredentials
        {
            CredentialsId = "gcp-broken",
            Type = "google-service-account-json",
            Values = new JsonObject { ["credentials"] = """{"type":"service_account","client_email":"a@b","private_key":"-----BEGIN PRIVATE KEY-----\nTUlJQ0FBQUFBQUFBQUFB\n-----END PRIVATE KEY-----\n"}""" },
        };
        var logs = new CapturingLogs();
        var bad = await SendAsync(Adapter("projects/funnel-test/topics/cloud", credentials: broken, logs: logs), [Message("x")], TimeSpan.FromSeconds(5));
        Assert.Equal((DeliveryOutcome.Permanent, 401), (bad[0].Outcome, bad[0].Status));
        Assert.StartsWith("google/pubsub: credential set gcp-broken: the service account's private_key cannot be read", bad[0].Reason, StringComparison.Ordinal);
        Assert.DoesNotContain("TUlJQ0FBQUFBQUFBQUFB", logs.All + bad[0].Reason, StringComparison.Ordinal);
    }
}
