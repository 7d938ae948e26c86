using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Text;

namespace Gateway.Radius;

/// <summary>The configured clients, resolved once at start: source address to shared secret, most specific range first.</summary>
internal sealed class RadiusClientTable
{
    private readonly (IPNetwork Range, byte[] Secret)[] _clients;

    public RadiusClientTable(IEnumerable<RadiusClientOptions> clients)
    {
        ArgumentNullException.ThrowIfNull(clients);
        _clients = [.. clients
            .Select(c => (Range: TryParseRange(c.Address, out var r) ? r : throw new ArgumentException($"Not an address or range: '{c.Address}'."), Secret: Encoding.UTF8.GetBytes(c.Secret)))
            .OrderByDescending(c => c.Range.PrefixLength)];
    }

    /// <summary>An address is a range of one; IPv4-mapped IPv6 is read as the IPv4 address it carries.</summary>
    public static bool TryParseRange(string? text, out IPNetwork range)
    {
        range = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        if (text.Contains('/', StringComparison.Ordinal))
        {
            // IPNetwork would quietly mask 10.0.0.1/8 to 10.0.0.0/8; refusing host bits past the prefix catches a typo
            // (a /8 where a /32 was meant) instead of silently trusting a whole range with that secret.
            return IPNetwork.TryParse(text, out range)
                && IPAddress.TryParse(text.AsSpan(0, text.IndexOf('/', StringComparison.Ordinal)), out var written)
                && written.Equals(range.BaseAddress);
        }

        if (!IPAddress.TryParse(text, out var address))
        {
            return false;
        }

        address = Normalize(address);
        range = new IPNetwork(address, address.GetAddressBytes().Length * 8);
        return true;
    }

    public static IPAddress Normalize(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;

    public bool TryFind(IPAddress source, [NotNullWhen(true)] out byte[]? secret)
    {
        source = Normalize(source);
        foreach (var (range, s) in _clients)
        {
            if (range.Contains(source))
            {
                secret = s;
                return true;
            }
        }

        secret = null;
        return false;
    }
}
