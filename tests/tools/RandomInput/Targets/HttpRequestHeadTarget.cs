using Gateway.Beam.Relay;

namespace Gateway.RandomInput.Targets;

/// <summary>
/// The event-loop relay's request head parser (<see cref="RequestHead"/>): <c>IsHopeless</c> on the bytes as they
/// arrive, <c>Parse</c> on the head up to its empty line, with one instance reused as a connection reuses it.
/// Contract: neither throws; a head that parses has every range inside it; and no prefix of a head that parses is
/// hopeless, or a valid request arriving in pieces would be refused with 400.
/// </summary>
internal sealed class HttpRequestHeadTarget : IParserTarget
{
    private readonly RequestHead _head = new();

    public string Name => "http-request";

    public string Description => "relay HTTP/1.1 request heads (RequestHead.Parse, IsHopeless)";

    public IReadOnlyList<byte[]> Samples { get; } = AsciiBytes.Of(
        "GET / HTTP/1.1\r\nHost: a\r\n\r\n",
        "POST /v1/ingest?x=1&y=%20 HTTP/1.1\r\nHost: beam.soracom.io:8888\r\nContent-Type: application/json\r\nContent-Length: 13\r\nConnection: keep-alive\r\nX-Custom: v \t\r\n\r\n",
        "PUT /a/b HTTP/1.1\r\nhost: x\r\ncontent-length: 0\r\nconnection: close, keep-alive\r\n\r\n",
        "HEAD /status HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: curl/8.0\r\nAccept: */*\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n",
        "POST /up HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n",
        "GET /x HTTP/1.0\r\n\r\n",
        "GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
        "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n");

    public IReadOnlyList<byte[]> Tokens { get; } = AsciiBytes.Of(
        "\r\n", "\r\n\r\n", "\n", "\r", ":", " ", "\t", ",", "Host: ", "Content-Length: ", "Transfer-Encoding: ", "Connection: ",
        "close", "keep-alive", "Expect: ", "Upgrade: ", "HTTP/1.1", "HTTP/1.0", "HTTP/2", "/.", "/..", "%2e", "?", "GET ",
        "CONNECT ", "get ", "-1", "+5", "5 5", "99999999999999999999", "\0", "\u0080", "\u00ff", "X-A: b\r\n");

    /// <summary><c>HttpRelay.MaxRequestHeadBytes</c>: a longer head goes to Kestrel unparsed.</summary>
    public int MaxInputBytes => HttpRelay.MaxRequestHeadBytes;

    public byte[] Shape(byte[] input, Random random)
    {
        // Half of the inputs end a head, so that Parse runs, not only IsHopeless.
        return random.Next(2) == 0 && !input.AsSpan().EndsWith("\r\n\r\n"u8) ? [.. input, .. "\r\n\r\n"u8] : input;
    }

    public void Run(byte[] input)
    {
        var hash = new InputHash(input);
        var end = input.AsSpan().IndexOf("\r\n\r\n"u8);
        var arrived = end < 0 ? input.Length : end + 3;

        // The relay asks IsHopeless only while the head's end has not arrived.
        RequestHead.IsHopeless(input.AsSpan(0, hash.Next(arrived + 1)));
        if (end < 0)
        {
            RequestHead.IsHopeless(input);
            return;
        }

        var head = input.AsSpan(0, end + 4);
        if (!_head.Parse(head))
        {
            return;
        }

        Check(head, ref hash);
    }

    private void Check(ReadOnlySpan<byte> head, ref InputHash hash)
    {
        var (targetStart, targetLength) = _head.Target.GetOffsetAndLength(head.Length);
        var (methodStart, methodLength) = _head.Method.GetOffsetAndLength(head.Length);
        InvariantException.Check(methodStart == 0 && methodLength > 0 && targetStart > methodLength, "method and target in order");
        InvariantException.Check(_head.PathLength <= targetLength && head[targetStart] == (byte)'/', "path inside the target, origin form");
        InvariantException.Check(_head.ContentLength >= 0 && !_head.Malformed, "a parsed head has a length and is not malformed");
        InvariantException.Check(_head.HeaderCount is >= 1 and <= RequestHead.MaxHeaders, "a Host header and at most the maximum");
        for (var i = 0; i < _head.HeaderCount; i++)
        {
            var (nameStart, nameLength) = _head.Name(i);
            var (valueStart, valueLength) = _head.Value(i);
            InvariantException.Check(nameStart > 0 && nameLength > 0 && nameStart + nameLength < valueStart + 1, "name before value");
            InvariantException.Check(valueStart + valueLength <= head.Length - 4, "value inside the head");
            InvariantException.Check(head.Slice(valueStart, valueLength).IndexOfAny((byte)'\r', (byte)'\n') < 0, "no CR or LF in a value");
        }

        // Every prefix of a valid head, as it may arrive, must still be worth waiting for.
        for (var i = 0; i < 4; i++)
        {
            var length = hash.Next(head.Length);
            InvariantException.Check(!RequestHead.IsHopeless(head[..length]), $"a valid head's first {length} bytes are called hopeless");
        }
    }
}
