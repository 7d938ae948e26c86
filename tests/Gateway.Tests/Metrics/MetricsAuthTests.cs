using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Gateway.Tests.Admin;

namespace Gateway.Tests.Metrics;

/// <summary><c>Gateway:Metrics:RequireAuth</c>: HTTP Basic with an auth key, or the API key and token, whose permission allows <c>Metrics:getMetrics</c>.</summary>
public sealed class MetricsAuthTests : IAsyncLifetime
{
    private const string NoMetrics = """{"statements":[{"effect":"allow","api":"*"},{"effect":"deny","api":["Metrics:*"]}]}""";
    private const string MetricsOnly = """{"statements":[{"effect":"allow","api":["Metrics:getMetrics"]}]}""";

    private readonly GatewayProcess _gateway = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync() => new(_gateway.StartAsync(
        "--Gateway:Metrics:RequireAuth", "true",
        "--Gateway:Admin:AuthKeys:0:AuthKeyId", "keyId-nometrics", "--Gateway:Admin:AuthKeys:0:AuthKey", "secret-nometrics-0123456789", "--Gateway:Admin:AuthKeys:0:Permission", NoMetrics,
        "--Gateway:Admin:AuthKeys:1:AuthKeyId", "keyId-scraper", "--Gateway:Admin:AuthKeys:1:AuthKey", "secret-scraper-0123456789", "--Gateway:Admin:AuthKeys:1:Permission", MetricsOnly));

    public ValueTask DisposeAsync() => _gateway.DisposeAsync();

    [Fact]
    public async Task Without_credentials_the_scrape_is_refused()
    {
        var response = await _gateway.Client.GetAsync(_gateway.Url("/metrics"), Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("Basic", response.Headers.WwwAuthenticate.Single().Scheme);
        Assert.DoesNotContain("# TYPE", await response.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("keyId-scraper", "secret-scraper-0123456789", HttpStatusCode.OK)]
    [InlineData(GatewayProcess.RootKeyId, GatewayProcess.RootKey, HttpStatusCode.OK)]
    [InlineData("keyId-nometrics", "secret-nometrics-0123456789", HttpStatusCode.Forbidden)]
    [InlineData("keyId-scraper", "wrong-secret-0123456789", HttpStatusCode.Unauthorized)]
    [InlineData("keyId-unknown", "secret-scraper-0123456789", HttpStatusCode.Unauthorized)]
    public async Task Basic_auth_with_an_auth_key(string id, string key, HttpStatusCode expected)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, _gateway.Url("/metrics"));
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{id}:{key}")));
        var response = await _gateway.Client.SendAsync(request, Ct);
        Assert.Equal(expected, response.StatusCode);
        if (expected == HttpStatusCode.OK)
        {
            var scrape = PrometheusText.Parse(await response.Content.ReadAsStringAsync(Ct));
            Assert.NotEmpty(scrape.Families);
        }
    }

    [Fact]
    public async Task The_api_key_and_token_of_the_admin_api_work_too()
    {
        using var scraper = await _gateway.LoginAsync("keyId-scraper", "secret-scraper-0123456789");
        Assert.Equal(HttpStatusCode.OK, (await scraper.GetAsync(_gateway.Url("/metrics"), Ct)).StatusCode);
        using var denied = await _gateway.LoginAsync("keyId-nometrics", "secret-nometrics-0123456789");
        Assert.Equal(HttpStatusCode.Forbidden, (await denied.GetAsync(_gateway.Url("/metrics"), Ct)).StatusCode);
    }

    [Fact]
    public async Task Health_stays_open()
    {
        Assert.Equal(HttpStatusCode.OK, (await _gateway.Client.GetAsync(_gateway.Url("/healthz"), Ct)).StatusCode);
    }
}
