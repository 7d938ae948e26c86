using Gateway.Beam.Relay;

namespace Gateway.RandomInput.Targets;

/// <summary>
/// The relay's upstream response head parser (<see cref="ResponseHead"/>): an upstream is the customer's server, not
/// the device, but a broken or hostile one must not break the relay either. Contract: never throws; a head that
/// parses has its lines inside it, a status of three digits, and one body framing.
/// </summary>
internal sealed class HttpResponseHeadTarget : IParserTarget
{
    private readonly ResponseHead _head = new();

    public string Name => "http-response";

    public string Description => "relay upstream response heads (ResponseHead.Parse)";

    public IReadOnlyList<byte[]> Samples { get; } = AsciiBytes.Of(
        "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: application/json\r\n\r\n",
        "HTTP/1.1 204 No Content\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\n\r\n",
        "HTTP/1.0 200 OK\r\nServer: x\r\n\r\n",
        "HTTP/1.1 502 Bad Gateway\r\nTransfer-Encoding: gzip, chunked\r\nContent-Length: 10\r\nConnection: close\r\nProxy-Authenticate: x\r\n\r\n",
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
        "HTTP/1.1 301\r\nLocation: /x\r\nX-\u00e9: \u00e9\r\n\r\n");

    public IReadOnlyList<byte[]> Tokens { get; } = AsciiBytes.Of(
        "\r\n", "\r\n\r\n", "\n", ":", " ", "\t", ",", "Content-Length: ", "Transfer-Encoding: ", "Connection: ", "chunked",
        "close", "keep-alive", "HTTP/1.1 ", "HTTP/1.0 ", "HTTP/1.2 ", "999", "099", "-1", "+5", "99999999999999999999", "\0", "\u00ff");

    /// <summary><c>HttpRelay.MaxResponseHeadBytes</c>.</summary>
    public int MaxInputBytes => HttpRelay.MaxResponseHeadBytes;

    public byte[] Shape(byte[] input, Random random) =>
        random.Next(4) != 0 && !input.AsSpan().EndsWith("\r\n\r\n"u8) ? [.. input, .. "\r\n\r\n"u8] : input;

    public void Run(byte[] input)
    {
        var end = input.AsSpan().IndexOf("\r\n\r\n"u8);
        if (end < 0)
        {
            return;
        }

        var head = input.AsSpan(0, end + 4);
        if (!_head.Parse(head))
        {
            return;
        }

        InvariantException.Check(_head.Status is >= 100 and <= 999, "a three-digit status");
        var (restStart, restLength) = _head.StatusRest.GetOffsetAndLength(head.Length);
        InvariantException.Check(restStart == 9 && restStart + restLength <= end, "status line inside the head");
        InvariantException.Check(_head.ContentLength >= -1 && !(_head.Chunked && _head.ContentLength >= 0), "one body framing");
        InvariantException.Check(_head.LineCount <= ResponseHead.MaxHeaders, "at most the maximum of lines");
        for (var i = 0; i < _head.LineCount; i++)
        {
            var (start, length, _) = _head.Line(i);
            InvariantException.Check(start > restStart && start + length <= end, "line inside the head");
            InvariantException.Check(head.Slice(start, length).IndexOfAny((byte)'\r', (byte)'\n') < 0, "no CR or LF inside a line");
        }

        _ = _head.HasNoBody(headRequest: false);
    }
}
