using System.Buffers;
using Gateway.Framing;

namespace Gateway.RandomInput.Targets;

/// <summary>
/// Binary Format v1 framing (<see cref="BinaryFormatV1.TryRead"/>) over a TCP stream of frames, arriving in
/// segments, read frame after frame as <c>TcpToHttpConnectionHandler</c> does. Half the inputs are framed properly
/// from random bodies so that good frames follow bad ones. Contract: never throws; every step but Incomplete consumes
/// bytes; a Complete frame re-encodes to exactly the bytes it was read from.
/// </summary>
internal sealed class BinaryFormatV1Target : IParserTarget
{
    public string Name => "bfv1";

    public string Description => "Binary Format v1 frames on a TCP stream (BinaryFormatV1.TryRead)";

    public IReadOnlyList<byte[]> Samples { get; } =
    [
        BinaryFormatV1.Encode([1, 2, 3, 4, 5, 6]),
        [.. BinaryFormatV1.Encode([0x4d, 0x01, 0x03, 0x51]), .. BinaryFormatV1.Encode("{\"t\":1}"u8)],
        [0x00, 0x00, .. BinaryFormatV1.Encode([0xff])],
        [0xff, 0xff, 0x00, 0x01],
    ];

    public IReadOnlyList<byte[]> Tokens { get; } = [[0x00, 0x00], [0x00, 0x01], [0xff, 0xff], [0x49, 0x17], [0x80, 0x00]];

    public int MaxInputBytes => 3 * (ushort.MaxValue + 4);

    public byte[] Shape(byte[] input, Random random)
    {
        if (input.Length == 0 || random.Next(2) != 0)
        {
            return input;
        }

        // The input cut into one to three bodies, each framed with its true length and CRC.
        var framed = new List<byte>();
        var at = 0;
        for (var i = 0; i < 3 && at < input.Length; i++)
        {
            var length = Math.Min(Math.Min(input.Length - at, ushort.MaxValue), i == 2 ? int.MaxValue : 1 + random.Next(input.Length - at));
            framed.AddRange(BinaryFormatV1.Encode(input.AsSpan(at, length)));
            at += length;
        }

        return [.. framed];
    }

    public void Run(byte[] input)
    {
        var hash = new InputHash(input);
        var buffer = Segments.Split(input, ref hash);
        while (true)
        {
            var before = buffer;
            var status = BinaryFormatV1.TryRead(ref buffer, out var body);
            if (status == FrameStatus.Incomplete)
            {
                InvariantException.Check(buffer.Length == before.Length, "an incomplete frame consumes nothing");
                return;
            }

            var consumed = before.Slice(0, before.Length - buffer.Length);
            InvariantException.Check(consumed.Length > 0, "a frame read consumes bytes");
            if (status == FrameStatus.Complete)
            {
                InvariantException.Check(BinaryFormatV1.Encode(body.ToArray()).AsSpan().SequenceEqual(consumed.ToArray()), "a complete frame re-encodes to its bytes");
            }
        }
    }
}
