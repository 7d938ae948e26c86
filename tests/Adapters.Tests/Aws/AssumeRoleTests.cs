using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Gateway.Adapters.Kinesis;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Gateway.Adapters.Tests.Aws;

[CollectionDefinition(nameof(AwsEnvironment), DisableParallelization = true)]
public sealed class AwsEnvironment;

/// <summary>
/// <c>aws-iam-role-credentials</c> end to end: the gateway's own identity (AWSSDK.Core's default chain, from the
/// environment here) calls an in-test STS (<c>AWS_ENDPOINT_URL_STS</c>) for AssumeRole with the set's role ARN and
/// external ID; the session's key signs the Kinesis call, with its session token; the session is kept until near
/// its expiry. The process environment is changed for the test, so the class runs alone.
/// </summary>
[Collection(nameof(AwsEnvironment))]
public sealed class AssumeRoleTests
{
    private const string RoleArn = "arn:aws:iam::123456789012:role/funnel-writer";
    private const string SessionKey = "ASIAIOSFODNN7EXAMPLE";
    private const string SessionSecret = "session/secret/EXAMPLEKEY0000000000000000";
    private const string SessionToken = "FwoGZXIvYXdzEXAMPLEsessionTOKEN0123456789";

    [Theory]
    [InlineData(60, 1)]
    [InlineData(4, 2)]
    public async Task The_role_is_assumed_once_and_renewed_before_it_expires(int lifetimeMinutes, int expectedCalls)
    {
        await using var sts = await FakeSts.StartAsync(TimeSpan.FromMinutes(lifetimeMinutes));
        await using var kinesis = await FakeAws.StartAsync("kinesis");
        kinesis.Secrets = new Dictionary<string, string> { [SessionKey] = SessionSecret };
        var saved = new Dictionary<string, string?>();
        foreach (var (name, value) in new Dictionary<string, string>
        {
            ["AWS_ACCESS_KEY_ID"] = TestKeys.AccessKeyId, ["AWS_SECRET_ACCESS_KEY"] = TestKeys.Secret, ["AWS_REGION"] = "us-east-1",
            ["AWS_ENDPOINT_URL_STS"] = sts.Url, ["AWS_SESSION_TOKEN"] = "", ["AWS_PROFILE"] = "",
        })
        {
            saved[name] = Environment.GetEnvironmentVariable(name);
            Environment.SetEnvironmentVariable(name, value.Length == 0 ? null : value);
        }

        try
        {
            var role = new AdapterCredentials
            {
                CredentialsId = "role", Type = "aws-iam-role-credentials", Values = new JsonObject { ["roleArn"] = RoleArn, ["externalId"] = "ext-42" },
            };
            var logs = new KeepingLoggerProvider();
            await using var adapter = AwsTestKit.Create(new KinesisAdapterFactory(), AwsTestKit.Destination("kinesis", kinesis.Url + "/s"), role, logs);

            var first = await AwsTestKit.SendAsync(adapter, AwsTestKit.Message("1"));
            var second = await AwsTestKit.SendAsync(adapter, AwsTestKit.Message("2"));

            Assert.Equal([DeliveryResult.Ok], first);
            Assert.Equal([DeliveryResult.Ok], second);
            Assert.All(kinesis.Checks, Assert.Null);
            Assert.Equal(SessionToken, kinesis.LastSecurityToken);
            Assert.Equal(expectedCalls, sts.Calls.Count);
            var call = sts.Calls.First();
            Assert.Null(call.Problem);
            Assert.Equal("AssumeRole", call.Form["Action"]);
            Assert.Equal(RoleArn, call.Form["RoleArn"]);
            Assert.Equal("ext-42", call.Form["ExternalId"]);
            Assert.Equal("iot-gateway-funnel", call.Form["RoleSessionName"]);
            Assert.DoesNotContain(logs.Lines, l => l.Contains(SessionSecret, StringComparison.Ordinal) || l.Contains(TestKeys.Secret, StringComparison.Ordinal));
        }
        finally
        {
            foreach (var (name, value) in saved)
            {
                Environment.SetEnvironmentVariable(name, value);
            }
        }
    }

    [Fact]
    public async Task A_refused_assume_role_is_permanent_and_names_the_code()
    {
        await using var sts = await FakeSts.StartAsync(TimeSpan.FromHours(1), refuse: true);
        var saved = new Dictionary<string, string?>();
        foreach (var (name, value) in new Dictionary<string, string>
        {
            ["AWS_ACCESS_KEY_ID"] = TestKeys.AccessKeyId, ["AWS_SECRET_ACCESS_KEY"] = TestKeys.Secret, ["AWS_REGION"] = "us-east-1", ["AWS_ENDPOINT_URL_STS"] = sts.Url,
        })
        {
            saved[name] = Environment.GetEnvironmentVariable(name);
            Environment.SetEnvironmentVariable(name, value);
        }

        try
        {
            var role = new AdapterCredentials
            {
                CredentialsId = "role", Type = "aws-iam-role-credentials", Values = new JsonObject { ["roleArn"] = RoleArn, ["externalId"] = "wrong" },
            };
            await using var adapter = AwsTestKit.Create(new KinesisAdapterFactory(), AwsTestKit.Destination("kinesis", "http://127.0.0.1:9/s"), role);

            var result = (await AwsTestKit.SendAsync(adapter, AwsTestKit.Message("1")))[0];

            Assert.Equal(DeliveryResult.Permanent(401, "kinesis: STS refused to assume the credential set's role (AccessDenied)"), result);
        }
        finally
        {
            foreach (var (name, value) in saved)
            {
                Environment.SetEnvironmentVariable(name, value);
            }
        }
    }

    [Fact]
    public async Task An_unreachable_sts_is_transient()
    {
        var saved = new Dictionary<string, string?>();
        foreach (var (name, value) in new Dictionary<string, string>
        {
            ["AWS_ACCESS_KEY_ID"] = TestKeys.AccessKeyId, ["AWS_SECRET_ACCESS_KEY"] = TestKeys.Secret, ["AWS_REGION"] = "us-east-1",
            ["AWS_ENDPOINT_URL_STS"] = "http://127.0.0.1:9", ["AWS_MAX_ATTEMPTS"] = "1",
        })
        {
            saved[name] = Environment.GetEnvironmentVariable(name);
            Environment.SetEnvironmentVariable(name, value);
        }

        try
        {
            var role = new AdapterCredentials
            {
                CredentialsId = "role", Type = "aws-iam-role-credentials", Values = new JsonObject { ["roleArn"] = RoleArn },
            };
            await using var adapter = AwsTestKit.Create(new KinesisAdapterFactory(), AwsTestKit.Destination("kinesis", "http://127.0.0.1:9/s"), role);

            var result = (await AwsTestKit.SendAsync(adapter, AwsTestKit.Message("1")))[0];

            Assert.Equal(DeliveryOutcome.Transient, result.Outcome);
            Assert.Equal(503, result.Status);
            Assert.Contains("STS", result.Reason, StringComparison.Ordinal);
        }
        finally
        {
            foreach (var (name, value) in saved)
            {
                Environment.SetEnvironmentVariable(name, value);
            }
        }
    }

    [Fact]
    public async Task A_slow_sts_is_bounded_by_the_destinations_timeout()
    {
        await using var sts = await FakeSts.StartAsync(TimeSpan.FromHours(1), delay: TimeSpan.FromSeconds(6));
        var saved = new Dictionary<string, string?>();
        foreach (var (name, value) in new Dictionary<string, string>
        {
            ["AWS_ACCESS_KEY_ID"] = TestKeys.AccessKeyId, ["AWS_SECRET_ACCESS_KEY"] = TestKeys.Secret, ["AWS_REGION"] = "us-east-1", ["AWS_ENDPOINT_URL_STS"] = sts.Url,
        })
        {
            saved[name] = Environment.GetEnvironmentVariable(name);
            Environment.SetEnvironmentVariable(name, value);
        }

        try
        {
            var role = new AdapterCredentials
            {
                CredentialsId = "role", Type = "aws-iam-role-credentials", Values = new JsonObject { ["roleArn"] = RoleArn },
            };
            await using var adapter = AwsTestKit.Create(new KinesisAdapterFactory(),
                AwsTestKit.Destination("kinesis", "http://127.0.0.1:9/s", new JsonObject { ["timeoutSeconds"] = 0.5 }), role);
            var clock = System.Diagnostics.Stopwatch.StartNew();

            var result = (await AwsTestKit.SendAsync(adapter, AwsTestKit.Message("1")))[0];

            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3), clock.Elapsed.ToString());
            Assert.Equal(DeliveryResult.Transient(504, "kinesis: could not obtain AWS credentials within 0.5 s (STS or the default chain was slow)"), result);
        }
        finally
        {
            foreach (var (name, value) in saved)
            {
                Environment.SetEnvironmentVariable(name, value);
            }
        }
    }

    /// <summary>An STS that answers AssumeRole (Query API, XML) after checking the caller's SigV4 signature (service sts).</summary>
    private sealed class FakeSts : IAsyncDisposable
    {
        private readonly WebApplication _app;

        private FakeSts(WebApplication app) => _app = app;

        public string Url { get; private set; } = string.Empty;

        public ConcurrentQueue<(Dictionary<string, string> Form, string? Problem)> Calls { get; } = new();

        public static async Task<FakeSts> StartAsync(TimeSpan lifetime, bool refuse = false, TimeSpan delay = default)
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
            var app = builder.Build();
            var sts = new FakeSts(app);
            app.Run(async context =>
            {
                using var copy = new MemoryStream();
                await context.Request.Body.CopyToAsync(copy);
                var body = copy.ToArray();
                var headers = context.Request.Headers.SelectMany(h => h.Value.Select(v => new KeyValuePair<string, string>(h.Key, v ?? string.Empty))).ToList();
                var target = context.Features.Get<IHttpRequestFeature>()!.RawTarget;
                var problem = SigV4Verifier.Verify(new SigV4Verifier.Request(context.Request.Method, target, headers, body), TestKeys.Secrets, "sts", "us-east-1", DateTimeOffset.UtcNow);
                var form = System.Text.Encoding.UTF8.GetString(body).Split('&', StringSplitOptions.RemoveEmptyEntries).Select(p => p.Split('=', 2))
                    .ToDictionary(p => Uri.UnescapeDataString(p[0].Replace('+', ' ')), p => Uri.UnescapeDataString(p.Length > 1 ? p[1].Replace('+', ' ') : string.Empty));
                sts.Calls.Enqueue((form, problem));
                if (delay > TimeSpan.Zero)
                {
                    await Task.Delay(delay, context.RequestAborted);
                }

                context.Response.ContentType = "text/xml";
                if (problem is not null || refuse)
                {
                    context.Response.StatusCode = 403;
                    await context.Response.WriteAsync("""<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>not allowed</Message></Error><RequestId>r1</RequestId></ErrorResponse>""");
                    return;
                }

                var expiration = DateTime.UtcNow.Add(lifetime).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
                await context.Response.WriteAsync($"""
                    <AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
                      <AssumeRoleResult>
                        <Credentials>
                          <AccessKeyId>{SessionKey}</AccessKeyId>
                          <SecretAccessKey>{SessionSecret}</SecretAccessKey>
                          <SessionToken>{SessionToken}</SessionToken>
                          <Expiration>{expiration}</Expiration>
                        </Credentials>
                        <AssumedRoleUser>
                          <AssumedRoleId>AROA3XFRBF535PLBIFPI4:iot-gateway-funnel</AssumedRoleId>
                          <Arn>arn:aws:sts::123456789012:assumed-role/funnel-writer/iot-gateway-funnel</Arn>
                        </AssumedRoleUser>
                      </AssumeRoleResult>
                      <ResponseMetadata><RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId></ResponseMetadata>
                    </AssumeRoleResponse>
                    """);
            });
            await app.StartAsync();
            sts.Url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            return sts;
        }

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}
