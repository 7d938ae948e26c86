using System.Text;
using Gateway.Registry;
using Gateway.Tests.Admin;
using Gateway.Tests.Beam;
using Gateway.WebConsole;
using Microsoft.Playwright;

// Not Gateway.Tests.Console: that namespace would hide System.Console from every other test namespace.
namespace Gateway.Tests.WebConsole;

/// <summary>
/// The web console in headless Chromium (Debian's <c>/usr/bin/chromium</c>, driven by Microsoft.Playwright; no browser
/// is downloaded): sign in with the root auth key, see the demo subscriber, send it a datagram from this machine and
/// watch the chart draw the point, the live tail show it and the device come online, see a refused datagram in its error log; a wrong secret shows a message. Screenshots go to <c>console-screenshots/</c> in
/// the test output directory.
/// </summary>
public sealed class ConsoleBrowserTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_static_files_are_served_without_auth_with_a_content_security_policy()
    {
        await using var gateway = new GatewayProcess();
        await gateway.StartAsync();

        using var page = await gateway.Client.GetAsync(gateway.Url("/console/"), Ct);
        Assert.Equal(System.Net.HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html; charset=utf-8", page.Content.Headers.ContentType?.ToString());
        Assert.Equal(ConsoleEndpoints.ContentSecurityPolicy, page.Headers.GetValues("Content-Security-Policy").Single());
        Assert.Contains("script-src 'self'", ConsoleEndpoints.ContentSecurityPolicy, StringComparison.Ordinal);

        using var script = await gateway.Client.GetAsync(gateway.Url("/console/app.js"), Ct);
        Assert.Equal("text/javascript; charset=utf-8", script.Content.Headers.ContentType?.ToString());
        using var missing = await gateway.Client.GetAsync(gateway.Url("/console/nothing.js"), Ct);
        Assert.Equal(System.Net.HttpStatusCode.NotFound, missing.StatusCode);
        using var bare = await gateway.Client.GetAsync(gateway.Url("/console"), Ct);
        Assert.Equal(gateway.Url("/console/"), bare.RequestMessage!.RequestUri);

        // Only the admin port serves it: a device port does not.
        using var device = await gateway.Client.GetAsync(new Uri($"http://127.0.0.1:{gateway.HttpPort}/console/"), Ct);
        Assert.NotEqual(System.Net.HttpStatusCode.OK, device.StatusCode);
    }

    [Fact]
    public async Task Sign_in_see_the_demo_subscriber_send_a_datagram_and_watch_the_chart()
    {
        await using var gateway = new GatewayProcess { Demo = true };
        await gateway.StartAsync();
        await using var browser = await ConsoleBrowser.OpenAsync(gateway);
        var page = browser.Page;

        // A wrong secret: a message, and still the form.
        await page.FillAsync("#auth-key-id", GatewayProcess.RootKeyId);
        await page.FillAsync("#auth-key", "not-the-secret");
        await page.ClickAsync("button[type=submit]");
        await Assertions.Expect(page.Locator("#sign-in-error")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#sign-in-error")).ToContainTextAsync("wrong");
        await browser.ScreenshotAsync("1-wrong-secret.png");
        // The right one: the subscribers list with the demo device.
        await page.FillAsync("#auth-key", GatewayProcess.RootKey);
        await page.ClickAsync("button[type=submit]");
        var row = page.Locator($"#subscribers tr[data-imsi='{DemoRegistry.Imsi}']");
        await Assertions.Expect(row).ToBeVisibleAsync();
        await Assertions.Expect(row).ToContainTextAsync(DemoRegistry.Address);
        await Assertions.Expect(row).ToContainTextAsync(DemoRegistry.GroupId);
        await Assertions.Expect(row).ToHaveAttributeAsync("data-online", "false");
        await Assertions.Expect(row.Locator(".state")).ToHaveTextAsync("offline");
        await browser.ScreenshotAsync("2-subscribers.png");

        // The subscriber: no data yet, then a datagram from this machine, drawn at the next refresh (every 2 s).
        await row.GetByRole(AriaRole.Link).ClickAsync();
        await Assertions.Expect(page.Locator("#charts")).ToContainTextAsync("No numeric Harvest data");
        await Assertions.Expect(page.Locator("#logs")).ToContainTextAsync("No errors logged");
        var reply = await Socat.RunAsync("{\"temp\":21.5}"u8.ToArray(), $"UDP:127.0.0.1:{gateway.UnifiedPort},bind=127.0.0.1", waitSeconds: 2);
        Assert.Equal("201", Encoding.UTF8.GetString(reply));
        var chart = page.Locator("svg.chart[data-field='temp']");
        await Assertions.Expect(chart).ToHaveAttributeAsync("data-points", "1", new LocatorAssertionsToHaveAttributeOptions { Timeout = 10_000 });
        await Assertions.Expect(chart).ToHaveAttributeAsync("data-last", "21.5");
        await Assertions.Expect(page.Locator("#session-state")).ToContainTextAsync("online; last seen");
        // The live tail shows the datagram as it passed the pipeline, with Harvest's answer.
        var newest = page.Locator("#tail tbody tr").First;
        await Assertions.Expect(newest).ToContainTextAsync("{\"temp\":21.5}");
        await Assertions.Expect(newest).ToContainTextAsync("harvest 201");

        // A second one updates the same chart.
        reply = await Socat.RunAsync("{\"temp\":23}"u8.ToArray(), $"UDP:127.0.0.1:{gateway.UnifiedPort},bind=127.0.0.1", waitSeconds: 2);
        Assert.Equal("201", Encoding.UTF8.GetString(reply));
        await Assertions.Expect(chart).ToHaveAttributeAsync("data-points", "2", new LocatorAssertionsToHaveAttributeOptions { Timeout = 10_000 });
        await Assertions.Expect(chart.Locator("circle.point")).ToHaveCountAsync(2);
        await Assertions.Expect(chart.Locator("polyline.line")).ToHaveCountAsync(1);

        // A datagram over Harvest's size limit (1024 bytes by default) is refused: its error log line appears.
        var tooBig = Encoding.UTF8.GetBytes("{\"pad\":\"" + new string('x', 2000) + "\"}");
        await Socat.RunAsync(tooBig, $"UDP:127.0.0.1:{gateway.UnifiedPort},bind=127.0.0.1", waitSeconds: 2);
        await Assertions.Expect(page.Locator("#error-log")).ToContainTextAsync("Payload too large", new LocatorAssertionsToContainTextOptions { Timeout = 10_000 });
        await Assertions.Expect(page.Locator("#error-log")).ToContainTextAsync("Harvest");
        await Assertions.Expect(page.Locator("#tail tbody tr")).ToHaveCountAsync(3);
        await Assertions.Expect(newest).ToContainTextAsync("(2010 bytes)");
        await Assertions.Expect(newest).ToContainTextAsync("harvest 413");

        // Another time range keeps the points (both are recent).
        await page.SelectOptionAsync("#range", "24h");
        await Assertions.Expect(chart).ToHaveAttributeAsync("data-points", "2");
        await browser.ScreenshotAsync("3-subscriber-chart.png");

        // Back on the list, the device is online now, with when it was last seen.
        await page.ClickAsync("text=← Subscribers");
        await Assertions.Expect(row).ToHaveAttributeAsync("data-online", "true");
        await Assertions.Expect(row.Locator(".state")).ToHaveTextAsync("online");
        await Assertions.Expect(row.Locator(".last-seen")).Not.ToHaveTextAsync("—");

        // The wrong secret's 401 is the browser's own line about the request, not a script problem.
        browser.AssertNoProblems("401");
    }

    [Fact]
    public async Task Edit_a_group_see_the_registry_refuse_a_header_with_a_line_break_next_to_it_then_save_it_fixed_and_see_a_failing_destination()
    {
        await using var gateway = new GatewayProcess { Demo = true };
        await gateway.StartAsync();
        await using var browser = await ConsoleBrowser.OpenAsync(gateway);
        var page = browser.Page;
        await browser.SignInAsync();

        // The list, then the demo group with its namespaces as the API shows them.
        await page.ClickAsync("nav a[href='#/groups']");
        var row = page.Locator($"#groups tr[data-group-id='{DemoRegistry.GroupId}']");
        await Assertions.Expect(row).ToContainTextAsync("SoracomAir, SoracomHarvest");
        await row.GetByRole(AriaRole.Link).ClickAsync();
        await Assertions.Expect(page.Locator("textarea#ns-SoracomHarvest")).ToHaveValueAsync(new System.Text.RegularExpressions.Regex("\"enabled\": true"));
        await Assertions.Expect(page.Locator("textarea#ns-SoracomAir")).ToHaveValueAsync(new System.Text.RegularExpressions.Regex("@json"));

        // A Beam entry whose Authorization value carries CR LF: refused, the registry's message under that namespace.
        await page.FillAsync("#new-namespace", "SoracomBeam");
        await page.ClickAsync("#add-namespace button");
        var beam = page.Locator("form[data-namespace='SoracomBeam']");
        const string Entry = "http://beam.soracom.io:8888/x";
        await beam.Locator("textarea").FillAsync($$"""{ "{{Entry}}": { "destination": "http://127.0.0.1:9000/", "authorization": "Bearer a\r\nX-Injected: yes" } }""");
        await beam.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        var errors = beam.Locator("#ns-SoracomBeam-errors");
        await Assertions.Expect(errors).ToBeVisibleAsync();
        await Assertions.Expect(errors).ToContainTextAsync($"configuration.SoracomBeam[\"{Entry}\"].authorization: a header value: not empty, no control characters");
        await Assertions.Expect(errors.Locator("li")).ToHaveCountAsync(1);
        await Assertions.Expect(beam.Locator("textarea")).ToHaveAttributeAsync("aria-invalid", "true");
        await browser.ScreenshotAsync("4-group-config-error.png");
        using var admin = await gateway.LoginAsync();
        Assert.DoesNotContain("SoracomBeam", await admin.GetStringAsync(gateway.Url($"/v1/groups/{DemoRegistry.GroupId}"), Ct), StringComparison.Ordinal);

        // Fixed: saved, the message gone, the secret header shown masked as the API returns it.
        await beam.Locator("textarea").FillAsync($$"""{ "{{Entry}}": { "destination": "http://127.0.0.1:9000/", "authorization": "Bearer fixed-token" } }""");
        await beam.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Assertions.Expect(beam.Locator("#ns-SoracomBeam-status")).ToContainTextAsync("Saved");
        await Assertions.Expect(errors).ToBeHiddenAsync();
        await Assertions.Expect(beam.Locator("textarea")).ToHaveValueAsync(new System.Text.RegularExpressions.Regex(System.Text.RegularExpressions.Regex.Escape(ConfigurationSecrets.Mask)));
        await Assertions.Expect(beam.Locator("textarea")).Not.ToHaveValueAsync(new System.Text.RegularExpressions.Regex("fixed-token"));
        await browser.ScreenshotAsync("5-group-config-saved.png");

        // A parameter taken out of the text is deleted on save; the rest of the namespace stays.
        await page.Locator("textarea#ns-SoracomAir").FillAsync("""{ "binaryParserEnabled": true, "binaryParserFormat": "@json" }""");
        await page.Locator("form[data-namespace='SoracomAir']").GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Assertions.Expect(page.Locator("#ns-SoracomAir-status")).ToContainTextAsync("Saved");
        var air = await admin.GetStringAsync(gateway.Url($"/v1/groups/{DemoRegistry.GroupId}"), Ct);
        Assert.DoesNotContain("metadata", air, StringComparison.Ordinal);
        Assert.Contains("binaryParserFormat", air, StringComparison.Ordinal);

        // A UDP→HTTP entry to a port nobody listens on, the secret kept by sending its mask back: the datagram's
        // delivery fails, and the health page says so for that destination; the Harvest store worked.
        var closed = GatewayProcess.ClosedPort();
        await beam.Locator("textarea").FillAsync($$"""
            { "{{Entry}}": { "destination": "http://127.0.0.1:9000/", "authorization": "{{ConfigurationSecrets.Mask}}" },
              "udp://beam.soracom.io:23080": { "destination": "http://127.0.0.1:{{closed}}/in", "enabled": true } }
            """);
        await beam.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Assertions.Expect(beam.Locator("textarea")).ToHaveValueAsync(new System.Text.RegularExpressions.Regex($"127.0.0.1:{closed}"));
        await Socat.RunAsync("{\"temp\":20}"u8.ToArray(), $"UDP:127.0.0.1:{gateway.UnifiedPort},bind=127.0.0.1", waitSeconds: 3);
        await page.ClickAsync("nav a[href='#/health']");
        var failing = page.Locator($"#health tr[data-service='Beam'][data-destination='http://127.0.0.1:{closed}']");
        await Assertions.Expect(failing).ToHaveAttributeAsync("data-healthy", "false");
        await Assertions.Expect(failing.Locator(".failures")).ToHaveTextAsync("1");
        await Assertions.Expect(failing.Locator(".last-failure")).ToContainTextAsync("refused");
        var store = page.Locator("#health tr[data-service='Harvest']");
        await Assertions.Expect(store).ToHaveAttributeAsync("data-healthy", "true");
        await Assertions.Expect(store.Locator(".successes")).ToHaveTextAsync("1");
        await browser.ScreenshotAsync("6-health.png");

        browser.AssertNoProblems("400");
    }
}
