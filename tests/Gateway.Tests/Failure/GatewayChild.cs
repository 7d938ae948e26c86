using System.Diagnostics;
using System.Globalization;
using Gateway.Tests.Admin;

namespace Gateway.Tests.Failure;

/// <summary>
/// The real gateway binary (<c>dotnet gateway.dll</c> from the test's output folder) as a process of its own, so a test
/// can kill it with SIGKILL or stop it with SIGTERM and start it again on the same data directory and ports.
/// </summary>
internal sealed class GatewayChild : IAsyncDisposable
{
    private Process? _process;

    private string? _dataDir;
    private bool _ownsDataDir;

    /// <summary>
    /// A fresh temporary directory, deleted at the end; or, given at creation, another instance's, as a replacement
    /// instance is given a dead one's volume (then left for its owner to delete).
    /// </summary>
    public string DataDir
    {
        get
        {
            if (_dataDir is null)
            {
                _dataDir = Directory.CreateTempSubdirectory("gw-fail-").FullName;
                _ownsDataDir = true;
            }

            return _dataDir;
        }
        init => _dataDir = value;
    }

    public int AdminPort { get; } = LoadRun.RestartablePort();

    public int UnifiedPort { get; } = LoadRun.RestartablePort(udpToo: true);

    public int DeviceHttpPort { get; } = LoadRun.RestartablePort();

    public string[] ExtraArgs { get; set; } = [];

    /// <summary>The Beam HTTP relay port; 0 (off) unless a test sets it.</summary>
    public int HttpPort { get; init; }

    /// <summary>When set, the process runs under <c>ulimit -n</c> of this many descriptors.</summary>
    public int? DescriptorLimit { get; init; }

    public HttpClient Client { get; } = new() { Timeout = TimeSpan.FromSeconds(5) };

    public Process Process => _process ?? throw new InvalidOperationException("not started");

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var psi = new ProcessStartInfo(DescriptorLimit is null ? "dotnet" : "bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        if (DescriptorLimit is { } limit)
        {
            // exec: the gateway keeps bash's process ID, so Kill and SIGTERM reach it.
            foreach (var a in new[] { "-c", $"ulimit -n {limit} && exec dotnet \"$@\"", "bash" })
            {
                psi.ArgumentList.Add(a);
            }
        }

        string I(int p) => p.ToString(CultureInfo.InvariantCulture);
        string[] args =
        [
            Path.Combine(AppContext.BaseDirectory, "gateway.dll"),
            "--admin-port", I(AdminPort), "--data-dir", DataDir, "--no-demo",
            "--root-auth-key-id", GatewayProcess.RootKeyId, "--root-auth-key", GatewayProcess.RootKey,
            "--listen-address", "127.0.0.1", "--unified-port", I(UnifiedPort), "--device-http-port", I(DeviceHttpPort),
            "--http-port", I(HttpPort), "--website-port", "0", "--tcp-port", "0", "--mqtt-port", "0", "--mqtt-pipeline-port", "0",
            "--Logging:LogLevel:Default", "Warning", "--Logging:Console:FormatterName", "simple",
            .. ExtraArgs,
        ];
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        _process = Process.Start(psi)!;
        _process.OutputDataReceived += (_, e) => Log(e.Data);
        _process.ErrorDataReceived += (_, e) => Log(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        for (var i = 0; i < 600; i++)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"gateway exited with {_process.ExitCode}: {string.Join('\n', Output)}");
            }

            try
            {
                if ((await Client.GetAsync(new Uri($"http://127.0.0.1:{AdminPort}/healthz"), cancellationToken)).IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(100, cancellationToken);
        }

        throw new TimeoutException("gateway did not start");
    }

    /// <summary>What the process wrote, both streams.</summary>
    public List<string> Output { get; } = [];

    private void Log(string? line)
    {
        if (line is not null)
        {
            lock (Output)
            {
                Output.Add(line);
            }
        }
    }

    /// <summary>SIGKILL: no shutdown code runs.</summary>
    public async Task KillAsync()
    {
        Process.Kill();
        await Process.WaitForExitAsync();
    }

    /// <summary>SIGTERM, as a service manager or Kubernetes stops a process.</summary>
    public void Terminate()
    {
        using var kill = Process.Start("kill", ["-TERM", Process.Id.ToString(CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
    }

    public async Task<string> MetricsAsync(CancellationToken cancellationToken) =>
        await Client.GetStringAsync(new Uri($"http://127.0.0.1:{AdminPort}/metrics"), cancellationToken);

    public async ValueTask DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }

        _process?.Dispose();
        Client.Dispose();
        if (_ownsDataDir)
        {
            Directory.Delete(_dataDir!, recursive: true);
        }
    }
}
