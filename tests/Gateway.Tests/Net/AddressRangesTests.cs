using System.Net;
using Gateway.Net;

namespace Gateway.Tests.Net;

/// <summary>The shared address rules: IPv4-mapped addresses read as IPv4, range membership, and configuration's range syntax.</summary>
public sealed class AddressRangesTests
{
    private static IPNetwork[] Ranges(params string[] texts) =>
        [.. texts.Select(static t => AddressRanges.TryParse(t, out var r) ? r : throw new ArgumentException(t))];

    [Fact]
    public void An_IPv4_mapped_address_reads_as_the_IPv4_address_and_others_stay_as_they_are()
    {
        Assert.Equal(IPAddress.Parse("10.0.0.1"), AddressRanges.Unmap(IPAddress.Parse("::ffff:10.0.0.1")));
        Assert.Equal(IPAddress.Parse("10.0.0.1"), AddressRanges.Unmap(IPAddress.Parse("10.0.0.1")));
        Assert.Equal(IPAddress.Parse("fd00::1"), AddressRanges.Unmap(IPAddress.Parse("fd00::1")));
        // IPv4-compatible (::a.b.c.d, deprecated) is not IPv4-mapped: it stays IPv6.
        Assert.Equal(System.Net.Sockets.AddressFamily.InterNetworkV6, AddressRanges.Unmap(IPAddress.Parse("::10.0.0.1")).AddressFamily);
    }

    [Theory]
    [InlineData("10.0.0.0/24", "10.0.0.255", true)]
    [InlineData("10.0.0.0/24", "10.0.1.0", false)]
    [InlineData("10.0.0.0/24", "::ffff:10.0.0.7", true)]
    [InlineData("10.0.0.5", "10.0.0.5", true)]
    [InlineData("10.0.0.5/32", "10.0.0.6", false)]
    [InlineData("10.0.0.5", "::ffff:10.0.0.5", true)]
    [InlineData("::ffff:10.0.0.5", "10.0.0.5", true)]
    [InlineData("0.0.0.0/0", "203.0.113.9", true)]
    [InlineData("0.0.0.0/0", "2001:db8::1", false)]
    [InlineData("::/0", "2001:db8::1", true)]
    [InlineData("::/0", "203.0.113.9", false)]
    [InlineData("fd00::/64", "fd00::abcd", true)]
    [InlineData("fd00::/64", "fd00:0:0:1::1", false)]
    [InlineData("fd00::1/128", "fd00::1", true)]
    [InlineData("fd00::1/128", "fd00::2", false)]
    [InlineData("fd00::/64", "10.0.0.1", false)]
    [InlineData("10.0.0.0/8", "fd00::1", false)]
    public void An_address_is_in_a_range_of_its_own_family_only(string range, string address, bool expected) =>
        Assert.Equal(expected, AddressRanges.Contains(Ranges(range), IPAddress.Parse(address)));

    [Fact]
    public void The_first_range_that_holds_the_address_is_the_one_found()
    {
        var ranges = Ranges("10.0.0.5", "10.0.0.0/24", "fd00::/64");

        Assert.Equal(0, AddressRanges.IndexOf(ranges, IPAddress.Parse("10.0.0.5")));
        Assert.Equal(1, AddressRanges.IndexOf(ranges, IPAddress.Parse("::ffff:10.0.0.6")));
        Assert.Equal(2, AddressRanges.IndexOf(ranges, IPAddress.Parse("fd00::9")));
        Assert.Equal(-1, AddressRanges.IndexOf(ranges, IPAddress.Parse("192.0.2.1")));
        Assert.False(AddressRanges.Contains([], IPAddress.Parse("10.0.0.5")));
    }

    [Theory]
    [InlineData("10.0.0.1/8")]
    [InlineData("fd00::1/64")]
    [InlineData("10.0.0.0/33")]
    [InlineData("not an address")]
    [InlineData("")]
    [InlineData(" ")]
    [InlineData(null)]
    public void A_range_with_host_bits_or_no_address_is_refused(string? text) =>
        Assert.False(AddressRanges.TryParse(text, out _));

    [Theory]
    [InlineData("10.0.0.5", "10.0.0.5/32")]
    [InlineData("::ffff:10.0.0.5", "10.0.0.5/32")]
    [InlineData("fd00::5", "fd00::5/128")]
    [InlineData("10.0.0.0/24", "10.0.0.0/24")]
    [InlineData("0.0.0.0/0", "0.0.0.0/0")]
    public void An_address_is_a_range_of_one(string text, string expected)
    {
        Assert.True(AddressRanges.TryParse(text, out var range));
        Assert.Equal(expected, range.ToString());
    }
}
