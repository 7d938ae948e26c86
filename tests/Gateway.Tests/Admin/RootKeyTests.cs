using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json.Nodes;

namespace Gateway.Tests.Admin;

public sealed class RootKeyTests
{
    [Fact]
    public async Task First_start_generates_the_root_key_into_the_data_directory_only()
    {
        var dir = Directory.CreateTempSubdirectory("gw-root-").FullName;
        int port;
        using (var l = new TcpListener(IPAddress.Loopback, 0))
        {
            l.Start();
            port = ((IPEndPoint)l.LocalEndpoint).Port;
        }

        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in (string[])[Path.Combine(AppContext.BaseDirectory, "gateway.dll"), "--admin-port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--data-dir", dir,
            "--listen-address", "127.0.0.1", "--http-port", "0", "--website-port", "0", "--unified-port", "0", "--tcp-port", "0", "--mqtt-port", "0", "--device-http-port", "0", "--mqtt-pipeline-port", "0"])
        {
            psi.ArgumentList.Add(a);
        }

        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        using var client = new HttpClient();
        var file = Path.Combine(dir, "root-auth-key.json");
        try
        {
            for (var i = 0; i < 100 && !File.Exists(file); i++)
            {
                await Task.Delay(100, TestContext.Current.CancellationToken);
            }

            for (var i = 0; i < 100; i++)
            {
                try
                {
                    await client.GetStringAsync(new Uri($"http://127.0.0.1:{port}/healthz"), TestContext.Current.CancellationToken);
                    break;
                }
                catch (HttpRequestException)
                {
                    await Task.Delay(100, TestContext.Current.CancellationToken);
                }
            }

            var key = JsonNode.Parse(await File.ReadAllTextAsync(file, TestContext.Current.CancellationToken))!;
            var response = await client.PostAsJsonAsync(new Uri($"http://127.0.0.1:{port}/v1/auth"), new { authKeyId = (string)key["authKeyId"]!, authKey = (string)key["authKey"]! }, TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            if (!OperatingSystem.IsWindows())
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
            }

            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(TestContext.Current.CancellationToken);
            var log = await stdout + await stderr;
            Assert.Contains((string)key["authKeyId"]!, log, StringComparison.Ordinal);
            Assert.DoesNotContain((string)key["authKey"]!, log, StringComparison.Ordinal);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }

            Directory.Delete(dir, recursive: true);
        }
    }
}
