using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Gateway.Devices;
using Gateway.Diagnostics;
using Gateway.Registry;
using Gateway.Tests.Infrastructure;
using Gateway.Tests.Registry;
using Microsoft.AspNetCore.Http;

namespace Gateway.Tests.Devices;

/// <summary>
/// The opening the metadata service and Endorse share, with answers of a service of its own: what a refused device, a
/// browser's preflight and a group with the service off get back, and what is counted and logged. The services' end-to-end
/// tests reach it only through their own codes.
/// </summary>
public sealed class DeviceServicePrologueTests
{
    private const string Known = "127.0.0.11";

    // A route of its own, so counters of other tests running meanwhile do not mix in.
    private static readonly DeviceServiceAnswers s_answers =
        new("Probe", new DeviceHostRoute("prologue-probe", "probe"), "PRB0001", "PRB0002", "Probe is off.", "GET, PATCH");

    private readonly ListLogger _logger = new();

    private DeviceServicePrologue Prologue()
    {
        var errors = new List<string>();
        var group = RegistryParserTests.SoracomGroupJson
            + """, { "groupId": "g-range", "configuration": { "GatewayIdentity": { "ipRanges": ["10.9.0.0/16"] } } }""";
        var doc = RegistryParser.Parse(JsonNode.Parse(RegistryParserTests.Seed(group: group)), errors);
        Assert.True(errors.Count == 0, string.Join("\n", errors));
        var resolver = new IdentityResolver();
        resolver.Publish(new RegistrySnapshot(doc!));
        return new DeviceServicePrologue(resolver, s_answers, _logger, new ManualClock());
    }

    private static DefaultHttpContext Request(string address, string method = "GET")
    {
        var context = new DefaultHttpContext();
        context.Connection.RemoteIpAddress = IPAddress.Parse(address);
        context.Request.Method = method;
        context.Response.Body = new MemoryStream();
        return context;
    }

    private static string Body(HttpContext context) => Encoding.UTF8.GetString(((MemoryStream)context.Response.Body).ToArray());

    [Theory]
    [InlineData("127.0.0.99", "UnknownDevice")]
    [InlineData("10.9.1.1", "None")]
    public async Task A_source_that_is_not_a_device_with_its_own_SIM_gets_403_with_the_services_code(string address, string refusal)
    {
        using var prologue = Prologue();
        using var refused = new DeviceResultCounter("prologue-probe", "refused");
        var context = Request(address);

        Assert.Null(await prologue.AdmitAsync(context));

        Assert.Equal(403, context.Response.StatusCode);
        Assert.Equal("application/json", context.Response.ContentType);
        Assert.Equal("""{"code":"PRB0001","message":"device not recognised"}""", Body(context));
        Assert.Equal(1, refused.Count);
        Assert.Equal([$"Probe: refused {address} ({refusal})"], _logger.Lines);
    }

    [Fact]
    public async Task A_known_device_is_admitted_and_nothing_is_written()
    {
        using var prologue = Prologue();
        var context = Request(Known);

        var device = await prologue.AdmitAsync(context);

        Assert.Equal("440101234567890", device?.Subscriber?.Imsi);
        Assert.Equal(200, context.Response.StatusCode);
        Assert.Equal(string.Empty, Body(context));
    }

    [Fact]
    public async Task A_flood_of_refusals_is_answered_every_time_but_logged_a_few_times()
    {
        using var prologue = Prologue();
        for (var i = 0; i < 3 * LogRateLimiter.DefaultPerSource; i++)
        {
            var context = Request("127.0.0.99");
            await prologue.AdmitAsync(context);
            Assert.Equal(403, context.Response.StatusCode);
        }

        Assert.Equal(LogRateLimiter.DefaultPerSource, _logger.Lines.Count);
    }

    [Fact]
    public void A_preflight_is_answered_204_with_the_services_methods_and_the_groups_origin()
    {
        using var prologue = Prologue();
        var context = Request(Known, "OPTIONS");

        Assert.True(prologue.AnswerPreflight(context, "https://app.example.com"));

        Assert.Equal(204, context.Response.StatusCode);
        Assert.Equal("https://app.example.com", context.Response.Headers.AccessControlAllowOrigin.ToString());
        Assert.Equal("GET, PATCH", context.Response.Headers.AccessControlAllowMethods.ToString());
        Assert.Equal("Content-Type", context.Response.Headers.AccessControlAllowHeaders.ToString());
        Assert.Equal(string.Empty, Body(context));
    }

    [Theory]
    [InlineData("https://app.example.com")]
    [InlineData(null)]
    public void Any_other_request_goes_on_with_the_origin_header_only_when_the_group_sets_one(string? origin)
    {
        using var prologue = Prologue();
        var context = Request(Known, "GET");

        Assert.False(prologue.AnswerPreflight(context, origin));

        Assert.Equal(200, context.Response.StatusCode);
        Assert.Equal(origin ?? string.Empty, context.Response.Headers.AccessControlAllowOrigin.ToString());
        Assert.False(context.Response.Headers.ContainsKey("Access-Control-Allow-Methods"));
    }

    [Fact]
    public void A_preflight_without_an_origin_is_still_answered_but_allows_no_origin()
    {
        using var prologue = Prologue();
        var context = Request(Known, "OPTIONS");

        Assert.True(prologue.AnswerPreflight(context, null));

        Assert.Equal(204, context.Response.StatusCode);
        Assert.False(context.Response.Headers.ContainsKey("Access-Control-Allow-Origin"));
    }

    [Fact]
    public async Task A_group_with_the_service_off_gets_403_with_the_services_code_and_message()
    {
        using var prologue = Prologue();
        using var disabled = new DeviceResultCounter("prologue-probe", "disabled");
        var context = Request(Known);

        await prologue.RefuseDisabledAsync(context);

        Assert.Equal(403, context.Response.StatusCode);
        Assert.Equal("""{"code":"PRB0002","message":"Probe is off."}""", Body(context));
        Assert.Equal(1, disabled.Count);
    }
}
