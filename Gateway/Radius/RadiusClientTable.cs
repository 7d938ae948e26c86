using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Text;
using Gateway.Net;

namespace Gateway.Radius;

/// <summary>The configured clients, resolved once at start: source address to shared secret, most specific range first.</summary>
internal sealed class RadiusClientTable
{
    // Two parallel arrays, ordered together, so that the range search is the shared one and the index picks the secret.
    private readonly IPNetwork[] _ranges;
    private readonly byte[][] _secrets;

    public RadiusClientTable(IEnumerable<RadiusClientOptions> clients)
    {
        ArgumentNullException.ThrowIfNull(clients);
        var ordered = clients
            .Select(c => (Range: AddressRanges.TryParse(c.Address, out var r) ? r : throw new ArgumentException($"Not an address or range: '{c.Address}'."), Secret: Encoding.UTF8.GetBytes(c.Secret)))
            .OrderByDescending(c => c.Range.PrefixLength)
            .ToArray();
        _ranges = [.. ordered.Select(static c => c.Range)];
        _secrets = [.. ordered.Select(static c => c.Secret)];
    }

    public bool TryFind(IPAddress source, [NotNullWhen(true)] out byte[]? secret)
    {
        var i = AddressRanges.IndexOf(_ranges, source);
        secret = i >= 0 ? _secrets[i] : null;
        return secret is not null;
    }
}
