using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Gateway.Tests;

public sealed class RunCommandTests
{
    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Gateway_with_or_without_run_serves_healthz_on_the_admin_port(bool explicitRun)
    {
        var port = FreePort();
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "gateway.dll"));
        if (explicitRun)
        {
            psi.ArgumentList.Add("run");
        }

        psi.ArgumentList.Add("--Gateway:AdminPort");
        psi.ArgumentList.Add(port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        using var process = Process.Start(psi)!;
        try
        {
            using var client = new HttpClient();
            string? body = null;
            for (var attempt = 0; attempt < 100 && body is null; attempt++)
            {
                try
                {
                    body = await client.GetStringAsync(new Uri($"http://127.0.0.1:{port}/healthz"), TestContext.Current.CancellationToken);
                }
                catch (HttpRequestException)
                {
                    await Task.Delay(100, TestContext.Current.CancellationToken);
                }
            }

            Assert.Equal("ok\n", body);
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(TestContext.Current.CancellationToken);
        }
    }

    [Fact]
    public async Task Admin_port_out_of_range_exits_2_naming_the_setting()
    {
        var (exit, _, error) = await CliRunner.RunProcessAsync("", "--Gateway:AdminPort", "70000");
        Assert.Equal(2, exit);
        Assert.Contains("Gateway:AdminPort must be between 1 and 65535 (was 70000)", error, StringComparison.Ordinal);
    }
}
