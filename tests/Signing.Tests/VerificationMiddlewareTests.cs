using System.Diagnostics;
using System.Net;
using System.Text;
using Gateway.Signing.AspNetCore;
using Gateway.Signing.MessageSignatures;
using Gateway.Signing.Soracom;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Gateway.Signing.Tests;

/// <summary>The middleware in a real Kestrel on loopback, called by HttpClient and by curl.</summary>
public sealed class VerificationMiddlewareTests : IAsyncLifetime
{
    private const long Now = 1_700_000_000_000;
    private static readonly byte[] s_hmacKey = "0123456789abcdef0123456789abcdef"u8.ToArray();
    private readonly ManualTimeProvider _clock = ManualTimeProvider.AtUnixMs(Now);
    private WebApplication? _app;
    private WebApplication? _strictApp;
    private readonly HttpClient _client = new();

    private Uri Base => new(_app!.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());

    private Uri StrictBase => new(_strictApp!.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());

    public async ValueTask InitializeAsync()
    {
        _app = await StartAsync(o => o.Soracom.PreSharedKeys.Add("topsecret"));
        _strictApp = await StartAsync(o =>
        {
            o.Soracom.PreSharedKeys.Add("topsecret");
            o.RequireMessageSignature = true;
            o.MessageSignatures.Keys["gw-1"] = s_hmacKey;
            o.MaxDigestBodyBytes = 1024;
        });
    }

    public async ValueTask DisposeAsync()
    {
        _client.Dispose();
        await _app!.DisposeAsync();
        await _strictApp!.DisposeAsync();
    }

    private async Task<WebApplication> StartAsync(Action<SoracomVerificationOptions> configure)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        builder.Services.AddSingleton<TimeProvider>(_clock);
        builder.Services.AddSoracomSignatureVerification(configure);
        var app = builder.Build();
        app.UseSoracomSignatureVerification();
        app.MapPost("/ingest", async (HttpContext c) =>
        {
            var body = await new StreamReader(c.Request.Body).ReadToEndAsync();
            var id = c.GetSoracomIdentity()!;
            var keyId = c.Features.Get<ISoracomIdentityFeature>()!.MessageSignatureKeyId;
            return Results.Text($"imsi={id.Imsi} imei={id.Imei} key={keyId} body={body}");
        });
        await app.StartAsync(TestContext.Current.CancellationToken);
        return app;
    }

    private static HttpRequestMessage Signed(Uri uri, string body = "{}", long ts = Now, Action<HttpRequestMessage>? tweak = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, uri) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        foreach (var (name, value) in new SoracomSigner("topsecret").CreateHttpHeaders(new SoracomIdentity { Imsi = "440101234567890", Imei = "123456789012345" }, ts))
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        tweak?.Invoke(request);
        return request;
    }

    private async Task<(HttpStatusCode Status, string Body)> SendAsync(HttpRequestMessage request)
    {
        using var response = await _client.SendAsync(request, TestContext.Current.CancellationToken);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Valid_signature_reaches_the_endpoint_with_the_identity()
    {
        var (status, body) = await SendAsync(Signed(new Uri(Base, "/ingest"), "hello"));
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("imsi=440101234567890 imei=123456789012345 key= body=hello", body);
    }

    public static TheoryData<string, string?, string> BadHeaders => new()
    {
        { "x-soracom-signature", null, "missing header x-soracom-signature\n" },
        { "x-soracom-signature-version", "1", "unknown signature version '1' (expected 20151001)\n" },
        { "x-soracom-timestamp", "soon", "x-soracom-timestamp 'soon' is not a decimal number of milliseconds\n" },
        { "x-soracom-imsi", "440101234567891", "signature mismatch: no configured key produces this signature\n" },
        { "x-soracom-signature", "00", "header x-soracom-signature is not 64 hex characters\n" },
    };

    [Theory]
    [MemberData(nameof(BadHeaders))]
    public async Task Each_bad_case_gets_401_and_its_reason(string header, string? value, string reason)
    {
        var request = Signed(new Uri(Base, "/ingest"), tweak: r =>
        {
            r.Headers.Remove(header);
            if (value is not null)
            {
                r.Headers.TryAddWithoutValidation(header, value);
            }
        });

        using var response = await _client.SendAsync(request, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("text/plain; charset=utf-8", response.Content.Headers.ContentType!.ToString());
        Assert.Equal(reason, await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Stale_timestamp_gets_401()
    {
        var (status, body) = await SendAsync(Signed(new Uri(Base, "/ingest"), ts: Now - 600_000));
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.StartsWith("stale timestamp:", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Replayed_request_gets_401_the_second_time()
    {
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(Signed(new Uri(Base, "/ingest"), ts: Now + 7))).Status);
        var (status, body) = await SendAsync(Signed(new Uri(Base, "/ingest"), ts: Now + 7));
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Equal("replayed: this signature was already accepted\n", body);
    }

    [Fact]
    public async Task Curl_request_signed_by_the_cli_form_is_accepted()
    {
        var args = new List<string> { "-s", "-o", "-", "-w", "\n%{http_code}", "-X", "POST", "--data-binary", "from-curl" };
        foreach (var (name, value) in new SoracomSigner("topsecret").CreateHttpHeaders(new SoracomIdentity { Imsi = "440101234567890" }, Now + 11))
        {
            args.Add("-H");
            args.Add($"{name}: {value}");
        }

        args.Add(new Uri(Base, "/ingest").ToString());
        var psi = new ProcessStartInfo("curl") { RedirectStandardOutput = true };
        args.ForEach(psi.ArgumentList.Add);
        using var curl = Process.Start(psi)!;
        var output = await curl.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        await curl.WaitForExitAsync(TestContext.Current.CancellationToken);

        Assert.Equal("imsi=440101234567890 imei= key= body=from-curl\n200", output);
    }

    private HttpRequestMessage StrictSigned(string body, string? digestBody = null, IReadOnlyList<string>? components = null)
    {
        var uri = new Uri(StrictBase, "/ingest");
        var request = Signed(uri, body, ts: Now + Random.Shared.Next(1000, 100_000));
        var digest = ContentDigest.Compute(Encoding.UTF8.GetBytes(digestBody ?? body));
        request.Headers.TryAddWithoutValidation("Content-Digest", digest);
        var message = new HttpMessageComponents("POST", uri, [new("x-soracom-imsi", "440101234567890"), new("Content-Digest", digest)]);
        var signature = new HttpMessageSigner("gw-1", s_hmacKey).Sign(
            message, components ?? HttpMessageSigner.DefaultComponents(["x-soracom-imsi"]), _clock.GetUtcNow());
        request.Headers.TryAddWithoutValidation("Signature-Input", signature.SignatureInput);
        request.Headers.TryAddWithoutValidation("Signature", signature.Signature);
        return request;
    }

    [Fact]
    public async Task Message_signature_with_matching_body_is_accepted_and_the_body_still_readable()
    {
        var (status, body) = await SendAsync(StrictSigned("{\"payload\":\"AQID\"}"));
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("imsi=440101234567890 imei=123456789012345 key=gw-1 body={\"payload\":\"AQID\"}", body);
    }

    [Fact]
    public async Task Body_changed_after_signing_gets_401()
    {
        var (status, body) = await SendAsync(StrictSigned("tampered", digestBody: "original"));
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Equal("Content-Digest sha-256 does not match the body\n", body);
    }

    [Fact]
    public async Task Soracom_signature_alone_is_not_enough_when_message_signatures_are_required()
    {
        var (status, body) = await SendAsync(Signed(new Uri(StrictBase, "/ingest"), ts: Now + 3));
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Equal("missing header Signature-Input\n", body);
    }

    [Fact]
    public async Task Body_over_the_digest_limit_gets_413()
    {
        var (status, body) = await SendAsync(StrictSigned(new string('a', 2048)));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
        Assert.Equal("body larger than 1024 bytes cannot be digest-checked\n", body);
    }

    [Fact]
    public async Task Bad_options_stop_the_application_at_start_naming_the_setting()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        builder.Services.AddSoracomSignatureVerification(o => o.Soracom.MaxClockSkew = TimeSpan.FromSeconds(-1));
        await using var app = builder.Build();
        app.UseSoracomSignatureVerification();
        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync(TestContext.Current.CancellationToken));
        Assert.Contains("Soracom.PreSharedKeys", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Soracom.MaxClockSkew", ex.Message, StringComparison.Ordinal);
    }
}
