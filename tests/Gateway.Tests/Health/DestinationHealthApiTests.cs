using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Gateway.Registry;
using Gateway.Tests.Admin;
using Gateway.Tests.Beam;

namespace Gateway.Tests.Health;

/// <summary>
/// <c>GET /v1/health/destinations</c> on the demo gateway: the Harvest store and a Beam upstream that answers, then
/// one that refuses connections, named without the user info and query its URL carries.
/// </summary>
public sealed class DestinationHealthApiTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    [Fact]
    public async Task Beam_and_Harvest_destinations_report_successes_then_a_failure_with_its_reason_and_no_secret()
    {
        await using var upstream = await RecordingUpstream.StartAsync();
        await using var gateway = new GatewayProcess { Demo = true };
        await gateway.StartAsync();
        using var admin = await gateway.LoginAsync();
        var beamUrl = gateway.Url($"/v1/groups/{DemoRegistry.GroupId}/configuration/SoracomBeam");
        var up = upstream.BaseUri.ToString().TrimEnd('/');

        Assert.Empty((await admin.GetFromJsonAsync<JsonArray>(gateway.Url("/v1/health/destinations"), Ct))!);

        using (var put = await admin.PutAsync(beamUrl, Json($$"""{ "udp://beam.soracom.io:23080": { "destination": "{{up}}/in", "enabled": true } }"""), Ct))
        {
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        }

        await Socat.RunAsync("{\"temp\":1}"u8.ToArray(), $"UDP:127.0.0.1:{gateway.UnifiedPort},bind=127.0.0.1", waitSeconds: 3);
        var closed = GatewayProcess.ClosedPort();
        using (var put = await admin.PutAsync(beamUrl, Json($$"""{ "udp://beam.soracom.io:23080": { "destination": "http://127.0.0.1:{{closed}}/in?key=s3cret", "enabled": true } }"""), Ct))
        {
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        }

        await Socat.RunAsync("{\"temp\":2}"u8.ToArray(), $"UDP:127.0.0.1:{gateway.UnifiedPort},bind=127.0.0.1", waitSeconds: 3);

        var text = await admin.GetStringAsync(gateway.Url("/v1/health/destinations"), Ct);
        Assert.DoesNotContain("s3cret", text, StringComparison.Ordinal);
        var all = JsonNode.Parse(text)!.AsArray();
        var ok = all.Single(d => (string?)d!["destination"] == up)!;
        Assert.Equal(("Beam", "http", 1L, 0L, true), ((string?)ok["service"], (string?)ok["kind"], (long)ok["successes"]!, (long)ok["failures"]!, (bool)ok["healthy"]!));
        Assert.NotNull(ok["lastSuccessTime"]);

        var down = all.Single(d => (string?)d!["destination"] == $"http://127.0.0.1:{closed}")!;
        Assert.Equal((0L, 1L, false), ((long)down["successes"]!, (long)down["failures"]!, (bool)down["healthy"]!));
        Assert.Contains("refused", (string?)down["lastFailure"], StringComparison.OrdinalIgnoreCase);

        var harvest = all.Single(d => (string?)d!["service"] == "Harvest")!;
        Assert.Equal(2L, (long)harvest["successes"]!);
        Assert.True((bool)harvest["healthy"]!);
    }

    [Theory]
    [InlineData("relay on event loops", "--Gateway:Beam:EventLoopRelay", "true")]
    [InlineData("relay on Kestrel's transport", "--Gateway:Beam:EventLoopRelay", "false")]
    [InlineData("Kestrel path (YARP)", "--Gateway:Beam:DirectRelay", "false")]
    public async Task Beam_HTTP_entry_points_report_answers_upstream_errors_and_refusals(string path, string option, string value)
    {
        Assert.NotEmpty(path);
        await using var upstream = await RecordingUpstream.StartAsync();
        await using var gateway = new GatewayProcess { Demo = true };
        await gateway.StartAsync(option, value);
        using var admin = await gateway.LoginAsync();
        var up = upstream.BaseUri.ToString().TrimEnd('/');
        var closed = GatewayProcess.ClosedPort();
        using (var put = await admin.PutAsync(gateway.Url($"/v1/groups/{DemoRegistry.GroupId}/configuration/SoracomBeam"), Json($$"""
            {
              "http://beam.soracom.io:8888/in": { "destination": "{{up}}/in", "enabled": true },
              "http://beam.soracom.io:8888/down": { "destination": "http://127.0.0.1:{{closed}}/x?token=s3cret", "enabled": true }
            }
            """), Ct))
        {
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        }

        using var device = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{gateway.HttpPort}") };
        Assert.Equal(HttpStatusCode.OK, (await device.PostAsync("/in", Json("{}"), Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await device.PostAsync("/in", Json("{}"), Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.BadGateway, (await device.PostAsync("/down", Json("{}"), Ct)).StatusCode);

        var all = (await admin.GetFromJsonAsync<JsonArray>(gateway.Url("/v1/health/destinations"), Ct))!;
        var ok = all.Single(d => (string?)d!["destination"] == up)!;
        Assert.Equal(("Beam", "http", 2L, 0L, true), ((string?)ok["service"], (string?)ok["kind"], (long)ok["successes"]!, (long)ok["failures"]!, (bool)ok["healthy"]!));
        var down = all.Single(d => (string?)d!["destination"] == $"http://127.0.0.1:{closed}")!;
        Assert.Equal((0L, 1L, false), ((long)down["successes"]!, (long)down["failures"]!, (bool)down["healthy"]!));
        Assert.Contains("refused", (string?)down["lastFailure"], StringComparison.OrdinalIgnoreCase);

        // An upstream's own error answer is relayed as it is, and counted against the destination with its status.
        upstream.Reply = (503, "maintenance");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await device.PostAsync("/in", Json("{}"), Ct)).StatusCode);
        all = (await admin.GetFromJsonAsync<JsonArray>(gateway.Url("/v1/health/destinations"), Ct))!;
        ok = all.Single(d => (string?)d!["destination"] == up)!;
        Assert.Equal((2L, 1L, false, "the upstream answered 503"), ((long)ok["successes"]!, (long)ok["failures"]!, (bool)ok["healthy"]!, (string?)ok["lastFailure"]));
    }
}
