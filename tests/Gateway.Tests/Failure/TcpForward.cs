using System.Diagnostics;
using System.Globalization;

namespace Gateway.Tests.Failure;

/// <summary>
/// socat (Debian, installed by test.sh) forwarding a fixed loopback port to a peer's, so that a peer restarted
/// without its state (the Pub/Sub emulator forgets its topics) can be given that state again before the gateway can
/// reach it: the gateway sees one destination that was down and came back, as a real one does. Stopped by its
/// process ID, with the connections it forked.
/// </summary>
internal sealed class TcpForward : IAsyncDisposable
{
    private readonly Process _process;

    private TcpForward(Process process) => _process = process;

    public static async Task<TcpForward> StartAsync(int listenPort, int targetPort)
    {
        string I(int p) => p.ToString(CultureInfo.InvariantCulture);
        var process = Process.Start(new ProcessStartInfo("socat")
        {
            ArgumentList = { $"TCP-LISTEN:{I(listenPort)},bind=127.0.0.1,reuseaddr,fork", $"TCP:127.0.0.1:{I(targetPort)}" },
            RedirectStandardError = true,
            UseShellExecute = false,
        })!;
        process.ErrorDataReceived += (_, _) => { };
        process.BeginErrorReadLine();
        for (var i = 0; i < 100; i++)
        {
            Assert.False(process.HasExited, $"socat exited with {(process.HasExited ? process.ExitCode : 0)} (port {listenPort} taken?)");
            try
            {
                using var probe = new System.Net.Sockets.TcpClient();
                await probe.ConnectAsync(System.Net.IPAddress.Loopback, listenPort);
                return new TcpForward(process);
            }
            catch (System.Net.Sockets.SocketException)
            {
                await Task.Delay(50);
            }
        }

        throw new TimeoutException($"socat did not listen on {listenPort}");
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        await _process.WaitForExitAsync();
        _process.Dispose();
    }
}
