using System.Text;
using FsCheck;
using FsCheck.Fluent;
using Gateway.Beam.Relay;

namespace Gateway.Tests.Beam;

/// <summary>The relay's parsers: which request heads it serves itself, how it reads upstream response heads, where a chunked body ends.</summary>
public sealed class RelayParserTests
{
    private static byte[] Ascii(string s) => Encoding.Latin1.GetBytes(s);

    private static string Text(byte[] head, Range range) => Encoding.Latin1.GetString(head[range]);

    private static string Text(byte[] head, (int Start, int Length) slice) => Encoding.Latin1.GetString(head, slice.Start, slice.Length);

    // ---------------------------------------------------------------- RequestHead

    [Fact]
    public void Request_head_of_the_plain_shape_is_accepted_with_its_parts()
    {
        var head = Ascii("POST /in/sub?x=1&y=%41 HTTP/1.1\r\nHost: beam.soracom.io:8888\r\nContent-Length: 0012\r\nX-Tab:\tv1\t \r\nX-Empty:\r\nConnection: keep-alive\r\n\r\n");
        var parsed = new RequestHead();

        Assert.True(parsed.Parse(head));
        Assert.Equal("POST", Text(head, parsed.Method));
        Assert.Equal("/in/sub?x=1&y=%41", Text(head, parsed.Target));
        Assert.Equal("/in/sub".Length, parsed.PathLength);
        Assert.Equal(12, parsed.ContentLength);
        Assert.False(parsed.Close);
        Assert.False(parsed.IsHead);
        Assert.Equal(5, parsed.HeaderCount);
        string[] names = ["Host", "Content-Length", "X-Tab", "X-Empty", "Connection"];
        string[] values = ["beam.soracom.io:8888", "0012", "v1", "", "keep-alive"];
        for (var i = 0; i < parsed.HeaderCount; i++)
        {
            Assert.Equal(names[i], Text(head, parsed.Name(i)));
            Assert.Equal(values[i], Text(head, parsed.Value(i)));
        }
    }

    [Theory]
    [InlineData("+5", true)]
    [InlineData("-1", true)]
    [InlineData("5 5", true)]
    [InlineData("0x5", true)]
    [InlineData("5", false)]
    public void Content_length_that_is_not_digits_alone_is_malformed_not_merely_left_to_kestrel(string length, bool malformed)
    {
        var head = new RequestHead();
        var parsed = head.Parse(Ascii($"POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: {length}\r\n\r\n"));
        Assert.Equal(!malformed, parsed);
        Assert.Equal(malformed, head.Malformed);

        // Outside the relay's shape but well formed: Kestrel's to serve, not malformed.
        Assert.False(head.Parse(Ascii("POST /a HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n\r\n")));
        Assert.False(head.Malformed);
    }

    [Theory]
    [InlineData("GET /raw HTTP/1.1\n")]
    [InlineData("GET /raw HTTP/1.1\r\nHost: x\n")]
    [InlineData("\n")]
    [InlineData("\u0016\u0003\u0001\u0002\u0000")]
    [InlineData("GE\u0000T")]
    [InlineData(" GET / HTTP/1.1")]
    [InlineData("HELLO THERE\r\n")]
    [InlineData("GET / HTTP/1.1 extra\r\n")]
    [InlineData("GET /a b HTTP/1.1\r\n")]
    [InlineData("GET / HTTP/11\r\n")]
    [InlineData("GET /\r\n")]
    public void Partial_head_that_can_never_be_a_request_is_hopeless(string partial) =>
        Assert.True(RequestHead.IsHopeless(Ascii(partial)));

    [Theory]
    [InlineData("")]
    [InlineData("G")]
    [InlineData("GET")]
    [InlineData("GET /raw HT")]
    [InlineData("GET /raw HTTP/1.1\r")]
    [InlineData("GET /raw HTTP/1.1\r\nHost: x\r\n")]
    [InlineData("get /raw HTTP/1.0\r\nHost")]
    [InlineData("POST /raw?q=1 HTTP/2.0\r\n")]
    public void Partial_head_that_may_still_become_a_request_is_not_hopeless(string partial) =>
        Assert.False(RequestHead.IsHopeless(Ascii(partial)));

    [Fact]
    public void Request_head_is_reset_between_parses_and_reports_close_and_head()
    {
        var parsed = new RequestHead();
        Assert.True(parsed.Parse(Ascii("PUT /a HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nConnection: close\r\n\r\n")));
        Assert.True(parsed.Close);
        Assert.Equal(5, parsed.ContentLength);

        Assert.True(parsed.Parse(Ascii("HEAD /b HTTP/1.1\r\nhost: h\r\n\r\n")));
        Assert.False(parsed.Close);
        Assert.True(parsed.IsHead);
        Assert.Equal(0, parsed.ContentLength);
        Assert.Equal(1, parsed.HeaderCount);
        Assert.Equal(2, parsed.PathLength);
    }

    [Theory]
    [InlineData("GET /a HTTP/1.0\r\nHost: h\r\n\r\n")]                               // another version
    [InlineData("GET /a HTTP/2.0\r\nHost: h\r\n\r\n")]
    [InlineData("GET /a HTTP/1.1\r\n\r\n")]                                          // no Host
    [InlineData("GET /a HTTP/1.1\r\nHost: h\r\nHost: i\r\n\r\n")]                    // two Hosts
    [InlineData("POST /a HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n")]
    [InlineData("POST /a HTTP/1.1\r\nHost: h\r\ntransfer-encoding: identity\r\n\r\n")]
    [InlineData("POST /a HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n")]
    [InlineData("GET /a HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")]
    [InlineData("GET /a HTTP/1.1\r\nHost: h\r\nUpgrade: h2c\r\n\r\n")]
    [InlineData("GET /a%2Fb HTTP/1.1\r\nHost: h\r\n\r\n")]                           // percent in the path
    [InlineData("GET /a/./b HTTP/1.1\r\nHost: h\r\n\r\n")]                           // dot segments
    [InlineData("GET /a/../b HTTP/1.1\r\nHost: h\r\n\r\n")]
    [InlineData("GET /a/.. HTTP/1.1\r\nHost: h\r\n\r\n")]
    [InlineData("GET http://h/a HTTP/1.1\r\nHost: h\r\n\r\n")]                       // absolute form
    [InlineData("OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n")]                            // asterisk form
    [InlineData("CONNECT h:443 HTTP/1.1\r\nHost: h\r\n\r\n")]
    [InlineData("GET /a HTTP/1.1\r\nHost: h\r\nX-A: one\r\n two\r\n\r\n")]           // obs-fold
    [InlineData("GET /a HTTP/1.1\r\nHost: h\r\nX-A: one\r\n\ttwo: x\r\n\r\n")]
    [InlineData("GET /a HTTP/1.1\r\nHost: h\nX-A: b\r\n\r\n")]                       // bare LF in a header line
    [InlineData("GET /a HTTP/1.1\nHost: h\r\n\r\n")]                                 // bare LF after the request line
    [InlineData("POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\n")]
    [InlineData("POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 3x\r\n\r\n")]
    [InlineData("POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 0x3\r\n\r\n")]
    [InlineData("POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n")]
    [InlineData("POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 3, 3\r\n\r\n")]
    [InlineData("POST /a HTTP/1.1\r\nHost: h\r\nContent-Length:\r\n\r\n")]
    [InlineData("GET /a HTTP/1.1\r\nHost: h\r\nX Bad: v\r\n\r\n")]                   // space in a name
    [InlineData("GET /a HTTP/1.1\r\nHost: h\r\nX-Bad : v\r\n\r\n")]                  // space before the colon
    [InlineData("GET /a HTTP/1.1\r\nHost: h\r\n: v\r\n\r\n")]                        // empty name
    [InlineData("GET /a HTTP/1.1\r\nHost: h\r\nX-Bad v\r\n\r\n")]                    // no colon
    [InlineData("GET /a HTTP/1.1\r\nHost: h\r\nX-Bad: caf\u00e9\r\n\r\n")]           // non-ASCII byte in a value
    [InlineData("GET /a HTTP/1.1\r\nHost: h\r\nX-Bad: a\u0001b\r\n\r\n")]            // control byte in a value
    [InlineData("GET /a HTTP/1.1\r\nHost: h\r\nConnection: close, X-Secret\r\n\r\n")]// hop-by-hop name to drop
    [InlineData("GET /a HTTP/1.1\r\nHost: h\r\nConnection: TE\r\n\r\n")]
    [InlineData("GET /caf\u00e9 HTTP/1.1\r\nHost: h\r\n\r\n")]                       // non-ASCII target
    [InlineData("GET  /a HTTP/1.1\r\nHost: h\r\n\r\n")]                              // two spaces
    [InlineData("GET /a  HTTP/1.1\r\nHost: h\r\n\r\n")]
    [InlineData("G(T /a HTTP/1.1\r\nHost: h\r\n\r\n")]                               // method not a token
    [InlineData("get /a HTTP/1.1\r\nHost: h\r\n\r\n")]                               // lower case: Kestrel's path sends GET
    [InlineData("GET /a HTTP/1.1\r\nHost: h\r\n")]                                   // head not ended
    public void Request_head_outside_the_plain_shape_is_left_to_Kestrel(string head)
    {
        Assert.False(new RequestHead().Parse(Ascii(head)));
    }

    [Theory]
    [InlineData("+5")]
    [InlineData("-0")]
    [InlineData("+0")]
    [InlineData("1 2")]
    [InlineData("")]
    public void Content_length_must_be_digits_only(string value)
    {
        // RFC 9110 §8.6: Content-Length = 1*DIGIT. Kestrel answers 400 to a sign; the relay must not forward such a
        // framing header verbatim onto a pooled upstream connection that another parser may read differently.
        Assert.False(new RequestHead().Parse(Ascii($"POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: {value}\r\n\r\n")));
    }

    [Fact]
    public void Request_head_with_more_than_max_headers_is_left_to_Kestrel()
    {
        var lines = string.Concat(Enumerable.Range(0, RequestHead.MaxHeaders).Select(i => $"X-{i}: v\r\n"));
        Assert.True(new RequestHead().Parse(Ascii($"GET /a HTTP/1.1\r\nHost: h\r\n{lines[..^"X-63: v\r\n".Length]}\r\n")));
        Assert.False(new RequestHead().Parse(Ascii($"GET /a HTTP/1.1\r\nHost: h\r\n{lines}\r\n")));
    }

    [Fact]
    public void Percent_and_dots_in_the_query_are_accepted()
    {
        var parsed = new RequestHead();
        Assert.True(parsed.Parse(Ascii("GET /a?next=%2F..%2Fb/./c HTTP/1.1\r\nHost: h\r\n\r\n")));
        Assert.Equal(2, parsed.PathLength);
    }

    // ---------------------------------------------------------------- ResponseHead

    [Fact]
    public void Response_head_with_content_length_is_reusable_and_keeps_end_to_end_lines()
    {
        var head = Ascii("HTTP/1.1 201 Created\r\nContent-Type: text/plain\r\nContent-Length: 7\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\nX-Up: yes\r\nProxy-Connection: x\r\nTrailer: X-T\r\n\r\n");
        var parsed = new ResponseHead();

        Assert.True(parsed.Parse(head));
        Assert.Equal(201, parsed.Status);
        Assert.Equal("201 Created", Text(head, parsed.StatusRest));
        Assert.Equal(7, parsed.ContentLength);
        Assert.False(parsed.Chunked);
        Assert.False(parsed.Close);
        var kept = Enumerable.Range(0, parsed.LineCount).Select(parsed.Line).Where(l => l.Kept).Select(l => Encoding.Latin1.GetString(head, l.Start, l.Length)).ToArray();
        Assert.Equal(["Content-Type: text/plain", "Content-Length: 7", "X-Up: yes"], kept);
        Assert.Equal(7, parsed.LineCount);
    }

    [Fact]
    public void Response_head_chunked_is_reusable_and_keeps_its_transfer_encoding()
    {
        var head = Ascii("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n");
        var parsed = new ResponseHead();
        Assert.True(parsed.Parse(head));
        Assert.True(parsed.Chunked);
        Assert.Equal(-1, parsed.ContentLength);
        Assert.False(parsed.Close);
        Assert.True(parsed.Line(0).Kept);
    }

    [Theory]
    [InlineData("HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\n", 2L, false)]                                       // 1.0 without keep-alive
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n", 2L, false)]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: Keep-Alive, CLOSE\r\n\r\n", 2L, false)]
    [InlineData("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 2\r\n\r\n", -1L, true)]         // TE and CL
    [InlineData("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", -1L, false)]                                 // not chunked last
    public void Response_head_that_ends_the_connection_says_so(string text, long contentLength, bool chunked)
    {
        var parsed = new ResponseHead();
        Assert.True(parsed.Parse(Ascii(text)));
        Assert.True(parsed.Close);
        Assert.Equal(contentLength, parsed.ContentLength);
        Assert.Equal(chunked, parsed.Chunked);
    }

    [Fact]
    public void Response_with_neither_length_nor_chunked_runs_to_the_close_unless_its_status_has_no_body()
    {
        // The head alone says "no length, not chunked"; whether that means close-delimited depends on status and request.
        var parsed = new ResponseHead();
        Assert.True(parsed.Parse(Ascii("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n")));
        Assert.Equal(-1, parsed.ContentLength);
        Assert.False(parsed.Chunked);
        Assert.False(parsed.HasNoBody(headRequest: false));

        Assert.True(parsed.Parse(Ascii("HTTP/1.1 204 No Content\r\n\r\n")));
        Assert.False(parsed.Close);
        Assert.True(parsed.HasNoBody(headRequest: false));
        Assert.True(parsed.Parse(Ascii("HTTP/1.1 304 Not Modified\r\nETag: \"x\"\r\n\r\n")));
        Assert.False(parsed.Close);
        Assert.True(parsed.HasNoBody(headRequest: false));
    }

    [Fact]
    public void Content_length_beside_transfer_encoding_is_not_passed_on()
    {
        var head = Ascii("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\nX-A: b\r\n\r\n");
        var parsed = new ResponseHead();
        Assert.True(parsed.Parse(head));
        var kept = Enumerable.Range(0, parsed.LineCount).Select(parsed.Line).Where(l => l.Kept).Select(l => Encoding.Latin1.GetString(head, l.Start, l.Length)).ToArray();
        Assert.Equal(["Transfer-Encoding: chunked", "X-A: b"], kept);
        Assert.True(parsed.Chunked);
        Assert.True(parsed.Close);
    }

    [Fact]
    public void Http10_response_with_keep_alive_is_reusable()
    {
        var parsed = new ResponseHead();
        Assert.True(parsed.Parse(Ascii("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n")));
        Assert.False(parsed.Close);
        Assert.Equal(0, parsed.ContentLength);
    }

    [Fact]
    public void Response_without_a_body_by_status_or_method()
    {
        var parsed = new ResponseHead();
        Assert.True(parsed.Parse(Ascii("HTTP/1.1 204 No Content\r\n\r\n")));
        Assert.True(parsed.HasNoBody(headRequest: false));
        Assert.True(parsed.Parse(Ascii("HTTP/1.1 103 Early Hints\r\nLink: </s.css>\r\n\r\n")));
        Assert.Equal(103, parsed.Status);
        Assert.True(parsed.HasNoBody(headRequest: false));
        Assert.True(parsed.Parse(Ascii("HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n")));
        Assert.False(parsed.HasNoBody(headRequest: false));
        Assert.True(parsed.HasNoBody(headRequest: true));
        Assert.True(parsed.Parse(Ascii("HTTP/1.1 200\r\nContent-Length: 9\r\n\r\n")));
        Assert.Equal(200, parsed.Status);
    }

    [Theory]
    [InlineData("garbage\r\n\r\n")]
    [InlineData("HTTP/1.1 OK\r\n\r\n")]
    [InlineData("HTTP/1.1 20 OK\r\n\r\n")]
    [InlineData("HTTP/1.1 2000 OK\r\n\r\n")]
    [InlineData("HTTP/1.1 099 X\r\n\r\n")]
    [InlineData("HTTP/2.0 200 OK\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nBad Name: v\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\n folded\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nX: y\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nX: a\nSet-Cookie: injected\r\n\r\n")]   // bare LF in a value: would split the device's head
    [InlineData("HTTP/1.1 200 OK\r\nX: a\rb\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nX: a\u0000b\r\n\r\n")]
    public void Malformed_response_head_is_refused(string text)
    {
        Assert.False(new ResponseHead().Parse(Ascii(text)));
    }

    // ---------------------------------------------------------------- ChunkedScanner

    internal sealed record ChunkedCase(byte[] Body, int[] Sizes, bool UpperHex, string[] Extensions, string[] Trailers, byte[] Extra, int[] Splits)
    {
        public byte[] Encoded { get; } = Encode(Body, Sizes, UpperHex, Extensions, Trailers);

        public override string ToString() =>
            $"body {Body.Length} B, sizes [{string.Join(',', Sizes)}], ext [{string.Join('|', Extensions)}], trailers [{string.Join('|', Trailers)}], extra {Extra.Length} B, splits [{string.Join(',', Splits)}]";

        private static byte[] Encode(byte[] body, int[] sizes, bool upper, string[] extensions, string[] trailers)
        {
            var output = new MemoryStream();
            var position = 0;
            var n = 0;
            while (position < body.Length)
            {
                var size = Math.Min(sizes[n % sizes.Length], body.Length - position);
                var ext = extensions.Length == 0 ? "" : extensions[n % extensions.Length];
                output.Write(Encoding.ASCII.GetBytes(size.ToString(upper ? "X" : "x", System.Globalization.CultureInfo.InvariantCulture) + ext + "\r\n"));
                output.Write(body, position, size);
                output.Write("\r\n"u8);
                position += size;
                n++;
            }

            output.Write(Encoding.ASCII.GetBytes("0" + (extensions.Length == 0 ? "" : extensions[0]) + "\r\n"));
            foreach (var trailer in trailers)
            {
                output.Write(Encoding.ASCII.GetBytes(trailer + "\r\n"));
            }

            output.Write("\r\n"u8);
            return output.ToArray();
        }
    }

    private static Gen<byte[]> Bytes(int max) => Gen.Choose(0, max).SelectMany(n => Gen.ArrayOf(ArbMap.Default.GeneratorFor<byte>(), n));

    private static Gen<ChunkedCase> Cases =>
        from body in Bytes(3000)
        from sizes in Gen.Choose(1, 5).SelectMany(n => Gen.ArrayOf(Gen.Choose(1, 900), n))
        from upper in ArbMap.Default.GeneratorFor<bool>()
        from extensions in Gen.Choose(0, 2).SelectMany(n => Gen.ArrayOf(Gen.Elements(";a=b", ";name=\"q;u\\\"o\"", " ;x", "\t;y=1", ";e"), n))
        from trailers in Gen.Choose(0, 3).SelectMany(n => Gen.ArrayOf(Gen.Elements("X-Sum: 12", "Expires: never", "A:", "B: c\td"), n))
        from extra in Bytes(40)
        from splits in Gen.Choose(1, 6).SelectMany(n => Gen.ArrayOf(Gen.Choose(1, 700), n))
        select new ChunkedCase(body, sizes, upper, extensions, trailers, extra, splits);

    private static bool ScansToTheEnd(ChunkedCase c)
    {
        byte[] wire = [.. c.Encoded, .. c.Extra];
        var scanner = default(ChunkedScanner);
        var consumed = 0;
        var offset = 0;
        var piece = 0;
        while (offset < wire.Length && !scanner.IsDone)
        {
            var length = Math.Min(c.Splits[piece++ % c.Splits.Length], wire.Length - offset);
            var used = scanner.Scan(wire.AsSpan(offset, length));
            if (scanner.IsInvalid || (used != length && !scanner.IsDone))
            {
                return false;
            }

            consumed += used;
            offset += length;
        }

        return scanner.IsDone && !scanner.IsInvalid && consumed == c.Encoded.Length;
    }

    [Fact]
    public void Chunked_body_in_any_split_ends_exactly_where_its_encoding_ends()
    {
        Prop.ForAll(Arb.From(Cases), ScansToTheEnd).Check(Config.QuickThrowOnFailure.WithMaxTest(500));
    }

    [Fact]
    public void Chunked_body_fed_a_byte_at_a_time_ends_exactly()
    {
        var wire = Ascii("4;x=y\r\nWiki\r\n5\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\nX-T: 1\r\n\r\nHTTP/1.1 200 OK\r\n");
        var scanner = default(ChunkedScanner);
        var consumed = 0;
        for (var i = 0; i < wire.Length && !scanner.IsDone; i++)
        {
            consumed += scanner.Scan(wire.AsSpan(i, 1));
        }

        Assert.True(scanner.IsDone);
        Assert.Equal(wire.Length - "HTTP/1.1 200 OK\r\n".Length, consumed);
    }

    [Fact]
    public void Chunked_body_not_yet_ended_is_neither_done_nor_invalid()
    {
        var scanner = default(ChunkedScanner);
        Assert.Equal(9, scanner.Scan(Ascii("5\r\nhel")) + scanner.Scan(Ascii("lo\r")));
        Assert.False(scanner.IsDone);
        Assert.False(scanner.IsInvalid);
    }

    [Theory]
    [InlineData("g\r\nabc\r\n0\r\n\r\n")]                // bad hex
    [InlineData("5x\r\nhello\r\n0\r\n\r\n")]
    [InlineData("\r\nhello\r\n0\r\n\r\n")]               // no size
    [InlineData("5\nhello\r\n0\r\n\r\n")]                // bare LF after the size
    [InlineData("5\r\nhelloX\r\n0\r\n\r\n")]             // data longer than its size: no CRLF after it
    [InlineData("5\r\nhello\n0\r\n\r\n")]                // LF without CR after data
    [InlineData("5\r\nhello\rX0\r\n\r\n")]
    [InlineData("5;ext\nhello\r\n0\r\n\r\n")]            // bare LF in an extension
    [InlineData("0\r\n\rX")]                             // bad end
    [InlineData("0\r\nX-T: 1\rX")]                       // bad trailer end
    [InlineData("1000000000000000\r\n")]                 // 16 hex digits: more than a long can hold
    [InlineData("-5\r\nhello\r\n0\r\n\r\n")]
    public void Malformed_chunked_body_is_invalid(string text)
    {
        var scanner = default(ChunkedScanner);
        scanner.Scan(Ascii(text));
        Assert.True(scanner.IsInvalid);
        Assert.False(scanner.IsDone);
    }
}
