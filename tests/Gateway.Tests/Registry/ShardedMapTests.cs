using Gateway.Registry;

namespace Gateway.Tests.Registry;

/// <summary>The registry's copy-on-write map: an edit never shows in the map it started from, nor in an earlier edit's result.</summary>
public sealed class ShardedMapTests
{
    [Fact]
    public void Edits_apply_to_the_new_map_only_and_an_unwritten_builder_gives_the_same_entries()
    {
        var empty = ShardedMap<string, int>.Empty(StringComparer.Ordinal);
        var builder = empty.ToBuilder();
        for (var i = 0; i < 20_000; i++)
        {
            builder.Set($"k{i}", i);
        }

        var first = builder.ToImmutable();
        Assert.Equal(0, empty.Count);
        Assert.False(empty.ContainsKey("k1"));
        Assert.Equal(20_000, first.Count);

        var untouched = first.ToBuilder();
        Assert.Equal(7, untouched.TryGetValue("k7", out var seven) ? seven : -1);
        var same = untouched.ToImmutable();
        Assert.Equal(first.Entries().OrderBy(static e => e.Key), same.Entries().OrderBy(static e => e.Key));

        var edit = first.ToBuilder();
        edit.Set("k1", -1);
        edit.Set("new", 1);
        Assert.True(edit.Remove("k2"));
        Assert.False(edit.Remove("absent"));
        var second = edit.ToImmutable();

        Assert.Equal((20_000, 1, 2, false), (first.Count, first.GetValueOrDefault("k1"), first.GetValueOrDefault("k2"), first.ContainsKey("new")));
        Assert.Equal((20_000, -1, false, true), (second.Count, second.GetValueOrDefault("k1"), second.ContainsKey("k2"), second.ContainsKey("new")));
        Assert.Equal(20_000, same.Count);
        Assert.Equal(1, same.GetValueOrDefault("k1"));
    }
}
