using System.Buffers;
using System.Diagnostics;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Text;
using Gateway.ProxyProtocol;
using Gateway.Registry;
using Gateway.Signing.Soracom;
using Microsoft.AspNetCore.Connections;

namespace Gateway.Beam.Relay;

/// <summary>
/// One device connection on the relay: reads request heads, forwards each as bytes to a pooled upstream
/// connection, relays the response, and returns true from <see cref="RunAsync"/> when a request is for Kestrel
/// (the request is left unread in the pipe for it).
/// </summary>
internal sealed partial class RelayConnection : IDisposable, IDeadline
{
    private const int BufferSize = 16 * 1024;

    private readonly HttpRelay _relay;
    private readonly PipeReader _input;
    private readonly PipeWriter _output;
    private readonly Action<ConnectionAbortedException> _abort;
    private readonly IUpstreamSource _upstreams;
    private readonly ProxyProtocolGate? _proxyProtocol;
    private IPAddress _remote;
    private readonly bool _website;
    private readonly string _name;
    private readonly RequestHead _request = new();
    private readonly ResponseHead _response = new();
    private readonly bool[] _dropped = new bool[RequestHead.MaxHeaders];
    private readonly List<KeyValuePair<string, string>> _added = [];
    private byte[] _send = ArrayPool<byte>.Shared.Rent(BufferSize);
    private byte[] _receive = ArrayPool<byte>.Shared.Rent(BufferSize);
    private byte[]? _headCopy;

    // How far the head being read has been checked for hopelessness, and how much of it is in _headCopy (when split).
    private readonly PartialHeadScan _headScan = new();
    private int _headCopied;

    // The deadline of what the connection waits for (Environment.TickCount64; long.MaxValue: none), the upstream
    // socket it waits on, and whether RelayDeadlines ended the wait. Guarded by _deadlineLock.
    private readonly Lock _deadlineLock = new();
    private long _deadline = long.MaxValue;
    private UpstreamConnection? _waitingOn;
    private bool _waitingOnFlush;
    private bool _timedOut;

    /// <param name="relay">The relay's shared parts.</param>
    /// <param name="transport">The device's connection: Kestrel's, or one of the relay's event loop.</param>
    /// <param name="abort">Cuts the device's connection off (a response that cannot be finished).</param>
    /// <param name="upstreams">Where upstream connections come from: the shared pool, or the event loop's own.</param>
    /// <param name="remote">The device's address (the proxy's, when <paramref name="proxyProtocol"/> is given).</param>
    /// <param name="website">The website entry point (path and query kept) rather than the HTTP one.</param>
    /// <param name="proxyProtocol">
    /// Given when the connection comes from a trusted proxy and no connection middleware has read its PROXY header
    /// (the relay's event loops): the header is read first, and names the device.
    /// </param>
    public RelayConnection(
        HttpRelay relay, IDuplexPipe transport, Action<ConnectionAbortedException> abort, IUpstreamSource upstreams, IPEndPoint remote, bool website,
        ProxyProtocolGate? proxyProtocol = null)
    {
        _proxyProtocol = proxyProtocol;
        Remote = remote;
        _relay = relay;
        _abort = abort;
        _upstreams = upstreams;
        _input = transport.Input;
        _output = transport.Output;
        _remote = remote.Address;
        _website = website;
        _name = website ? BeamHttpEntryPoint.WebsiteName : BeamHttpEntryPoint.HttpName;
    }

    /// <summary>The device's address and port: as given, or as a trusted proxy's PROXY header named them.</summary>
    public IPEndPoint Remote { get; private set; }

    /// <summary>Serves requests until the device goes; true when the rest of the connection is Kestrel's.</summary>
    public async Task<bool> RunAsync()
    {
        if (_proxyProtocol is not null && !await ReadProxyHeaderAsync(_proxyProtocol))
        {
            return false;
        }

        // Once part of a request head has arrived, the time by which the rest must (Environment.TickCount64; 0: none
        // under way). Kestrel's rule: the keep-alive time until a request's first byte, then its headers timeout.
        long headDeadline = 0;
        while (true)
        {
            if (headDeadline == 0)
            {
                Arm(_relay.KeepAliveTimeout, null);
            }
            else
            {
                ArmUntil(headDeadline, null);
            }

            var read = await _input.ReadAsync();
            if (Disarm())
            {
                _input.AdvanceTo(read.Buffer.Start);
                if (headDeadline == 0)
                {
                    // No request within the keep-alive time.
                    return false;
                }

                // A head trickling in for longer than the limit: Kestrel's answer, and the connection closed.
                BeamMetrics.Count(_name, "request_head_timeout");
                LogHeadTimeout(_relay.Logger, _name, _remote.ToString(), (int)_relay.RequestHeadersTimeout.TotalSeconds);
                await _output.WriteAsync(RequestTimeoutReply());
                return false;
            }

            if (read.IsCanceled)
            {
                // Meant for a wait that had already ended.
                _input.AdvanceTo(read.Buffer.Start);
                continue;
            }

            var buffer = read.Buffer;
            var headLength = HeadLength(buffer);
            if (headLength < 0)
            {
                if (IsHopeless(buffer))
                {
                    // A bare LF or garbage: Kestrel's immediate 400, rather than a 408 once the headers timeout ends.
                    _input.AdvanceTo(buffer.End);
                    BeamMetrics.Count(_name, "bad_request");
                    await _output.WriteAsync(BadRequestReply());
                    return false;
                }

                if (buffer.Length >= HttpRelay.MaxRequestHeadBytes || (read.IsCompleted && !buffer.IsEmpty))
                {
                    // Too large or cut short: Kestrel's answer (431, 400) is the one devices already get.
                    _input.AdvanceTo(buffer.Start);
                    return true;
                }

                if (read.IsCompleted)
                {
                    _input.AdvanceTo(buffer.End);
                    return false;
                }

                if (headDeadline == 0 && !buffer.IsEmpty)
                {
                    headDeadline = Environment.TickCount64 + (long)_relay.RequestHeadersTimeout.TotalMilliseconds;
                }

                _input.AdvanceTo(buffer.Start, buffer.End);
                continue;
            }

            headDeadline = 0;
            _headScan.Reset();
            _headCopied = 0;

            // Over the limit: Kestrel answers 431, as for a head that never ends.
            var exchange = headLength > HttpRelay.MaxRequestHeadBytes ? null : Prepare(buffer, headLength);
            if (exchange is null && headLength <= HttpRelay.MaxRequestHeadBytes && _request.Malformed)
            {
                // A framing header no server may accept (Content-Length: +5); Kestrel would, so it is answered here.
                _input.AdvanceTo(buffer.End);
                BeamMetrics.Count(_name, "bad_request");
                await _output.WriteAsync(BadRequestReply());
                return false;
            }

            if (exchange is null)
            {
                _input.AdvanceTo(buffer.Start);
                return true;
            }

            _input.AdvanceTo(buffer.GetPosition(exchange.Value.Consumed));
            if (!await ExchangeAsync(exchange.Value))
            {
                return false;
            }
        }
    }

    /// <summary>
    /// A trusted proxy's PROXY header, whole within the gate's deadline or the head timeout, whichever is shorter; false
    /// (counted and logged by the gate) to close the connection.
    /// </summary>
    private async Task<bool> ReadProxyHeaderAsync(ProxyProtocolGate gate)
    {
        Arm(gate.HeaderTimeout < _relay.RequestHeadersTimeout ? gate.HeaderTimeout : _relay.RequestHeadersTimeout, null);
        var result = await ProxyHeaderReader.ReadAsync(_input);
        if (!gate.Admit(result, Disarm(), Remote, _name, out var remote))
        {
            return false;
        }

        Remote = remote;
        _remote = remote.Address;
        return true;
    }

    public void Dispose()
    {
        ArrayPool<byte>.Shared.Return(_send);
        ArrayPool<byte>.Shared.Return(_receive);
        if (_headCopy is not null)
        {
            ArrayPool<byte>.Shared.Return(_headCopy);
        }
    }

    private static long HeadLength(ReadOnlySequence<byte> buffer)
    {
        if (buffer.IsSingleSegment)
        {
            var end = buffer.FirstSpan.IndexOf("\r\n\r\n"u8);
            return end < 0 ? -1 : end + 4;
        }

        var reader = new SequenceReader<byte>(buffer);
        return reader.TryReadTo(out ReadOnlySequence<byte> _, "\r\n\r\n"u8) ? reader.Consumed : -1;
    }

    /// <summary>
    /// Decides whether the relay serves the request and, if so, writes the upstream request head (and as much of
    /// the body as has arrived) into the send buffer. Null when the request is Kestrel's.
    /// </summary>
    /// <remarks>
    /// The hot path of every relayed request: each step below works on the device's bytes where they lie (the pipe's
    /// buffer, or the head copy when the head spans segments) and writes straight into the send buffer.
    /// </remarks>
    private Exchange? Prepare(ReadOnlySequence<byte> buffer, long headLength)
    {
        var head = ContiguousHead(buffer, headLength);
        var request = _request;
        if (!request.Parse(head) || request.ContentLength > _relay.MaxBodyBytes)
        {
            return null;
        }

        var device = _relay.Resolver.ResolveAddress(_remote);
        if (!device.IsKnown)
        {
            return null;
        }

        var config = BeamGroupConfig.For(device.Group, _relay.Resolver.Snapshot);
        var path = head[request.Target][..request.PathLength];
        Span<char> pathChars = path.Length <= 512 ? stackalloc char[path.Length] : new char[path.Length];
        Encoding.Latin1.GetChars(path, pathChars);
        var entry = RelayedEntry(config, pathChars, out var remainderStart);
        if (entry is null)
        {
            return null;
        }

        var relayTarget = _relay.TargetFor(entry);
        var writer = new SendWriter(this);
        WriteRequestLine(ref writer, head, pathChars, remainderStart, entry, relayTarget);
        WriteHeaders(ref writer, head, entry, config, in device);
        var inline = WriteArrivedBody(ref writer, buffer, headLength);
        return new Exchange(entry, relayTarget, device, writer.Length, request.ContentLength - inline, headLength + inline, request.Close, request.IsHead);
    }

    /// <summary>The request head as one span: in place when the pipe holds it in one segment, else copied once.</summary>
    private ReadOnlySpan<byte> ContiguousHead(ReadOnlySequence<byte> buffer, long headLength)
    {
        if (buffer.FirstSpan.Length >= headLength)
        {
            return buffer.FirstSpan[..(int)headLength];
        }

        _headCopy ??= ArrayPool<byte>.Shared.Rent(HttpRelay.MaxRequestHeadBytes + 4);
        buffer.Slice(0, headLength).CopyTo(_headCopy);
        return _headCopy.AsSpan(0, (int)headLength);
    }

    /// <summary>
    /// The group's entry for the path, when the relay can serve it (enabled, plain HTTP, no message signing), with
    /// where below the entry's prefix the rest of the path starts; null leaves the request to Kestrel.
    /// </summary>
    private BeamEntry? RelayedEntry(BeamGroupConfig config, scoped ReadOnlySpan<char> pathChars, out int remainderStart)
    {
        remainderStart = 0;
        var entry = _website ? config.Website : config.MatchHttp(pathChars, out remainderStart);
        return entry is null || !entry.Enabled || entry.MessageSigner is not null || !string.Equals(entry.Destination.Scheme, Uri.UriSchemeHttp, StringComparison.Ordinal)
            ? null
            : entry;
    }

    /// <summary>The upstream's request line and Host: the destination's path (below the entry's prefix, or the website's with the query kept).</summary>
    private void WriteRequestLine(
        ref SendWriter writer, scoped ReadOnlySpan<byte> head, scoped ReadOnlySpan<char> pathChars, int remainderStart, BeamEntry entry, RelayTarget relayTarget)
    {
        var request = _request;
        writer.Write(head[request.Method]);
        writer.Write(" "u8);
        if (_website)
        {
            var query = head[request.Target][request.PathLength..];
            var uri = BeamHttpEntryPoint.Append(entry.Destination, new PathString(pathChars.ToString()).ToUriComponent(), Encoding.Latin1.GetString(query));
            writer.WriteAscii(uri.PathAndQuery);
        }
        else if (remainderStart == pathChars.Length)
        {
            writer.Write(relayTarget.ExactTarget);
        }
        else
        {
            writer.WriteAscii(BeamHttpEntryPoint.BelowPrefix(entry.Destination, pathChars[remainderStart..].ToString()).PathAndQuery);
        }

        writer.Write(" HTTP/1.1\r\n"u8);
        writer.Write(relayTarget.HostLine);
    }

    /// <summary>The header lines after the request line, up to and including the blank line that ends the head.</summary>
    private void WriteHeaders(ref SendWriter writer, scoped ReadOnlySpan<byte> head, BeamEntry entry, BeamGroupConfig config, in DeviceIdentity device)
    {
        MarkDroppedDeviceHeaders(head);
        _added.Clear();
        var timestampMs = _relay.Time.GetUtcNow().ToUnixTimeMilliseconds();

        // With no Authorization option or custom header rules, Beam only adds its identity headers after the device's:
        // they are written straight into the send buffer below, the same bytes BeamHeaders.Apply would give.
        var identityOnly = entry.Authorization is null && entry.CustomHeaders.Count == 0;
        if (!identityOnly)
        {
            var editor = new HeaderEditor(head, _request, _dropped, _added);
            BeamHeaders.Apply(ref editor, entry, config, device, timestampMs);
        }

        WriteDeviceHeaders(ref writer, head);
        WriteAddedHeaders(ref writer);
        if (identityOnly)
        {
            WriteIdentityHeaders(ref writer, entry, config, in device, timestampMs);
        }

        writer.Write("\r\n"u8);
    }

    /// <summary>Which device headers do not pass: Beam's own and hop-by-hop ones (the entry's rules may drop more).</summary>
    private void MarkDroppedDeviceHeaders(scoped ReadOnlySpan<byte> head)
    {
        var request = _request;
        Span<char> name = stackalloc char[256];
        for (var i = 0; i < request.HeaderCount; i++)
        {
            var (start, length) = request.Name(i);
            _dropped[i] = length > name.Length || BeamHeaders.IsDropped(name[..Encoding.Latin1.GetChars(head.Slice(start, length), name)]);
        }
    }

    /// <summary>
    /// The device's lines still passing. Values added under a name the device also sent join its line, and a name the
    /// device sent on several lines goes as one, as HttpClient writes them ("X-Multi: device, beam"; Cookie joined by "; ").
    /// </summary>
    private void WriteDeviceHeaders(ref SendWriter writer, scoped ReadOnlySpan<byte> head)
    {
        var request = _request;
        for (var i = 0; i < request.HeaderCount; i++)
        {
            if (_dropped[i])
            {
                continue;
            }

            var (nameStart, nameLength) = request.Name(i);
            var (valueStart, valueLength) = request.Value(i);
            var headerName = head.Slice(nameStart, nameLength);
            writer.Write(headerName);
            writer.Write(": "u8);
            writer.Write(head.Slice(valueStart, valueLength));
            for (var j = i + 1; j < request.HeaderCount; j++)
            {
                var (otherStart, otherLength) = request.Name(j);
                if (!_dropped[j] && otherLength == nameLength && Ascii.EqualsIgnoreCase(headerName, head.Slice(otherStart, otherLength)))
                {
                    var (otherValueStart, otherValueLength) = request.Value(j);
                    writer.Write(Ascii.EqualsIgnoreCase(headerName, "Cookie"u8) ? "; "u8 : ", "u8);
                    writer.Write(head.Slice(otherValueStart, otherValueLength));
                    _dropped[j] = true;
                }
            }

            AppendAddedValues(ref writer, headerName);
            writer.Write("\r\n"u8);
        }
    }

    /// <summary>Joins the values added under <paramref name="headerName"/> to the device's line, and forgets them.</summary>
    private void AppendAddedValues(ref SendWriter writer, scoped ReadOnlySpan<byte> headerName)
    {
        for (var k = 0; k < _added.Count; k++)
        {
            if (_added[k].Key is { } key && key.Length == headerName.Length && Ascii.EqualsIgnoreCase(headerName, key))
            {
                writer.Write(", "u8);
                writer.WriteLatin1(_added[k].Value);
                _added[k] = default;
            }
        }
    }

    /// <summary>The added headers no device line took, one line per name (values of one name share it).</summary>
    private void WriteAddedHeaders(ref SendWriter writer)
    {
        for (var k = 0; k < _added.Count; k++)
        {
            if (_added[k].Key is not { } added)
            {
                continue;
            }

            writer.WriteAscii(added);
            writer.Write(": "u8);
            writer.WriteLatin1(_added[k].Value);
            for (var j = k + 1; j < _added.Count; j++)
            {
                if (_added[j].Key is { } same && same.Equals(added, StringComparison.OrdinalIgnoreCase))
                {
                    writer.Write(", "u8);
                    writer.WriteLatin1(_added[j].Value);
                    _added[j] = default;
                }
            }

            writer.Write("\r\n"u8);
        }
    }

    /// <summary>Beam's identity headers (signed when the entry says so), written in place with no header list between.</summary>
    private static void WriteIdentityHeaders(ref SendWriter writer, BeamEntry entry, BeamGroupConfig config, in DeviceIdentity device, long timestampMs)
    {
        var identity = entry.IdentityFor(device.Subscriber!, device.Imei);
        var signer = entry.AddSignature ? config.SignerFor(entry, device.Subscriber!.Imsi) : null;
        var lines = writer.GetSpan(SoracomSigner.GetHttpHeaderLinesMaxLength(identity));
        writer.Advance(signer is not null && !identity.IsEmpty
            ? signer.WriteHttpHeaderLines(identity, timestampMs, lines)
            : SoracomSigner.WriteIdentityHeaderLines(identity, lines));
    }

    /// <summary>The part of the body already read goes in the same send, if it fits; returns how much went.</summary>
    private int WriteArrivedBody(ref SendWriter writer, ReadOnlySequence<byte> buffer, long headLength)
    {
        var arrived = buffer.Length - headLength;
        var inline = (int)Math.Min(Math.Min(arrived, _request.ContentLength), Math.Max(0, BufferSize - writer.Length));
        if (inline > 0)
        {
            writer.Write(buffer.Slice(headLength, inline));
        }

        return inline;
    }

    /// <summary>Sends the prepared request, streams the rest of the body, relays the response. False ends the connection.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> ExchangeAsync(Exchange exchange)
    {
        var entry = exchange.Entry;
        var started = Stopwatch.GetTimestamp();
        Arm(entry.Timeout, null);
        UpstreamConnection? upstream = null;
        int headLength, received;
        try
        {
            for (var attempt = 0; ; attempt++)
            {
                upstream = await _upstreams.RentAsync(exchange.Target, Volatile.Read(ref _deadline));
                WaitOn(upstream);
                try
                {
                    await upstream.SendAsync(_send.AsMemory(0, exchange.SendLength));
                    if (exchange.BodyLeft > 0)
                    {
                        await StreamBodyAsync(upstream, exchange.BodyLeft, entry.Timeout);
                    }

                    // Read until a final response head is complete. Here rather than in a method of its own: every
                    // request waits here, and each async method suspended on the wait costs a step per request
                    // (relay-floor-style interleaved rounds: median 38.8 against 42.5 µs CPU per request).
                    received = 0;
                    var searched = 0;
                    while ((headLength = TakeResponseHead(ref received, ref searched)) < 0)
                    {
                        var n = await upstream.ReceiveAsync(_receive.AsMemory(received));
                        if (n == 0)
                        {
                            throw new IOException("the upstream closed the connection before responding");
                        }

                        received += n;
                    }

                    break;
                }
                catch (Exception e) when (attempt == 0 && upstream.Reused && exchange.BodyLeft == 0 && !TimedOut
                    && e is SocketException or IOException and not DeviceClosedException and not MalformedResponseException)
                {
                    // An idle kept-alive connection the upstream had closed: nothing was answered, so the request,
                    // held whole in the send buffer, goes again on a fresh connection.
                    upstream.Dispose();
                    upstream = null;
                }
            }

            // An answer that came as the deadline passed, with RelayDeadlines already closing the connection under
            // it, is a timeout like any other (the flag stays set for the handler below).
            if (Disarm())
            {
                throw new OperationCanceledException();
            }
        }
        catch (DeviceClosedException)
        {
            Disarm();
            upstream?.Dispose();
            return false;
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException or ObjectDisposedException)
        {
            // Connecting has its own cancellation, at the same deadline.
            var timedOut = Disarm() | e is OperationCanceledException;
            upstream?.Dispose();
            var failure = e is MalformedResponseException malformed
                ? new UpstreamFailure(502, malformed.Message, "upstream_malformed")
                : UpstreamFailure.Classify(e, entry.Timeout, timedOut);
            BeamHttpEntryPoint.LogUpstreamFailed(_relay.Logger, _name, exchange.Device.Label, exchange.Target.Authority, failure.Reason);
            BeamMetrics.Count(_name, failure.Metric);
            exchange.Target.Health?.Failed(_relay.Time.GetUtcNow().ToUnixTimeMilliseconds(), failure.Reason);

            // A body not read to its end leaves the connection out of step: it is closed after the reply.
            var keepAlive = !exchange.Close && exchange.BodyLeft == 0;
            await ReplyAsync(failure.Status, failure.Reason, keepAlive);
            return keepAlive;
        }

        BeamMetrics.UpstreamDuration(_name, Stopwatch.GetElapsedTime(started));
        // The destination's health: two interlocked writes and a clock read, no lookup or allocation.
        exchange.Target.Health?.Answered(_relay.Time.GetUtcNow().ToUnixTimeMilliseconds(), _response.Status);
        return await RelayResponseAsync(exchange, upstream, headLength, received);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> RelayResponseAsync(Exchange exchange, UpstreamConnection upstream, int headLength, int received)
    {
        var response = _response;
        var noBody = response.HasNoBody(exchange.IsHead);
        var closeDelimited = !noBody && !response.Chunked && response.ContentLength < 0;
        var keepDevice = !exchange.Close && !closeDelimited;

        // The head, with hop-by-hop lines left out; then what of the body came with it.
        var head = _receive.AsSpan(0, headLength);
        var writer = new SendWriter(this);
        writer.Write("HTTP/1.1 "u8);
        writer.Write(head[response.StatusRest]);
        writer.Write("\r\n"u8);
        for (var i = 0; i < response.LineCount; i++)
        {
            var (start, length, kept) = response.Line(i);
            if (kept)
            {
                writer.Write(head.Slice(start, length + 2));
            }
        }

        if (!keepDevice)
        {
            writer.Write("Connection: close\r\n"u8);
        }

        writer.Write("\r\n"u8);
        _output.Write(_send.AsSpan(0, writer.Length));

        var chunked = default(ChunkedScanner);
        long left = noBody ? 0 : response.ContentLength;
        var reusable = !response.Close && !closeDelimited;
        var extra = received - headLength;
        var complete = BodyPart(_receive.AsSpan(headLength, extra), noBody, closeDelimited, ref chunked, ref left, ref reusable);
        try
        {
            var flushed = await FlushAsync(exchange.Entry.Timeout);
            while (!complete && !flushed.IsCompleted)
            {
                Arm(exchange.Entry.Timeout, upstream);
                var memory = _output.GetMemory(BufferSize);
                var n = await upstream.ReceiveAsync(memory);
                if (Disarm())
                {
                    throw new OperationCanceledException();
                }

                if (n == 0)
                {
                    if (!closeDelimited)
                    {
                        throw new IOException("the upstream closed before the end of the body");
                    }

                    complete = true;
                    reusable = false;
                    break;
                }

                // Received straight into the device's pipe: only the body's own bytes are committed.
                var part = memory.Span[..n];
                complete = BodyPart(part, noBody, closeDelimited, ref chunked, ref left, ref reusable, out var used);
                _output.Advance(used);
                flushed = await FlushAsync(exchange.Entry.Timeout);
            }

            if (!complete)
            {
                // The device went away mid-body.
                upstream.Dispose();
                return false;
            }
        }
        catch (DeviceStalledException)
        {
            // The device stopped taking the response: its connection and the upstream's, mid-body, both end.
            upstream.Dispose();
            BeamMetrics.Count(_name, "device_write_timeout");
            BeamHttpEntryPoint.LogDeviceStalled(_relay.Logger, _name, exchange.Device.Label, (int)exchange.Entry.Timeout.TotalSeconds);
            _abort(new ConnectionAbortedException("the device stopped reading the response"));
            return false;
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException or ObjectDisposedException)
        {
            // The head is already sent: all that is left is to cut the device's response short.
            Disarm();
            upstream.Dispose();
            BeamMetrics.Count(_name, "upstream_body_failed");
            _abort(new ConnectionAbortedException("upstream body failed", e));
            return false;
        }

        if (reusable)
        {
            _upstreams.Return(exchange.Target, upstream);
        }
        else
        {
            upstream.Dispose();
        }

        BeamMetrics.Count(_name, "ok");
        return keepDevice;
    }

    /// <summary>Writes a body part already in the receive buffer to the device; true when the body is complete.</summary>
    private bool BodyPart(ReadOnlySpan<byte> part, bool noBody, bool closeDelimited, ref ChunkedScanner chunked, ref long left, ref bool reusable)
    {
        var complete = BodyPart(part, noBody, closeDelimited, ref chunked, ref left, ref reusable, out var used);
        _output.Write(part[..used]);
        return complete;
    }

    /// <summary>How much of <paramref name="part"/> is body, and whether the body ends within it.</summary>
    private static bool BodyPart(ReadOnlySpan<byte> part, bool noBody, bool closeDelimited, ref ChunkedScanner chunked, ref long left, ref bool reusable, out int used)
    {
        if (noBody)
        {
            used = 0;
        }
        else if (closeDelimited)
        {
            used = part.Length;
            return false;
        }
        else if (left < 0)
        {
            used = chunked.Scan(part);
            if (chunked.IsInvalid)
            {
                throw new IOException("the upstream sent a malformed chunked body");
            }

            if (!chunked.IsDone)
            {
                return false;
            }
        }
        else
        {
            used = (int)Math.Min(left, part.Length);
            left -= used;
            if (left > 0)
            {
                return false;
            }
        }

        // Bytes after the body's end were never asked for: the connection cannot be trusted again.
        reusable &= used == part.Length;
        return true;
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    /// <summary>
    /// Sends the rest of the device's body. The entry's timeout bounds waiting, not a healthy transfer: each part that
    /// arrives from the device starts it again (a cellular device at 1 KB/s may send for longer than the timeout).
    /// </summary>
    private async ValueTask StreamBodyAsync(UpstreamConnection upstream, long left, TimeSpan timeout)
    {
        while (left > 0)
        {
            var read = await _input.ReadAsync();
            var buffer = read.Buffer;
            if (read.IsCanceled)
            {
                _input.AdvanceTo(buffer.Start);
                if (TimedOut)
                {
                    throw new OperationCanceledException();
                }

                // Meant for a wait that had already ended.
                continue;
            }

            if (buffer.IsEmpty && read.IsCompleted)
            {
                _input.AdvanceTo(buffer.End);
                throw new DeviceClosedException();
            }

            var take = buffer.Slice(0, Math.Min(left, buffer.Length));
            Extend(timeout);
            foreach (var segment in take)
            {
                await upstream.SendAsync(segment);
            }

            left -= take.Length;
            _input.AdvanceTo(take.End);
        }
    }

    /// <summary>
    /// The length of the final (non-1xx) response head at the start of the receive buffer once it is complete and
    /// parsed, or -1 when more must be read (the buffer grown if it is full). Informational heads are dropped from
    /// the buffer. <paramref name="searched"/> is where the search for the head's end resumes.
    /// </summary>
    private int TakeResponseHead(ref int received, ref int searched)
    {
        while (true)
        {
            var end = _receive.AsSpan(searched, received - searched).IndexOf("\r\n\r\n"u8);
            if (end < 0)
            {
                break;
            }

            var headLength = searched + end + 4;
            if (!_response.Parse(_receive.AsSpan(0, headLength)) || _response.Status == 101)
            {
                throw new MalformedResponseException("upstream sent a malformed response");
            }

            if (_response.Status >= 200)
            {
                return headLength;
            }

            // 1xx: informational, not relayed (the HttpClient path does not relay them either); the final head
            // follows, possibly already in the buffer.
            _receive.AsSpan(headLength, received - headLength).CopyTo(_receive);
            received -= headLength;
            searched = 0;
        }

        searched = Math.Max(0, received - 3);
        if (received == _receive.Length)
        {
            if (_receive.Length >= HttpRelay.MaxResponseHeadBytes)
            {
                throw new MalformedResponseException("upstream response head too large");
            }

            var larger = ArrayPool<byte>.Shared.Rent(_receive.Length * 2);
            _receive.AsSpan(0, received).CopyTo(larger);
            ArrayPool<byte>.Shared.Return(_receive);
            _receive = larger;
        }

        return -1;
    }

    /// <summary>
    /// Flushes what was written for the device. When the device is not taking it (the pipe is full), the wait is
    /// bounded by <paramref name="timeout"/>: past it, <see cref="DeviceStalledException"/>.
    /// </summary>
    private ValueTask<FlushResult> FlushAsync(TimeSpan timeout)
    {
        var flush = _output.FlushAsync();
        return flush.IsCompleted ? flush : AwaitFlushAsync(flush, timeout);
    }

    private async ValueTask<FlushResult> AwaitFlushAsync(ValueTask<FlushResult> flush, TimeSpan timeout)
    {
        Arm(timeout, null, onFlush: true);
        var result = await flush;
        if (Disarm())
        {
            throw new DeviceStalledException();
        }

        return result;
    }

    private bool IsHopeless(ReadOnlySequence<byte> buffer)
    {
        if (buffer.IsSingleSegment)
        {
            return _headScan.IsHopeless(buffer.FirstSpan);
        }

        // A head split across segments: looked at whole, up to the size a head may have. The bytes already copied are
        // still the same (unparsed bytes stay in place), so only the new ones are copied.
        var length = (int)Math.Min(buffer.Length, HttpRelay.MaxRequestHeadBytes);
        _headCopy ??= ArrayPool<byte>.Shared.Rent(HttpRelay.MaxRequestHeadBytes + 4);
        _headCopied = Math.Min(_headCopied, length);
        buffer.Slice(_headCopied, length - _headCopied).CopyTo(_headCopy.AsSpan(_headCopied));
        _headCopied = length;
        return _headScan.IsHopeless(_headCopy.AsSpan(0, length));
    }

    /// <summary>What Kestrel sends for a malformed request, byte for byte but the date.</summary>
    private static byte[] BadRequestReply() => Encoding.ASCII.GetBytes(
        $"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\nDate: {DateTimeOffset.UtcNow:R}\r\n\r\n");

    /// <summary>What Kestrel sends when a request head takes too long (its headers timeout), byte for byte but the date.</summary>
    private static byte[] RequestTimeoutReply() => Encoding.ASCII.GetBytes(
        $"HTTP/1.1 408 Request Timeout\r\nContent-Length: 0\r\nConnection: close\r\nDate: {DateTimeOffset.UtcNow:R}\r\n\r\n");

    [LoggerMessage(Level = LogLevel.Warning, Message = "Beam {EntryPoint}: {RemoteAddress} did not send a whole request head within {Seconds} s; answered 408 and closed")]
    private static partial void LogHeadTimeout(ILogger logger, string entryPoint, string remoteAddress, int seconds);

    private ValueTask<FlushResult> ReplyAsync(int status, string text, bool keepAlive)
    {
        var body = text + "\n";
        var reply = $"HTTP/1.1 {status} {Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(status)}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {Encoding.UTF8.GetByteCount(body)}\r\n{(keepAlive ? string.Empty : "Connection: close\r\n")}\r\n{body}";
        return _output.WriteAsync(Encoding.UTF8.GetBytes(reply));
    }

    /// <summary>Called by <see cref="RelayDeadlines"/>: ends the wait if its deadline has passed.</summary>
    public void Expire(long now)
    {
        if (now < Volatile.Read(ref _deadline))
        {
            return;
        }

        UpstreamConnection? upstream;
        bool flush;
        lock (_deadlineLock)
        {
            if (now < _deadline)
            {
                return;
            }

            _deadline = long.MaxValue;
            _timedOut = true;
            upstream = _waitingOn;
            flush = _waitingOnFlush;
        }

        // A wait on the device ends with a cancelled read (or flush, when it is the device not taking the response);
        // one on the upstream with its socket closed under it.
        if (flush)
        {
            _output.CancelPendingFlush();
        }
        else
        {
            _input.CancelPendingRead();
        }

        upstream?.Dispose();
    }

    private bool TimedOut
    {
        get
        {
            lock (_deadlineLock)
            {
                return _timedOut;
            }
        }
    }

    /// <summary>
    /// Starts a wait of at most <paramref name="timeout"/>, on <paramref name="upstream"/> if it is on one, or on
    /// the device taking its response when <paramref name="onFlush"/>.
    /// </summary>
    private void Arm(TimeSpan timeout, UpstreamConnection? upstream, bool onFlush = false) =>
        ArmUntil(Environment.TickCount64 + (long)timeout.TotalMilliseconds, upstream, onFlush);

    /// <summary>Starts a wait that ends at <paramref name="deadline"/> (Environment.TickCount64), on <paramref name="upstream"/> if it is on one.</summary>
    private void ArmUntil(long deadline, UpstreamConnection? upstream, bool onFlush = false)
    {
        lock (_deadlineLock)
        {
            _deadline = deadline;
            _waitingOn = upstream;
            _waitingOnFlush = onFlush;
            _timedOut = false;
        }
    }

    /// <summary>Moves the armed wait's deadline to <paramref name="timeout"/> from now, unless it has already passed.</summary>
    private void Extend(TimeSpan timeout)
    {
        var deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        lock (_deadlineLock)
        {
            if (!_timedOut && _deadline != long.MaxValue)
            {
                _deadline = deadline;
            }
        }
    }

    /// <summary>The upstream connection the armed wait is now on (closed at once if the deadline has already passed).</summary>
    private void WaitOn(UpstreamConnection upstream)
    {
        lock (_deadlineLock)
        {
            if (!_timedOut)
            {
                _waitingOn = upstream;
                return;
            }
        }

        upstream.Dispose();
    }

    /// <summary>Ends the wait; true when its deadline had passed (and an upstream connection it was on is closed).</summary>
    private bool Disarm()
    {
        lock (_deadlineLock)
        {
            _deadline = long.MaxValue;
            _waitingOn = null;
            _waitingOnFlush = false;
            return _timedOut;
        }
    }

    private readonly record struct Exchange(BeamEntry Entry, RelayTarget Target, DeviceIdentity Device, int SendLength, long BodyLeft, long Consumed, bool Close, bool IsHead);

    /// <summary>Appends to the send buffer, growing it (pooled) when a head is larger than usual.</summary>
    private ref struct SendWriter(RelayConnection owner)
    {
        public int Length { get; private set; }

        public void Write(scoped ReadOnlySpan<byte> bytes)
        {
            Reserve(bytes.Length);
            bytes.CopyTo(owner._send.AsSpan(Length));
            Length += bytes.Length;
        }

        public void Write(ReadOnlySequence<byte> bytes)
        {
            Reserve((int)bytes.Length);
            bytes.CopyTo(owner._send.AsSpan(Length));
            Length += (int)bytes.Length;
        }

        /// <summary>Room for <paramref name="count"/> bytes at the end, to be filled and then <see cref="Advance"/>d.</summary>
        public readonly Span<byte> GetSpan(int count)
        {
            Reserve(count);
            return owner._send.AsSpan(Length, count);
        }

        public void Advance(int count) => Length += count;

        /// <summary>Configuration text into the head (an added header's name or value, a path): checked, never trusted.</summary>
        public void WriteAscii(string text)
        {
            WireText.EnsureSafeInHead("configured text", text);
            Reserve(text.Length);
            Length += Encoding.ASCII.GetBytes(text, owner._send.AsSpan(Length));
        }

        public void WriteLatin1(string text)
        {
            WireText.EnsureSafeInHead("a configured header value", text);
            Reserve(text.Length);
            Length += Encoding.Latin1.GetBytes(text, owner._send.AsSpan(Length));
        }

        private readonly void Reserve(int count)
        {
            if (Length + count > owner._send.Length)
            {
                var larger = ArrayPool<byte>.Shared.Rent(Math.Max(owner._send.Length * 2, Length + count));
                owner._send.AsSpan(0, Length).CopyTo(larger);
                ArrayPool<byte>.Shared.Return(owner._send);
                owner._send = larger;
            }
        }
    }

    /// <summary>
    /// Beam's header rules over the device's headers as bytes: removing a name marks the device's lines dropped
    /// and forgets what was added before; added headers are written after the device's.
    /// </summary>
    private ref struct HeaderEditor(ReadOnlySpan<byte> head, RequestHead request, bool[] dropped, List<KeyValuePair<string, string>> added) : IHeaderEditor
    {
        private readonly ReadOnlySpan<byte> _head = head;

        public readonly void Add(string name, string value) => added.Add(new(name, value));

        public readonly void Remove(string name)
        {
            added.RemoveAll(h => h.Key.Equals(name, StringComparison.OrdinalIgnoreCase));

            // Content-Length frames the body being relayed: a rule cannot take it away.
            if (name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
            {
                return;
            }

            for (var i = 0; i < request.HeaderCount; i++)
            {
                var (start, length) = request.Name(i);
                if (length == name.Length && Ascii.EqualsIgnoreCase(_head.Slice(start, length), name))
                {
                    dropped[i] = true;
                }
            }
        }
    }

    /// <summary>The device took none of the response for the entry's timeout.</summary>
    private sealed class DeviceStalledException : Exception;

    /// <summary>The device closed its side while its request body was still being read.</summary>
    private sealed class DeviceClosedException : IOException;

    /// <summary>The upstream's answer is not an HTTP/1.x response the relay can pass on.</summary>
    private sealed class MalformedResponseException(string message) : IOException(message);
}
