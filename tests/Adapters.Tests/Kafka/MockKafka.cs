using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Reflection;

namespace Gateway.Adapters.Tests.Kafka;

/// <summary>The KafkaMock tool as a separate process on loopback: its bootstrap address and its stdin commands.</summary>
internal sealed class MockKafka : IAsyncDisposable
{
    private readonly Process _process;

    private MockKafka(Process process, string bootstrap)
    {
        _process = process;
        Bootstrap = bootstrap;
    }

    public string Bootstrap { get; }

    public static async Task<MockKafka> StartAsync(int port = 0)
    {
        var tool = typeof(MockKafka).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(a => a.Key == "KafkaMockPath").Value!;
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(tool);
        if (port != 0)
        {
            start.ArgumentList.Add("--port");
            start.ArgumentList.Add(port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        var process = Process.Start(start)!;
        process.ErrorDataReceived += (_, _) => { }; // librdkafka's log lines: drained, not kept
        process.BeginErrorReadLine();
        var line = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60));
        Assert.False(string.IsNullOrEmpty(line), "KafkaMock printed no bootstrap address");
        return new MockKafka(process, line);
    }

    /// <summary>Sends a command and returns the tool's answer.</summary>
    public async Task<string> CommandAsync(string command)
    {
        await _process.StandardInput.WriteLineAsync(command);
        await _process.StandardInput.FlushAsync();
        return (await _process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30)))!;
    }

    /// <summary>Kills the process (its sockets close as a crashed broker's do) and waits for it to end.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
            _process.Kill();
        await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
    }

    /// <summary>A loopback port with nothing listening (bound, read, and released).</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.StandardInput.Close(); // the tool ends when stdin closes
                if (!_process.WaitForExit(TimeSpan.FromSeconds(10)))
                    await KillAsync();
            }
        }
        finally
        {
            _process.Dispose();
        }
    }
}
