using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Gateway.Tests;

public sealed class RunCommandTests
{

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Gateway_with_or_without_run_serves_healthz_on_the_admin_port(bool explicitRun)
    {
        var port = Admin.GatewayProcess.FreePort();
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "gateway.dll"));
        if (explicitRun)
        {
            psi.ArgumentList.Add("run");
        }

        psi.ArgumentList.Add("--Gateway:AdminPort");
        psi.ArgumentList.Add(port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        foreach (var a in (string[])["--listen-address", "127.0.0.1", "--http-port", "0", "--website-port", "0", "--unified-port", "0", "--tcp-port", "0", "--mqtt-port", "0", "--device-http-port", "0", "--mqtt-pipeline-port", "0"])
        {
            psi.ArgumentList.Add(a);
        }

        psi.ArgumentList.Add("--data-dir");
        psi.ArgumentList.Add(Directory.CreateTempSubdirectory("gw-run-").FullName);
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
    public async Task Bad_seed_file_stops_the_start_listing_every_error_with_its_path()
    {
        var dir = Directory.CreateTempSubdirectory("gw-run-").FullName;
        var seed = Path.Combine(dir, "seed.json");
        await File.WriteAllTextAsync(seed, """
            { "groups": [ { "groupId": "g-sensors", "configuration": { "SoracomBeam": {
                "tcp://beam.soracom.io:8023": { "destination": "https://wrong.example" } } } } ],
              "subscribers": [ { "imsi": "440101234567890", "groupId": "g-missing" } ] }
            """, TestContext.Current.CancellationToken);

        var (exit, _, error) = await CliRunner.RunProcessAsync("", "--registry", seed, "--data-dir", dir);

        Assert.Equal(2, exit);
        Assert.Contains("2 configuration error(s)", error, StringComparison.Ordinal);
        Assert.Contains("groups[g-sensors].configuration.SoracomBeam[\"tcp://beam.soracom.io:8023\"].destination: not a tcp:// or tcps:// URL", error, StringComparison.Ordinal);
        Assert.Contains("subscribers[440101234567890].groupId: no group 'g-missing'", error, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(dir, "registry.db")));
    }

    [Fact]
    public async Task Unknown_store_is_a_configuration_error()
    {
        var (exit, _, error) = await CliRunner.RunProcessAsync("", "--store", "mongodb", "--data-dir", Directory.CreateTempSubdirectory("gw-run-").FullName);
        Assert.Equal(2, exit);
        Assert.Contains("Gateway:Registry:Store must be sqlite or postgresql (was 'mongodb').", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Admin_port_out_of_range_exits_2_naming_the_setting()
    {
        var (exit, _, error) = await CliRunner.RunProcessAsync("", "--admin-port", "70000");
        Assert.Equal(2, exit);
        Assert.Contains("Gateway:AdminPort must be between 1 and 65535 (was 70000)", error, StringComparison.Ordinal);
    }
}
