using Gateway.Tests.Admin;
using Microsoft.Playwright;

namespace Gateway.Tests.WebConsole;

/// <summary>
/// Headless Debian Chromium (<c>/usr/bin/chromium</c>) driven by Microsoft.Playwright, one page on the console of a
/// running gateway. Script errors and Content-Security-Policy refusals are collected; <see cref="AssertNoProblems"/>
/// fails the test on any.
/// </summary>
internal sealed class ConsoleBrowser : IAsyncDisposable
{
    public const string Chromium = "/usr/bin/chromium";

    private static readonly string s_screenshots = Path.Combine(AppContext.BaseDirectory, "console-screenshots");

    private readonly IPlaywright _playwright;
    private readonly IBrowser _browser;
    private readonly List<string> _problems = [];

    private ConsoleBrowser(IPlaywright playwright, IBrowser browser, IPage page)
    {
        _playwright = playwright;
        _browser = browser;
        Page = page;
        page.Console += (_, m) =>
        {
            if (m.Type == "error")
            {
                lock (_problems)
                {
                    _problems.Add($"{m.Text} ({m.Location})");
                }
            }
        };
        page.PageError += (_, e) =>
        {
            lock (_problems)
            {
                _problems.Add(e);
            }
        };
    }

    public IPage Page { get; }

    public static async Task<ConsoleBrowser> OpenAsync(GatewayProcess gateway)
    {
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: test.sh installs Debian's chromium package");
        Directory.CreateDirectory(s_screenshots);
        Environment.SetEnvironmentVariable("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
        var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium,
            Headless = true,
            Args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        });
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1000, Height = 900 } });
        await page.GotoAsync(gateway.Url("/console/").ToString());
        return new ConsoleBrowser(playwright, browser, page);
    }

    /// <summary>Signs in with the root key and waits for the subscribers list.</summary>
    public async Task SignInAsync()
    {
        await Page.FillAsync("#auth-key-id", GatewayProcess.RootKeyId);
        await Page.FillAsync("#auth-key", GatewayProcess.RootKey);
        await Page.ClickAsync("button[type=submit]");
        await Assertions.Expect(Page.Locator("h1")).ToHaveTextAsync("Subscribers");
    }

    public Task ScreenshotAsync(string name) =>
        Page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(s_screenshots, name), FullPage = true });

    /// <summary>No script error and no refused request, apart from the browser's own lines about the given statuses.</summary>
    public void AssertNoProblems(params string[] expectedStatuses)
    {
        lock (_problems)
        {
            // A 4xx the page asked for (a wrong secret, a refused save) is the browser's own line about the request.
            _problems.RemoveAll(p => expectedStatuses.Any(s => p.Contains($"status of {s}", StringComparison.Ordinal)));
            Assert.Empty(_problems);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _browser.DisposeAsync();
        _playwright.Dispose();
    }
}
