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
/// watch the chart draw the point, see a refused datagram in its error log; a wrong secret shows a message. Screenshots go to <c>console-screenshots/</c> in
/// the test output directory.
/// </summary>
public sealed class ConsoleBrowserTests
{
    private const string Chromium = "/usr/bin/chromium";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly string s_screenshots = Path.Combine(AppContext.BaseDirectory, "console-screenshots");

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
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: test.sh installs Debian's chromium package");
        await using var gateway = new GatewayProcess { Demo = true };
        await gateway.StartAsync();
        Directory.CreateDirectory(s_screenshots);

        Environment.SetEnvironmentVariable("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium,
            Headless = true,
            Args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        });
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1000, Height = 900 } });
        // A script error or a Content-Security-Policy refusal fails the test.
        var problems = new List<string>();
        page.Console += (_, m) =>
        {
            if (m.Type == "error")
            {
                lock (problems)
                {
                    problems.Add($"{m.Text} ({m.Location})");
                }
            }
        };
        page.PageError += (_, e) =>
        {
            lock (problems)
            {
                problems.Add(e);
            }
        };

        await page.GotoAsync(gateway.Url("/console/").ToString());

        // A wrong secret: a message, and still the form.
        await page.FillAsync("#auth-key-id", GatewayProcess.RootKeyId);
        await page.FillAsync("#auth-key", "not-the-secret");
        await page.ClickAsync("button[type=submit]");
        await Assertions.Expect(page.Locator("#sign-in-error")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#sign-in-error")).ToContainTextAsync("wrong");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(s_screenshots, "1-wrong-secret.png") });
        // The right one: the subscribers list with the demo device.
        await page.FillAsync("#auth-key", GatewayProcess.RootKey);
        await page.ClickAsync("button[type=submit]");
        var row = page.Locator($"#subscribers tr[data-imsi='{DemoRegistry.Imsi}']");
        await Assertions.Expect(row).ToBeVisibleAsync();
        await Assertions.Expect(row).ToContainTextAsync(DemoRegistry.Address);
        await Assertions.Expect(row).ToContainTextAsync(DemoRegistry.GroupId);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(s_screenshots, "2-subscribers.png") });

        // The subscriber: no data yet, then a datagram from this machine, drawn at the next refresh (every 2 s).
        await row.GetByRole(AriaRole.Link).ClickAsync();
        await Assertions.Expect(page.Locator("#charts")).ToContainTextAsync("No numeric Harvest data");
        await Assertions.Expect(page.Locator("#logs")).ToContainTextAsync("No errors logged");
        var reply = await Socat.RunAsync("{\"temp\":21.5}"u8.ToArray(), $"UDP:127.0.0.1:{gateway.UnifiedPort},bind=127.0.0.1", waitSeconds: 2);
        Assert.Equal("201", Encoding.UTF8.GetString(reply));
        var chart = page.Locator("svg.chart[data-field='temp']");
        await Assertions.Expect(chart).ToHaveAttributeAsync("data-points", "1", new LocatorAssertionsToHaveAttributeOptions { Timeout = 10_000 });
        await Assertions.Expect(chart).ToHaveAttributeAsync("data-last", "21.5");

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

        // Another time range keeps the points (both are recent).
        await page.SelectOptionAsync("#range", "24h");
        await Assertions.Expect(chart).ToHaveAttributeAsync("data-points", "2");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(s_screenshots, "3-subscriber-chart.png"), FullPage = true });

        lock (problems)
        {
            // The wrong secret's 401 is the browser's own line about the request, not a script problem.
            problems.RemoveAll(static p => p.Contains("401", StringComparison.Ordinal) && p.Contains("/v1/auth", StringComparison.Ordinal));
            Assert.Empty(problems);
        }
    }
}
