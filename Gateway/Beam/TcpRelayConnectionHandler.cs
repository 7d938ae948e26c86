using System.IO.Pipelines;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using Gateway.Registry;
using Gateway.Signing.Soracom;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Options;

namespace Gateway.Beam;

/// <summary>
/// TCP→TCP/TLS on :8023. Connects to the destination (<c>tcp://</c> plain, <c>tcps://</c> TLS checked against the
/// system store), writes the identity first line before any device byte when an identity or signature option is
/// on, then relays bytes both ways. A side that finishes sending is passed on as a half-close; the connection ends
/// when both directions are done, or after the idle timeout with no traffic either way.
/// </summary>
internal sealed partial class TcpRelayConnectionHandler(
    TcpAdmission admission, TimeProvider time, IOptions<BeamOptions> options, ILogger<TcpRelayConnectionHandler> logger,
    Health.DestinationHealthBoard? health = null) : ConnectionHandler, IDisposable
{
    // An upstream that is down (or a process out of descriptors) fails every device's connect: a few lines per
    // upstream a window, the metric counts each.
    private readonly Diagnostics.LogRateLimiter _upstreamFailures = new(logger, "Beam tcp relay: upstream connection failures");

    public const string Name = "tcp_relay";

    /// <summary>With no byte in either direction for this long, both sides are closed (<see cref="BeamOptions.TcpIdleSeconds"/>).</summary>
    private readonly TimeSpan _idleTimeout = TimeSpan.FromSeconds(options.Value.TcpIdleSeconds);

    public void Dispose() => _upstreamFailures.Dispose();

    public override async Task OnConnectedAsync(ConnectionContext connection)
    {
        if (await admission.AdmitAsync(connection, Name, static c => c.TcpToTcp, "no Beam TCP relay entry for this device's group") is not var (device, config, entry, lease))
        {
            return;
        }

        using var admitted = lease;

        var output = connection.Transport.Output;
        Socket socket;
        Stream upstream;
        // Kestrel's ConnectionClosed fires when the device half-closes, which must not abort a relay: the device may
        // send, shut down its side, and wait for the answer. Timeouts bound everything instead.
        using var connectTimeout = new CancellationTokenSource();
        connectTimeout.CancelAfter(entry.Timeout);
        try
        {
            (socket, upstream) = await UpstreamStream.ConnectAsync(entry, config, device, "tcps", connectTimeout.Token);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or IOException or System.Security.Authentication.AuthenticationException)
        {
            var failure = UpstreamFailure.Classify(e, entry.Timeout, connectTimeout.IsCancellationRequested);
            var upstreamName = entry.Destination.GetLeftPart(UriPartial.Authority);
            if (_upstreamFailures.Allow(upstreamName))
            {
                LogUpstreamFailed(logger, device.Label, upstreamName, failure.Reason);
            }

            BeamMetrics.Count(Name, failure.Metric);
            health?.Failed("Beam", "tcp", Health.DestinationHealthBoard.Name(entry.Destination), failure.Reason);
            await output.WriteAsync(DeviceReply.Refusal(failure.Status, failure.Reason, [0x0a]), CancellationToken.None);
            return;
        }

        health?.Succeeded("Beam", "tcp", Health.DestinationHealthBoard.Name(entry.Destination));
        await using (upstream)
        using (socket)
        {
            var firstLine = FirstLine(entry, config, device, time.GetUtcNow().ToUnixTimeMilliseconds());
            if (firstLine is not null)
            {
                await upstream.WriteAsync(Encoding.UTF8.GetBytes(firstLine), CancellationToken.None);
            }

            BeamMetrics.Count(Name, "connected");
            using var idle = new TimerIdle(_idleTimeout);
            var toUpstream = PumpToUpstreamAsync(connection.Transport.Input, upstream, socket, idle);
            var toDevice = UpstreamStream.PumpToDeviceAsync(upstream, output, idle, restartOnData: true);
            await Task.WhenAll(toUpstream, toDevice);
        }
    }

    /// <summary>The identity first line, or null when no identity or signature option is on.</summary>
    internal static string? FirstLine(BeamEntry entry, BeamGroupConfig config, DeviceIdentity device, long ts)
    {
        var identity = entry.IdentityFor(device.Subscriber!, device.Imei);
        if (identity.IsEmpty)
        {
            return null;
        }

        var signer = entry.AddSignature ? config.SignerFor(entry, device.Subscriber!.Imsi) : null;
        var line = signer is not null ? signer.CreateTcpFirstLine(identity, ts) : SoracomSigner.CreateUnsignedTcpFirstLine(identity, ts);

        // The identity's parts are registry fields the registry checks (digits, letters); a line break inside the line
        // would still let the upstream read a second, forged one, so the writer makes sure.
        WireText.EnsureSafeInHead("the TCP first line", line.AsSpan().TrimEnd("\r\n"));
        return line;
    }

    private static async Task PumpToUpstreamAsync(PipeReader device, Stream upstream, Socket socket, TimerIdle idle)
    {
        try
        {
            while (true)
            {
                var result = await device.ReadAsync(idle.Token);
                foreach (var segment in result.Buffer)
                {
                    await upstream.WriteAsync(segment, idle.Token);
                }

                device.AdvanceTo(result.Buffer.End);
                idle.Restart();
                if (result.IsCompleted)
                {
                    break;
                }
            }

            // The device finished sending: tell the upstream, and keep relaying its answer.
            if (upstream is SslStream tls)
            {
                await tls.ShutdownAsync();
            }

            socket.Shutdown(SocketShutdown.Send);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or SocketException or ConnectionResetException or ObjectDisposedException)
        {
            await idle.EndAsync();
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Beam tcp relay: subscriber {Imsi} → {Upstream}: {Reason}")]
    private static partial void LogUpstreamFailed(ILogger logger, string imsi, string upstream, string reason);
}
