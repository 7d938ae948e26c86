using System.Text;
using Gateway.Beam.Relay;

namespace Gateway.Tests.Beam;

/// <summary>
/// The relay's hopelessness check for a head read piece by piece (<see cref="PartialHeadScan"/>) gives, after every
/// piece, the answer a fresh look at all the bytes so far gives, and the answer the check gave before it became
/// incremental (<see cref="Reference"/>, kept here as the oracle), for heads trickled in byte by byte.
/// </summary>
public sealed class PartialHeadScanTests
{
    private static readonly string[] s_pieces =
        ["GET", "POST", "get", " ", " ", "/", "/a", "?q=1", "\r", "\n", "\r\n", "\r\n", "HTTP/1.1", "HTTP/2.0", "HTTP/11", "Host: x", "\0", ":", "\u007f", "\u00e9"];

    public static TheoryData<string> Heads()
    {
        var heads = new HashSet<string>(StringComparer.Ordinal)
        {
            "GET /raw HTTP/1.1\r\nHost: x\r\n\r\n", "GET /raw HTTP/1.1\n", "GET /raw HTTP/1.1\r\nHost: x\n", "\n", "\r\n",
            " GET / HTTP/1.1", "HELLO THERE\r\n", "GET / HTTP/1.1 extra\r\n", "GET /a b HTTP/1.1\r\n", "GET /\r\n",
            "GET\r\n", "GET\r", "POST /raw?q=1 HTTP/2.0\r\n", "\u0016\u0003\u0001\u0002\u0000",
        };
        var random = new Random(20261203);
        for (var i = 0; i < 400; i++)
        {
            heads.Add(string.Concat(Enumerable.Range(0, random.Next(1, 12)).Select(_ => s_pieces[random.Next(s_pieces.Length)])));
        }

        return [.. heads];
    }

    [Theory]
    [MemberData(nameof(Heads))]
    public void A_head_trickled_in_byte_by_byte_gets_the_same_answer_after_every_byte(string head)
    {
        var bytes = Encoding.Latin1.GetBytes(head);
        var scan = new PartialHeadScan();
        for (var length = 0; length <= bytes.Length; length++)
        {
            var prefix = bytes.AsSpan(0, length);
            var expected = Reference(prefix);
            Assert.True(expected == scan.IsHopeless(prefix), $"incremental, after {length} bytes of {Show(head)}");
            Assert.True(expected == RequestHead.IsHopeless(prefix), $"one look, after {length} bytes of {Show(head)}");
        }
    }

    [Theory]
    [MemberData(nameof(Heads))]
    public void A_head_arriving_in_uneven_pieces_gets_the_same_answer(string head)
    {
        var bytes = Encoding.Latin1.GetBytes(head);
        var scan = new PartialHeadScan();
        for (int length = 0, step = 1; length <= bytes.Length; length += step, step = (step % 3) + 1)
        {
            var prefix = bytes.AsSpan(0, length);
            Assert.True(Reference(prefix) == scan.IsHopeless(prefix), $"after {length} bytes of {Show(head)}");
        }
    }

    [Fact]
    public void After_a_reset_the_next_head_is_judged_on_its_own()
    {
        var scan = new PartialHeadScan();
        Assert.True(scan.IsHopeless("HELLO THERE\r\n"u8));

        scan.Reset();

        Assert.False(scan.IsHopeless("GET / HTTP/1.1\r\nHost"u8));
    }

    [Fact]
    public void A_shorter_head_than_the_last_one_is_looked_at_afresh()
    {
        var scan = new PartialHeadScan();
        Assert.False(scan.IsHopeless("GET / HTTP/1.1\r\nHost: x\r\n"u8));

        Assert.True(scan.IsHopeless("HI\n"u8));
    }

    private static string Show(string head) => head.Replace("\r", "\\r", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

    /// <summary>The check as it was before it kept state: the whole partial head looked at on every call.</summary>
    private static bool Reference(ReadOnlySpan<byte> partial)
    {
        var lf = partial.IndexOf((byte)'\n');
        while (lf >= 0)
        {
            if (lf == 0 || partial[lf - 1] != (byte)'\r')
            {
                return true;
            }

            var next = partial[(lf + 1)..].IndexOf((byte)'\n');
            lf = next < 0 ? -1 : lf + 1 + next;
        }

        var lineEnd = partial.IndexOf("\r\n"u8);
        var line = lineEnd < 0 ? partial : partial[..lineEnd];
        var space = line.IndexOf((byte)' ');
        var method = space < 0 ? line : line[..space];
        if ((!method.IsEmpty || space == 0) && !FieldLines.IsToken(method))
        {
            return true;
        }

        return lineEnd >= 0 && !RequestHead.IsRequestLineShape(line);
    }
}
