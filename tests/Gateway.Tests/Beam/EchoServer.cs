using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Gateway.Tests.Beam;

/// <summary>A TCP upstream on loopback that records everything it receives and echoes it back, until the client half-closes.</summary>
internal sealed class EchoServer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly Task _accept;
    private readonly CancellationTokenSource _stop = new();

    public EchoServer()
    {
        _listener.Start();
        _accept = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public TaskCompletionSource<string> Received { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private async Task AcceptAsync()
    {
        try
        {
            using var client = await _listener.AcceptTcpClientAsync(_stop.Token);
            var stream = client.GetStream();
            var all = new MemoryStream();
            var buffer = new byte[4096];
            int n;
            while ((n = await stream.ReadAsync(buffer, _stop.Token)) > 0)
            {
                all.Write(buffer, 0, n);
                await stream.WriteAsync(buffer.AsMemory(0, n), _stop.Token);
            }

            Received.TrySetResult(Encoding.UTF8.GetString(all.ToArray()));
            client.Client.Shutdown(SocketShutdown.Send);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or SocketException)
        {
            Received.TrySetException(e);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try
        {
            await _accept;
        }
        catch (OperationCanceledException)
        {
        }

        _stop.Dispose();
    }
}
