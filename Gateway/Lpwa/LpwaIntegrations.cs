using System.Buffers;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace Gateway.Lpwa;

/// <summary>
/// The configured integrations by network and name, each with the SHA-256 of its secret. Comparing digests rather
/// than the secrets keeps the comparison constant-time whatever the length of what a caller presents.
/// </summary>
internal sealed class LpwaIntegrations
{
    private readonly Dictionary<(LpwaNetwork, string), byte[]> _secrets = [];

    public LpwaIntegrations(IOptions<LpwaOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        foreach (var integration in options.Value.Integrations)
        {
            // The validator refused anything unusable before the listener opened.
            if (LpwaOptionsValidator.TryParseNetwork(integration.Type, out var network) && integration.Name is { } name && integration.Secret is { } secret)
            {
                _secrets[(network, name)] = SHA256.HashData(Encoding.UTF8.GetBytes(secret));
            }
        }
    }

    public bool Exists(LpwaNetwork network, string name) => _secrets.ContainsKey((network, name));

    /// <summary>
    /// Whether the request carries the integration's secret: <c>Authorization: Bearer &lt;secret&gt;</c>, or
    /// <c>Authorization: Basic</c> with the secret as the password (the user name is ignored).
    /// </summary>
    public bool IsAuthorized(LpwaNetwork network, string name, string? authorization)
    {
        if (!_secrets.TryGetValue((network, name), out var expected) || string.IsNullOrEmpty(authorization))
        {
            return false;
        }

        var space = authorization.IndexOf(' ', StringComparison.Ordinal);
        if (space <= 0)
        {
            return false;
        }

        var scheme = authorization.AsSpan(0, space);
        var value = authorization.AsSpan(space + 1).Trim();
        var basic = scheme.Equals("Basic", StringComparison.OrdinalIgnoreCase);
        if (!basic && !scheme.Equals("Bearer", StringComparison.OrdinalIgnoreCase) || value.Length > 4096)
        {
            return false;
        }

        var buffer = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(value.Length));
        try
        {
            var secret = buffer.AsSpan(0, Encoding.UTF8.GetBytes(value, buffer));
            if (basic)
            {
                // Decoded in place: base64 never grows when decoded. Everything after the first colon is the password.
                if (Base64.DecodeFromUtf8InPlace(secret, out var written) != OperationStatus.Done)
                {
                    return false;
                }

                var credentials = secret[..written];
                var colon = credentials.IndexOf((byte)':');
                if (colon < 0)
                {
                    return false;
                }

                secret = credentials[(colon + 1)..];
            }

            Span<byte> presented = stackalloc byte[SHA256.HashSizeInBytes];
            SHA256.HashData(secret, presented);
            return CryptographicOperations.FixedTimeEquals(expected, presented);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer, clearArray: true);
        }
    }
}
