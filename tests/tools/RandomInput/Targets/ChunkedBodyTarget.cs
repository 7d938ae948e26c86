using Gateway.Beam.Relay;

namespace Gateway.RandomInput.Targets;

/// <summary>
/// The relay's chunked-body scanner (<see cref="ChunkedScanner"/>), which finds where a chunked body ends while its
/// bytes pass through. Contract: never throws; the same bytes split into any pieces give the same end and state as
/// in one piece, and a piece is used only in part once the body has ended.
/// </summary>
internal sealed class ChunkedBodyTarget : IParserTarget
{
    public string Name => "http-chunked";

    public string Description => "relay chunked bodies (ChunkedScanner), whole against split";

    public IReadOnlyList<byte[]> Samples { get; } = AsciiBytes.Of(
        "5\r\nhello\r\n0\r\n\r\n",
        "1a;name=value\r\nabcdefghijklmnopqrstuvwxyz\r\n10 \r\n0123456789abcdef\r\n0\r\nX-Trailer: 1\r\nY: 2\r\n\r\n",
        "0\r\n\r\nGET / HTTP/1.1\r\n",
        "FFFFFFFFFFFFFFF\r\nab",
        "3\r\nabc\r\n3\r\ndef\r\n0;last\r\n\r\n");

    public IReadOnlyList<byte[]> Tokens { get; } = AsciiBytes.Of("\r\n", "\r\n\r\n", "\n", ";", " ", "\t", "0", "f", "F", "g", "0\r\n\r\n", "ffffffffffffffff", "x: y\r\n");

    public int MaxInputBytes => 64 * 1024;

    public byte[] Shape(byte[] input, Random random) => input;

    public void Run(byte[] input)
    {
        var whole = default(ChunkedScanner);
        var used = whole.Scan(input);
        InvariantException.Check(used <= input.Length && (used == input.Length || whole.IsDone || whole.IsInvalid), "only an ended body leaves bytes over");

        var hash = new InputHash(input);
        var pieces = default(ChunkedScanner);
        var at = 0;
        while (at < input.Length && !pieces.IsDone && !pieces.IsInvalid)
        {
            var length = Math.Min(input.Length - at, 1 + hash.Next(hash.Next(2) == 0 ? 3 : input.Length));
            var usedHere = pieces.Scan(input.AsSpan(at, length));
            InvariantException.Check(usedHere == length || pieces.IsDone || pieces.IsInvalid, "a piece used in part while the body goes on");
            at += usedHere;
        }

        InvariantException.Check(at == used && pieces.IsDone == whole.IsDone && pieces.IsInvalid == whole.IsInvalid, $"split scan ended at {at}, whole at {used}");
    }
}
