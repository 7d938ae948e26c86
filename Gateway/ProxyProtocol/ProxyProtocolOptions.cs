using System.Net;

namespace Gateway.ProxyProtocol;

/// <summary>
/// <c>Gateway:ProxyProtocol</c>: the load balancers whose connections begin with a PROXY header naming the device
/// behind them. Empty (the default) turns the protocol off: every connection is the device's own.
/// </summary>
internal sealed class ProxyProtocolOptions
{
    public const string Section = "Gateway:ProxyProtocol";

    /// <summary>Addresses or CIDR ranges (<c>10.0.0.5</c>, <c>10.0.0.0/24</c>, <c>fd00::/64</c>) of the trusted proxies.</summary>
    public List<string> TrustedProxies { get; set; } = [];

    /// <summary>How long a trusted proxy's header may take to arrive whole, from the connection's accept.</summary>
    public int HeaderTimeoutSeconds { get; set; } = 5;

    /// <summary>The trusted ranges, parsed; call after <see cref="Validate"/> found nothing wrong.</summary>
    public IPNetwork[] Ranges() =>
        [.. TrustedProxies.Select(static t => Net.AddressRanges.TryParse(t.Trim(), out var r) ? r : throw new ArgumentException(t))];

    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        foreach (var text in TrustedProxies)
        {
            // The RADIUS clients' rule: a range with host bits set (10.0.0.1/8) is refused as the likely typo it is.
            if (!Net.AddressRanges.TryParse(text?.Trim(), out var range))
            {
                errors.Add($"{Section}:TrustedProxies entries must each be one IP address or CIDR range with no host bits past the prefix, e.g. 10.0.0.5 or 10.0.0.0/24 (was '{text}').");
            }
            else if (range.PrefixLength == 0)
            {
                // Every source could then name any device by sending a header: identity by address would mean nothing.
                errors.Add($"{Section}:TrustedProxies must not trust every address (was '{text}'): name the load balancers' own addresses.");
            }
        }

        if (HeaderTimeoutSeconds is < 1 or > 60)
        {
            errors.Add($"{Section}:HeaderTimeoutSeconds must be between 1 and 60 (was {HeaderTimeoutSeconds}).");
        }

        return errors;
    }
}
