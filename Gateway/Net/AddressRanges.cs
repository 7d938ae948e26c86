using System.Net;

namespace Gateway.Net;

/// <summary>
/// The one reading of a source address that every address rule shares (trusted proxies, RADIUS clients, unified-port
/// service addresses, SAM source conditions, PROXY header sources): an IPv4 peer reached over a dual-stack socket
/// arrives as IPv4-mapped IPv6 (<c>::ffff:10.0.0.1</c>), yet configuration names it in IPv4, so it is compared as the
/// IPv4 address it carries. Keeping that in one place keeps the rules from drifting apart.
/// </summary>
internal static class AddressRanges
{
    /// <summary>The address as configuration names it: IPv4-mapped IPv6 becomes the IPv4 address it carries.</summary>
    public static IPAddress Unmap(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;

    /// <summary>The first range holding <paramref name="address"/> (read through <see cref="Unmap"/>), or -1.</summary>
    /// <remarks>A range of the other family never holds it: 0.0.0.0/0 is every IPv4 address, no IPv6 one.</remarks>
    public static int IndexOf(ReadOnlySpan<IPNetwork> ranges, IPAddress address)
    {
        address = Unmap(address);
        for (var i = 0; i < ranges.Length; i++)
        {
            if (ranges[i].Contains(address))
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>Whether one of <paramref name="ranges"/> holds <paramref name="address"/> (read through <see cref="Unmap"/>).</summary>
    public static bool Contains(ReadOnlySpan<IPNetwork> ranges, IPAddress address) => IndexOf(ranges, address) >= 0;

    /// <summary>
    /// An address or CIDR range as written in configuration: an address is a range of one (an IPv4-mapped address
    /// is the IPv4 one), and a range with host bits past its prefix is refused.
    /// </summary>
    public static bool TryParse(string? text, out IPNetwork range)
    {
        range = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        if (text.Contains('/', StringComparison.Ordinal))
        {
            // IPNetwork would quietly mask 10.0.0.1/8 to 10.0.0.0/8; refusing host bits past the prefix catches a typo
            // (a /8 where a /32 was meant) instead of silently trusting a whole range.
            return IPNetwork.TryParse(text, out range)
                && IPAddress.TryParse(text.AsSpan(0, text.IndexOf('/', StringComparison.Ordinal)), out var written)
                && written.Equals(range.BaseAddress);
        }

        if (!IPAddress.TryParse(text, out var address))
        {
            return false;
        }

        address = Unmap(address);
        range = new IPNetwork(address, address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128);
        return true;
    }
}
