using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Gateway.Registry;
using Microsoft.AspNetCore.Connections;

namespace Gateway.Beam.Mqtt;

/// <summary>
/// MQTT on :1883, SORACOM's <c>mqtt://beam.soracom.io:1883</c>. The device speaks MQTT 3.1.1 (or 3.1) in plain
/// text; the gateway answers its CONNECT itself when it refuses (CONNACK 0x01 for another protocol level, 0x05 for
/// an unknown device, a group without an MQTT entry or a keepalive Beam does not allow, 0x03 when the broker
/// cannot be reached), otherwise opens its own session to the group's broker (<c>mqtt://</c> plain,
/// <c>mqtts://</c> TLS) with the device's client ID, clean-session flag, keepalive and will and the entry's
/// credentials, relays the broker's CONNACK, and then relays packets both ways. Device PUBLISH topics get
/// <c>/{IMSI}</c> appended when <c>addSubscriberHeader</c> is on; every other packet passes unchanged.
/// </summary>
internal sealed partial class MqttConnectionHandler(
    TcpAdmission admission, ILogger<MqttConnectionHandler> logger, Health.DestinationHealthBoard? health = null, IHostApplicationLifetime? lifetime = null)
    : ConnectionHandler, IDisposable
{
    public const string Name = "mqtt";

    // Garbage from one address costs a few lines and a summary per window; the metrics still count every connection.
    private readonly Diagnostics.LogRateLimiter _refusals = new(logger, "Beam mqtt: refused or malformed connections");

    /// <summary>
    /// A valid CONNECT is never larger than this: six length-prefixed fields (protocol name, client ID, will topic,
    /// will message, user name, password) of at most 65,535 bytes, the fixed header and four fixed bytes.
    /// </summary>
    internal const int MaxConnectBytes = 6 * (2 + ushort.MaxValue) + 5 + 4;

    private static readonly Func<int, string, byte[]> s_refusal = static (status, _) =>
        MqttConnect.ConnAck(status == 503 ? ConnectReturnCode.ServerUnavailable : ConnectReturnCode.NotAuthorized);

    /// <summary>How long a new connection may take to send its CONNECT.</summary>
    public static TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The idle cut for keepalive 0 (Beam: 30 minutes); otherwise 1.5 × keepalive.</summary>
    public static TimeSpan IdleWithoutKeepAlive { get; set; } = TimeSpan.FromMinutes(30);

    // A broker that is down (or a process out of descriptors) fails every device's connect: one line per upstream
    // a few times a window, the metric counts each.
    private readonly Diagnostics.LogRateLimiter _upstreamFailures = new(logger, "Beam mqtt: upstream connection failures");

    // Every relayed connection's idle cut, on one shared tick (SweptIdle); a second after SIGTERM they all end, so
    // idle devices do not hold the shutdown for its whole grace (a broker session then ends as a dropped one would).
    private readonly Relay.RelayDeadlines _deadlines = new(lifetime?.ApplicationStopping ?? default);

    public void Dispose()
    {
        _deadlines.Dispose();
        _refusals.Dispose();
        _upstreamFailures.Dispose();
    }

    public override async Task OnConnectedAsync(ConnectionContext connection)
    {
        var input = connection.Transport.Input;
        var output = connection.Transport.Output;
        var source = (connection.RemoteEndPoint as IPEndPoint)?.Address.ToString() ?? "-";

        var (status, connect) = await ReadConnectAsync(input);
        switch (status)
        {
            case ConnectParseStatus.Ok:
                break;
            case ConnectParseStatus.UnsupportedProtocolLevel:
                if (_refusals.Allow(source))
                {
                    LogUnsupportedProtocol(logger, source);
                }

                BeamMetrics.Count(Name, "unsupported_protocol");
                await output.WriteAsync(MqttConnect.ConnAck(ConnectReturnCode.UnacceptableProtocolVersion), CancellationToken.None);
                return;
            default:
                // No CONNACK: nothing said the peer speaks MQTT at all (§3.1.4: close without one).
                if (_refusals.Allow(source))
                {
                    LogNoConnect(logger, source);
                }

                BeamMetrics.Count(Name, "malformed_connect");
                return;
        }

        if (await admission.AdmitAsync(connection, Name, static c => c.Mqtt, "no Beam MQTT entry for this device's group", s_refusal) is not var (device, config, entry, lease))
        {
            return;
        }

        using var admitted = lease;
        var keepAlive = connect!.KeepAliveSeconds;
        if (keepAlive is not 0 and (< 5 or > 1200))
        {
            // SORACOM's documented limit, and its documented answer.
            if (_refusals.Allow(source))
            {
                LogBadKeepAlive(logger, source, device.Label, keepAlive);
            }

            BeamMetrics.Count(Name, "bad_keepalive");
            await output.WriteAsync(MqttConnect.ConnAck(ConnectReturnCode.NotAuthorized), CancellationToken.None);
            return;
        }

        var opening = OpenSessionAsync(connect, device, config, entry, output);

        // The CONNECT (client ID, will, credentials) is not needed past the handshake; hoisted into this method's state
        // machine, it would stay referenced for as long as the device stays connected.
        connect = null;
        if (await opening is not var (socket, upstream))
        {
            return;
        }

        try
        {
            BeamMetrics.Count(Name, "connected");
            var suffix = entry.AddImsi && !device.Subscriber!.IsAnonymous ? TopicSuffix(device.Subscriber.Imsi) : null;
            var idle = new SweptIdle(input, output, socket, keepAlive == 0 ? IdleWithoutKeepAlive : TimeSpan.FromSeconds(keepAlive * 1.5));
            _deadlines.Add(idle);
            try
            {
                var toDevice = UpstreamStream.PumpToDeviceAsync(upstream, output, idle, restartOnData: keepAlive == 0);

                // Each pump ends the other when it ends (both end the idle cut); awaited one after the other rather
                // than through Task.WhenAll, whose promise every idle connection would hold.
                try
                {
                    await PumpToUpstreamAsync(input, upstream, suffix, idle, source);
                }
                finally
                {
                    await toDevice;
                }
            }
            finally
            {
                _deadlines.Remove(idle);
            }
        }
        finally
        {
            await DisposeAsync(upstream, socket);
        }
    }

    /// <summary>
    /// Opens the device's session with the broker: connects, sends its CONNECT (with the entry's credentials) and
    /// relays the broker's CONNACK. Null when the device was answered with a refusal instead (nothing left open).
    /// A method of its own so that what only the handshake needs (the CONNECT, the connect timeout's timer) is not
    /// kept by the idle connection for hours.
    /// </summary>
    private async Task<(Socket Socket, Stream Upstream)?> OpenSessionAsync(MqttConnect connect, DeviceIdentity device, BeamGroupConfig config, BeamEntry entry, PipeWriter output)
    {
        var upstreamName = entry.Destination.GetLeftPart(UriPartial.Authority);
        Socket? socket = null;
        Stream? upstream = null;
        var relaying = false;
        var connectTimeout = HandshakeTimeouts.Rent(entry.Timeout);
        try
        {
            (socket, upstream) = await UpstreamStream.ConnectAsync(entry, config, device, "mqtts", connectTimeout.Token);

            var (user, password) = Credentials(entry, connect);
            await SendConnectAsync(socket, upstream, connect.Encode(user, password), connectTimeout.Token);

            // Exactly four bytes (20 02 xx xx): whatever the broker sends after its CONNACK stays in the stream for
            // the relay. Read here rather than through ReadExactlyAsync and a method of its own, whose state
            // machines would be garbage of every handshake.
            var connAck = new byte[4];
            for (var read = 0; read < connAck.Length; )
            {
                var n = await upstream.ReadAsync(connAck.AsMemory(read), connectTimeout.Token);
                read += n > 0 ? n : throw new EndOfStreamException();
            }

            if (connAck[0] != MqttFrame.ConnAck << 4 || connAck[1] != 2)
            {
                LogUpstreamFailed(logger, device.Label, upstreamName, "no CONNACK from the broker");
                BeamMetrics.Count(Name, "upstream_no_connack");
                health?.Failed("Beam", "mqtt", Health.DestinationHealthBoard.Name(entry.Destination), "no CONNACK from the broker");
                await output.WriteAsync(MqttConnect.ConnAck(ConnectReturnCode.ServerUnavailable), CancellationToken.None);
                return null;
            }

            // The broker's own CONNACK goes to the device, session-present flag and all.
            await output.WriteAsync(connAck, CancellationToken.None);
            if (connAck[3] != 0)
            {
                LogUpstreamRefused(logger, device.Label, upstreamName, connAck[3]);
                BeamMetrics.Count(Name, "upstream_refused_connect");
                health?.Failed("Beam", "mqtt", Health.DestinationHealthBoard.Name(entry.Destination), $"the broker refused the connection (CONNACK return code {connAck[3]})");
                return null;
            }

            relaying = true;
            health?.Succeeded("Beam", "mqtt", Health.DestinationHealthBoard.Name(entry.Destination));
            return (socket, upstream);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or IOException or System.Security.Authentication.AuthenticationException)
        {
            // EndOfStreamException (an IOException): the broker closed before its CONNACK, e.g. a refused client certificate.
            var failure = UpstreamFailure.Classify(e, entry.Timeout, connectTimeout.IsCancellationRequested);
            if (_upstreamFailures.Allow(upstreamName))
            {
                LogUpstreamFailed(logger, device.Label, upstreamName, failure.Reason);
            }

            BeamMetrics.Count(Name, failure.Metric);
            health?.Failed("Beam", "mqtt", Health.DestinationHealthBoard.Name(entry.Destination), failure.Reason);
            await output.WriteAsync(MqttConnect.ConnAck(ConnectReturnCode.ServerUnavailable), CancellationToken.None);
            return null;
        }
        finally
        {
            HandshakeTimeouts.Return(connectTimeout);
            if (!relaying)
            {
                // Refused or failed before the relay: nothing else will close these.
                await DisposeAsync(upstream, socket);
            }
        }
    }

    /// <summary><c>/{IMSI}</c> as bytes, without the concatenated string a connection would leave behind as garbage.</summary>
    private static byte[] TopicSuffix(string imsi)
    {
        var suffix = new byte[1 + Encoding.UTF8.GetByteCount(imsi)];
        suffix[0] = (byte)'/';
        Encoding.UTF8.GetBytes(imsi, suffix.AsSpan(1));
        return suffix;
    }

    /// <summary>
    /// Which credentials reach the broker: the device's own with <c>useClientCredentials</c>, else the entry's
    /// <c>username</c>/<c>password</c>, else none. The registry refuses an entry that sets both.
    /// </summary>
    internal static (byte[]? User, byte[]? Password) Credentials(BeamEntry entry, MqttConnect connect)
    {
        if (entry.UseClientCredentials)
        {
            return (connect.UserName, connect.Password);
        }

        return entry.UserName is null
            ? (null, null)
            : (Encoding.UTF8.GetBytes(entry.UserName), entry.Password is null ? null : Encoding.UTF8.GetBytes(entry.Password));
    }

    private static async Task<(ConnectParseStatus, MqttConnect?)> ReadConnectAsync(PipeReader input)
    {
        var timeout = HandshakeTimeouts.Rent(ConnectTimeout);
        try
        {
            while (true)
            {
                var result = await input.ReadAsync(timeout.Token);
                var buffer = result.Buffer;

                // The first packet must be CONNECT (§3.1), with flags 0: anything else (another packet, HTTP, TLS) is
                // refused on its first byte instead of waiting for a body its "length" announces.
                if (!buffer.IsEmpty && buffer.FirstSpan[0] != MqttFrame.Connect << 4)
                {
                    input.AdvanceTo(buffer.End);
                    return (ConnectParseStatus.Malformed, null);
                }

                var frame = MqttFrame.TryRead(buffer, MaxConnectBytes, out _, out var headerLength, out var remainingLength);
                if (frame == MqttFrameStatus.Packet)
                {
                    var packet = buffer.Slice(0, headerLength + remainingLength);
                    var status = MqttConnect.Parse(packet, out var connect);
                    input.AdvanceTo(packet.End);
                    return (status, status == ConnectParseStatus.Ok ? connect : null);
                }

                if (frame != MqttFrameStatus.Incomplete || result.IsCompleted)
                {
                    input.AdvanceTo(buffer.End);
                    return (ConnectParseStatus.Malformed, null);
                }

                input.AdvanceTo(buffer.Start, buffer.End);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ConnectionResetException)
        {
            return (ConnectParseStatus.Malformed, null);
        }
        finally
        {
            HandshakeTimeouts.Return(timeout);
        }
    }

    /// <summary>
    /// Sends the device's CONNECT to the broker. On a plain upstream a CONNECT that fits the new connection's send
    /// buffer is written with one synchronous send, which never waits: the socket's cached asynchronous send state
    /// (≈ 0.3 KiB) is then only created once the device sends something, never for an idle connection
    /// (docs/performance.md, memory per idle connection). TLS writes through its stream.
    /// </summary>
    private static ValueTask SendConnectAsync(Socket socket, Stream upstream, byte[] connect, CancellationToken cancellationToken)
    {
        if (upstream is not NetworkStream || connect.Length > SyncConnectBytes)
        {
            return upstream.WriteAsync(connect, cancellationToken);
        }

        socket.Send(connect);
        return ValueTask.CompletedTask;
    }

    /// <summary>A CONNECT up to this size is sent synchronously: well within a new TCP connection's send buffer.</summary>
    private const int SyncConnectBytes = 4096;

    /// <summary>
    /// Device → broker, packet by packet. Only fixed headers (and PUBLISH topics, when rewritten) are parsed; the
    /// rest of each packet is passed on as it arrives.
    /// </summary>
    private async Task PumpToUpstreamAsync(PipeReader device, Stream upstream, byte[]? suffix, SweptIdle idle, string source)
    {
        // Created with the device's first packet: an idle connection does not hold a writer (≈ 0.2 KiB with its state).
        PipeWriter? writer = null;
        long passThrough = 0;
        var done = false;
        try
        {
            while (!done)
            {
                var result = await device.ReadAsync(CancellationToken.None);
                var buffer = result.Buffer;
                if (result.IsCanceled)
                {
                    // The idle cut, or the other direction ended.
                    device.AdvanceTo(buffer.Start);
                    break;
                }

                writer ??= PipeWriter.Create(upstream, new StreamPipeWriterOptions(leaveOpen: true));
                while (!done)
                {
                    if (passThrough > 0)
                    {
                        var take = Math.Min(passThrough, buffer.Length);
                        foreach (var segment in buffer.Slice(0, take))
                        {
                            writer.Write(segment.Span);
                        }

                        buffer = buffer.Slice(take);
                        passThrough -= take;
                        if (passThrough > 0)
                        {
                            break;
                        }

                        continue;
                    }

                    var frame = MqttFrame.TryReadHeader(buffer, out var first, out var headerLength, out var remainingLength);
                    var type = first >> 4;
                    var consumed = headerLength;
                    if (frame == MqttFrameStatus.Packet && type == MqttFrame.Publish && suffix is not null)
                    {
                        frame = MqttPublish.TryWriteHeadWithTopicSuffix(buffer, headerLength, remainingLength, suffix, writer, out consumed);
                    }
                    else if (frame == MqttFrameStatus.Packet && type == MqttFrame.Connect)
                    {
                        // A second CONNECT is a protocol violation (§3.1.0-2).
                        frame = MqttFrameStatus.Malformed;
                    }
                    else if (frame == MqttFrameStatus.Packet)
                    {
                        foreach (var segment in buffer.Slice(0, headerLength))
                        {
                            writer.Write(segment.Span);
                        }
                    }

                    if (frame == MqttFrameStatus.Incomplete)
                    {
                        break;
                    }

                    if (frame != MqttFrameStatus.Packet)
                    {
                        if (_refusals.Allow(source))
                        {
                            LogMalformed(logger, source);
                        }

                        BeamMetrics.Count(Name, "malformed_packet");
                        done = true;
                        break;
                    }

                    passThrough = headerLength + remainingLength - consumed;
                    buffer = buffer.Slice(consumed);

                    // After DISCONNECT the device sends nothing more (§3.14.4); once it is passed on, the session ends.
                    done = type == MqttFrame.Disconnect && passThrough == 0;
                }

                device.AdvanceTo(buffer.Start, buffer.End);
                await writer.FlushAsync(CancellationToken.None);
                idle.Restart();
                done |= result.IsCompleted;
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or SocketException or ConnectionResetException or ObjectDisposedException)
        {
        }
        finally
        {
            // The device is gone (or finished): end the broker session too. Without a DISCONNECT first, the broker
            // publishes the device's will, as it would for a direct connection that dropped.
            try
            {
                if (writer is not null)
                {
                    await writer.CompleteAsync();
                }
            }
            catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
            {
                // Completing flushes what is left; a broker that is already gone cannot take it.
            }

            await idle.EndAsync();
        }
    }

    private static async Task DisposeAsync(Stream? stream, Socket? socket)
    {
        if (stream is not null)
        {
            await stream.DisposeAsync();
        }

        socket?.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Beam mqtt: {Source} sent an MQTT protocol level other than 3.1.1 or 3.1 (CONNACK 0x01)")]
    private static partial void LogUnsupportedProtocol(ILogger logger, string source);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Beam mqtt: {Source} did not start with a valid CONNECT in time; closed")]
    private static partial void LogNoConnect(ILogger logger, string source);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Beam mqtt: refused {Source} ({Device}): keepalive {KeepAlive} s is not 0 or 5–1200 (CONNACK 0x05)")]
    private static partial void LogBadKeepAlive(ILogger logger, string source, string device, int keepAlive);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Beam mqtt: subscriber {Device} → {Upstream}: {Reason} (CONNACK 0x03)")]
    private static partial void LogUpstreamFailed(ILogger logger, string device, string upstream, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Beam mqtt: subscriber {Device} → {Upstream}: broker refused the session with CONNACK {Code}; relayed")]
    private static partial void LogUpstreamRefused(ILogger logger, string device, string upstream, byte code);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Beam mqtt: {Source} sent a malformed packet; closed")]
    private static partial void LogMalformed(ILogger logger, string source);
}
