using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using Gateway.Tests.Admin;

namespace Gateway.Tests.Failure;

/// <summary>
/// The gateway under a small descriptor limit (<c>ulimit -n 700</c>, of which about 270 are taken at start by the
/// runtime's open assemblies) and more idle device connections than it can hold: it refuses the excess, counts it,
/// and goes on serving. It once spun on the failed accept, logging 350,000 lines in 8 s, and then printed
/// "Out of memory." and aborted.
/// </summary>
public sealed partial class DescriptorExhaustionTests : IAsyncLifetime
{
    private const int Limit = 700;
    private const int Connections = 600;
    private readonly GatewayChild _gateway = new() { DescriptorLimit = Limit, HttpPort = GatewayProcess.FreePort() };

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => await _gateway.StartAsync(Ct);

    public async ValueTask DisposeAsync() => await _gateway.DisposeAsync();

    [Theory]
    [InlineData("relay")]
    [InlineData("kestrel")]
    public async Task Connections_past_the_descriptor_budget_are_refused_and_the_gateway_goes_on(string port)
    {
        var target = port == "relay" ? _gateway.HttpPort : _gateway.DeviceHttpPort;
        var open = new List<Socket>();
        var resetAtConnect = 0;
        try
        {
            for (var i = 0; i < Connections; i++)
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                open.Add(socket);
                try
                {
                    await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, target), Ct);
                }
                catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
                {
                    // Refused so fast that the handshake's end met the reset.
                    resetAtConnect++;
                }
            }

            await Task.Delay(1000, Ct);
            var closedByGateway = open.Count(IsClosedByPeer);
            Assert.False(_gateway.Process.HasExited, string.Join('\n', Output().TakeLast(20)));
            Assert.InRange(closedByGateway, 1, Connections - 100);

            var metrics = await _gateway.MetricsAsync(Ct);
            Assert.Equal($"{Limit}", Gauge().Match(metrics).Groups[1].Value);
            Assert.True(long.Parse(Refused().Match(metrics).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) >= closedByGateway, metrics);
        }
        finally
        {
            open.ForEach(static s => s.Dispose());
        }

        // Descriptors freed, the same port answers again.
        await Task.Delay(500, Ct);
        using var device = new TcpClient();
        await device.ConnectAsync(IPAddress.Loopback, target, Ct);
        var stream = device.GetStream();
        await stream.WriteAsync("GET /x HTTP/1.1\r\nHost: beam.soracom.io\r\nConnection: close\r\n\r\n"u8.ToArray(), Ct);
        using var reader = new StreamReader(stream, Encoding.ASCII);
        var statusLine = await reader.ReadLineAsync(Ct);
        Assert.StartsWith("HTTP/1.1 ", statusLine, StringComparison.Ordinal);
        var output = Output();
        Assert.DoesNotContain(output, static l => l.Contains("Out of memory", StringComparison.Ordinal));
        Assert.True(output.Count < 200, $"{output.Count} lines logged");
        Assert.True(resetAtConnect < Connections);
    }

    private List<string> Output()
    {
        lock (_gateway.Output)
        {
            return [.. _gateway.Output];
        }
    }

    private static bool IsClosedByPeer(Socket socket)
    {
        try
        {
            return socket.Poll(0, SelectMode.SelectRead) && socket.Receive(new byte[1], SocketFlags.None) == 0;
        }
        catch (SocketException)
        {
            return true;
        }
    }

    [GeneratedRegex(@"(?m)^gateway_descriptors_limit\{[^}]*\} (\d+)")]
    private static partial Regex Gauge();

    [GeneratedRegex(@"(?m)^gateway_descriptors_refused_total\{[^}]*side=""device""[^}]*\} (\d+)")]
    private static partial Regex Refused();
}
