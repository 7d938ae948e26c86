using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Gateway.Admin;
using Gateway.Logs;
using Gateway.Registry;
using Gateway.Registry.Stores;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Gateway.Tests.Funnel;

/// <summary>
/// <c>GET /v1/logs</c> on the admin API (its authentication and SAM check), listing what Funnel recorded.
/// </summary>
public sealed class LogsApiTests : IAsyncLifetime
{
    private const string RootId = "keyId-root";
    private const string RootKey = "secret-root-0123456789abcdef";
    private readonly string _dataDir = Directory.CreateTempSubdirectory("gw-logs-").FullName;
    private WebApplication _app = null!;
    private FunnelHarness _funnel = null!;
    private TestWebhook _hook = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private Uri Url(string path) => new($"{_app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()}{path}");

    public async ValueTask InitializeAsync()
    {
        _hook = await TestWebhook.StartAsync();
        _funnel = FunnelHarness.Create(FunnelRegistry.Seed(FunnelRegistry.Funnel(_hook.Url())));
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(Options.Create(new AdminOptions { OperatorId = "OP0012345678" }));
        AuthKeyOptions[] keys =
        [
            new() { AuthKeyId = "keyId-logs", AuthKey = "secret-logs-0123456789", Permission = """{"statements":[{"effect":"allow","api":["Log:getLogs"]}]}""" },
            new() { AuthKeyId = "keyId-sims", AuthKey = "secret-sims-0123456789", Permission = """{"statements":[{"effect":"allow","api":["Subscriber:*"]}]}""" },
        ];
        builder.Services.AddSingleton(sp => new AdminAuth(RootId, RootKey, keys, TimeProvider.System));
        builder.Services.AddSingleton(Options.Create(new RegistryOptions()));
        builder.Services.AddSingleton(_funnel.Resolver);
        builder.Services.AddSingleton<IRegistryStore>(new SqliteRegistryStore(Path.Combine(_dataDir, "registry.db")));
        builder.Services.AddSingleton<RegistryService>();
        builder.Services.AddSingleton(_funnel.ErrorLog);
        _app = builder.Build();
        _app.UseRouting();
        _app.MapAdminApi();
        await _app.StartAsync(Ct);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync();
        await _funnel.DisposeAsync();
        await _hook.DisposeAsync();
        Directory.Delete(_dataDir, recursive: true);
    }

    private async Task<HttpClient> LoginAsync(string id, string key)
    {
        using var anonymous = new HttpClient();
        var response = await anonymous.PostAsJsonAsync(Url("/v1/auth"), new { authKeyId = id, authKey = key }, Ct);
        var body = await response.Content.ReadFromJsonAsync<JsonObject>(Ct);
        var client = new HttpClient();
        client.DefaultRequestHeaders.Add("X-Soracom-API-Key", (string)body!["apiKey"]!);
        client.DefaultRequestHeaders.Add("X-Soracom-Token", (string)body["token"]!);
        return client;
    }

    [Fact]
    public async Task Funnel_failures_are_listed_newest_first_and_paged_with_the_next_key()
    {
        _hook.Answer(400, 404, 409);
        foreach (var _ in new[] { 1, 2, 3 })
        {
            await _funnel.SendAsync(Gateway.Pipeline.SourceProtocol.Udp, "{}");
        }

        using var client = await LoginAsync("keyId-logs", "secret-logs-0123456789");
        var first = await client.GetAsync(Url($"/v1/logs?resource_type=Subscriber&resource_id={FunnelRegistry.Imsi}&service=Funnel&limit=2"), Ct);
        var page = JsonNode.Parse(await first.Content.ReadAsStringAsync(Ct))!.AsArray();
        var next = first.Headers.GetValues("x-soracom-next-key").Single();
        var second = await client.GetAsync(Url($"/v1/logs?resource_type=Subscriber&resource_id={FunnelRegistry.Imsi}&service=Funnel&limit=2&last_evaluated_key={next}"), Ct);
        var rest = JsonNode.Parse(await second.Content.ReadAsStringAsync(Ct))!.AsArray();

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal([409, 404], page.Select(static e => (int)e!["body"]!["statusCode"]!));
        Assert.Contains("rel=next", first.Headers.GetValues("link").Single(), StringComparison.Ordinal);
        var entry = page[0]!;
        Assert.Equal("Funnel", (string?)entry["service"]);
        Assert.Equal("Subscriber", (string?)entry["resourceType"]);
        Assert.Equal(FunnelRegistry.Imsi, (string?)entry["resourceId"]);
        Assert.Equal("OP0012345678", (string?)entry["operatorId"]);
        Assert.Equal("error", (string?)entry["logLevel"]);
        Assert.Equal($"127.0.0.1:{_hook.Port} answered 409", (string?)entry["body"]!["message"]);
        Assert.Equal("webhook/webhook", (string?)entry["body"]!["destination"]);
        Assert.True((long)entry["time"]! > 1_700_000_000_000);
        Assert.Equal([400], rest.Select(static e => (int)e!["body"]!["statusCode"]!));
        Assert.False(second.Headers.Contains("x-soracom-next-key"));
    }

    [Fact]
    public async Task Filters_and_bad_queries()
    {
        _hook.Answer(400);
        await _funnel.SendAsync(Gateway.Pipeline.SourceProtocol.Udp, "{}");
        using var client = await LoginAsync(RootId, RootKey);

        var other = JsonNode.Parse(await client.GetStringAsync(Url("/v1/logs?resource_id=440100000000000"), Ct))!.AsArray();
        var beam = JsonNode.Parse(await client.GetStringAsync(Url("/v1/logs?service=Beam"), Ct))!.AsArray();
        var future = JsonNode.Parse(await client.GetStringAsync(Url($"/v1/logs?from={DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeMilliseconds()}"), Ct))!.AsArray();
        var all = JsonNode.Parse(await client.GetStringAsync(Url("/v1/logs"), Ct))!.AsArray();
        var bad = await client.GetAsync(Url("/v1/logs?resource_type=Sim&limit=0"), Ct);

        Assert.Empty(other);
        Assert.Empty(beam);
        Assert.Empty(future);
        Assert.Single(all);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        var error = JsonNode.Parse(await bad.Content.ReadAsStringAsync(Ct))!;
        Assert.Equal("COM0001", (string?)error["code"]);
        Assert.Contains("resource_type must be one of Subscriber, Device, LoraDevice, SigfoxDevice", (string?)error["message"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Needs_authentication_and_the_log_permission()
    {
        using var anonymous = new HttpClient();
        using var sims = await LoginAsync("keyId-sims", "secret-sims-0123456789");

        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync(Url("/v1/logs"), Ct)).StatusCode);
        var forbidden = await sims.GetAsync(Url("/v1/logs"), Ct);
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        Assert.Equal("Not permitted: Log:getLogs", (string?)JsonNode.Parse(await forbidden.Content.ReadAsStringAsync(Ct))!["message"]);
    }
}
