using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Gateway.Registry;
using Gateway.Tests.Admin;
using Gateway.Tests.Beam;

namespace Gateway.Tests.Tail;

/// <summary><c>GET /v1/subscribers/{imsi}/tail</c> on a running gateway: text and binary datagrams, the cursor, SAM.</summary>
public sealed class TailApiTests
{
    private const string NoTail = """{"statements":[{"effect":"allow","api":["Subscriber:*"]},{"effect":"deny","api":["Subscriber:getMessageTail"]}]}""";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Datagrams_of_the_watched_demo_device_come_back_as_text_or_hex_after_the_cursor()
    {
        await using var gateway = new GatewayProcess { Demo = true };
        await gateway.StartAsync(
            "--Gateway:Admin:AuthKeys:0:AuthKeyId", "keyId-notail", "--Gateway:Admin:AuthKeys:0:AuthKey", "secret-notail-0123456789", "--Gateway:Admin:AuthKeys:0:Permission", NoTail);
        using var admin = await gateway.LoginAsync();
        var url = gateway.Url($"/v1/subscribers/{DemoRegistry.Imsi}/tail");

        var first = await admin.GetFromJsonAsync<JsonObject>(url, Ct);
        Assert.Empty(first!["entries"]!.AsArray());
        var cursor = (long)first["cursor"]!;

        await Socat.RunAsync("{\"temp\":21.5}"u8.ToArray(), $"UDP:127.0.0.1:{gateway.UnifiedPort},bind=127.0.0.1", waitSeconds: 2);
        await Socat.RunAsync([0x01, 0x02, 0xff], $"UDP:127.0.0.1:{gateway.UnifiedPort},bind=127.0.0.1", waitSeconds: 2);

        var page = await admin.GetFromJsonAsync<JsonObject>(new Uri(url + $"?after={cursor}"), Ct);
        var entries = page!["entries"]!.AsArray();
        Assert.Equal(2, entries.Count);
        Assert.Equal("{\"temp\":21.5}", (string?)entries[0]!["payloadText"]);
        Assert.Equal("{\"temp\":21.5,\"binaryParserEnabled\":true}", (string?)entries[0]!["parsedText"]);
        Assert.Equal("harvest", (string?)entries[0]!["results"]![0]!["service"]);
        Assert.Equal(201, (int)entries[0]!["results"]![0]!["status"]!);
        Assert.Equal("0102ff", (string?)entries[1]!["payloadHex"]);
        Assert.Null(entries[1]!["payloadText"]);
        Assert.False((bool)entries[1]!["payloadTruncated"]!);

        var next = await admin.GetFromJsonAsync<JsonObject>(new Uri(url + $"?after={(long)page["cursor"]!}"), Ct);
        Assert.Empty(next!["entries"]!.AsArray());

        using var unknown = await admin.GetAsync(gateway.Url("/v1/subscribers/001019999999999/tail"), Ct);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        using var bad = await admin.GetAsync(new Uri(url + "?after=x"), Ct);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);

        using var denied = await (await gateway.LoginAsync("keyId-notail", "secret-notail-0123456789")).GetAsync(url, Ct);
        Assert.Equal(HttpStatusCode.Forbidden, denied.StatusCode);
        Assert.Contains("Subscriber:getMessageTail", Encoding.UTF8.GetString(await denied.Content.ReadAsByteArrayAsync(Ct)), StringComparison.Ordinal);
    }
}
