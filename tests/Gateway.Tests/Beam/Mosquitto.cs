using System.Diagnostics;
using System.Security.Cryptography.X509Certificates;
using System.Net.Sockets;
using Gateway.Tests.Admin;

namespace Gateway.Tests.Beam;

/// <summary>A real mosquitto broker on a free loopback port, and the mosquitto command-line clients.</summary>
internal sealed class Mosquitto : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _dir;

    private Mosquitto(Process process, string dir, int port)
    {
        _process = process;
        _dir = dir;
        Port = port;
    }

    public int Port { get; }

    /// <summary>
    /// Starts a broker; with a user name and password it accepts only those, else anyone. With <paramref name="tls"/>
    /// it listens with TLS only, with the test CA's server certificate, and requires a client certificate from that CA.
    /// </summary>
    public static async Task<Mosquitto> StartAsync(string? user = null, string? password = null, bool tls = false)
    {
        var dir = Directory.CreateTempSubdirectory("gw-mosquitto-").FullName;
        var port = GatewayProcess.FreePort();
        var config = $"listener {port} 127.0.0.1\n";
        if (tls)
        {
            await File.WriteAllTextAsync(Path.Combine(dir, "ca.pem"), TestCertificates.CaPem);
            await File.WriteAllTextAsync(Path.Combine(dir, "server.pem"), TestCertificates.Server.ExportCertificatePem());
            await File.WriteAllTextAsync(Path.Combine(dir, "server.key"), TestCertificates.Server.GetRSAPrivateKey()!.ExportPkcs8PrivateKeyPem());
            config += $"cafile {Path.Combine(dir, "ca.pem")}\ncertfile {Path.Combine(dir, "server.pem")}\nkeyfile {Path.Combine(dir, "server.key")}\nrequire_certificate true\n";
        }

        if (user is not null)
        {
            var (code, _, error) = await RunAsync("mosquitto_passwd", "-b", "-c", Path.Combine(dir, "passwords"), user, password!);
            Assert.True(code == 0, error);
            config += $"allow_anonymous false\npassword_file {Path.Combine(dir, "passwords")}\n";
        }
        else
        {
            config += "allow_anonymous true\n";
        }

        // Run as root (CI containers), mosquitto would switch to its own user, which cannot read this directory.
        config += "user root\n";
        await File.WriteAllTextAsync(Path.Combine(dir, "mosquitto.conf"), config);
        var psi = new ProcessStartInfo(Tool("mosquitto")) { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(Path.Combine(dir, "mosquitto.conf"));
        var process = Process.Start(psi)!;
        process.OutputDataReceived += static (_, _) => { };
        process.ErrorDataReceived += static (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        for (var i = 0; i < 100; i++)
        {
            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(System.Net.IPAddress.Loopback, port);
                return new Mosquitto(process, dir, port);
            }
            catch (SocketException)
            {
                await Task.Delay(50);
            }
        }

        process.Kill();
        throw new TimeoutException("mosquitto did not start");
    }

    /// <summary>Runs a mosquitto client (or any tool) to completion.</summary>
    public static async Task<(int Code, string Output, string Error)> RunAsync(string tool, params string[] args)
    {
        var psi = new ProcessStartInfo(Tool(tool)) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var process = Process.Start(psi)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output, await error);
    }

    /// <summary>The one retained message on a topic filter, as <c>mosquitto_sub -v</c> prints it, or "" if none comes.</summary>
    public async Task<string> RetainedAsync(string filter, params string[] credentials)
    {
        var (_, output, _) = await RunAsync("mosquitto_sub", [.. Args(), .. credentials, "-t", filter, "-v", "-C", "1", "-W", "3"]);
        return output.TrimEnd('\n');
    }

    public string[] Args() => ["-h", "127.0.0.1", "-p", Port.ToString(System.Globalization.CultureInfo.InvariantCulture)];

    // mosquitto itself lives in /usr/sbin, which is not on every PATH.
    private static string Tool(string name) => File.Exists("/usr/sbin/" + name) ? "/usr/sbin/" + name : name;

    public async ValueTask DisposeAsync()
    {
        _process.Kill();
        await _process.WaitForExitAsync();
        _process.Dispose();
        Directory.Delete(_dir, recursive: true);
    }
}
