namespace Gateway.RandomInput;

/// <summary>
/// Choices a target makes while running an input (where to split it into segments, which prefixes to try) come from
/// the input's own bytes, so a saved input replays exactly the same way.
/// </summary>
internal struct InputHash
{
    private ulong _state;

    public InputHash(ReadOnlySpan<byte> input)
    {
        // FNV-1a over at most the first 64 bytes and the length: cheap, and enough to vary the choices.
        var hash = 14695981039346656037UL ^ (ulong)input.Length;
        foreach (var b in input[..Math.Min(input.Length, 64)])
        {
            hash = (hash ^ b) * 1099511628211UL;
        }

        _state = hash | 1;
    }

    /// <summary>A number in [0, <paramref name="bound"/>); 0 when the bound is not positive.</summary>
    public int Next(int bound)
    {
        // xorshift64*
        _state ^= _state >> 12;
        _state ^= _state << 25;
        _state ^= _state >> 27;
        var value = (_state * 2685821657736338717UL) >> 33;
        return bound <= 0 ? 0 : (int)(value % (ulong)bound);
    }
}
