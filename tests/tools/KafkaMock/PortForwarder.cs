using System.Net;
using System.Net.Sockets;

namespace KafkaMock;

/// <summary>
/// Listens on a loopback port the caller chose and forwards every connection to the mock broker's own (random) port,
/// so that a mock started again after being killed is reachable at the same address, as a restarted broker is.
/// </summary>
internal sealed class PortForwarder(int listenPort, int brokerPort) : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, listenPort);

    public void Start()
    {
        _listener.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        _listener.Start();
        _ = AcceptLoop();
    }

    private async Task AcceptLoop()
    {
        while (true)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptSocketAsync();
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                return;
            }
            _ = Relay(client);
        }
    }

    private async Task Relay(Socket client)
    {
        using var upstream = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using var _ = client;
        client.NoDelay = true;
        try
        {
            await upstream.ConnectAsync(IPAddress.Loopback, brokerPort);
            using var a = new NetworkStream(client, ownsSocket: false);
            using var b = new NetworkStream(upstream, ownsSocket: false);
            await Task.WhenAny(a.CopyToAsync(b), b.CopyToAsync(a));
        }
        catch (Exception e) when (e is SocketException or IOException)
        {
            // the client or the broker went away: close both
        }
    }

    public void Dispose() => _listener.Stop();
}
