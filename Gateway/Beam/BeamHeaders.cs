using System.Globalization;
using System.Net.Http.Headers;
using Gateway.Registry;
using Gateway.Signing.MessageSignatures;
using Gateway.Signing.Soracom;

namespace Gateway.Beam;

/// <summary>
/// Puts Beam's headers on an upstream request: the enabled identity headers, the SORACOM signature, the
/// Authorization option, the custom header rules (last, so they can replace or delete anything before them), and
/// the RFC 9421 signature over the result.
/// </summary>
internal static class BeamHeaders
{
    public static void Apply(HttpRequestMessage request, BeamEntry entry, BeamGroupConfig config, DeviceIdentity device, long timestampMs, ReadOnlySpan<byte> bufferedBody)
    {
        var identity = entry.IdentityFor(device.Subscriber!, device.Imei);
        var signer = entry.AddSignature ? config.SignerFor(entry, device.Subscriber!.Imsi) : null;
        IReadOnlyList<KeyValuePair<string, string>> headers = signer is not null && !identity.IsEmpty
            ? signer.CreateHttpHeaders(identity, timestampMs)
            : SoracomSigner.CreateIdentityHeaders(identity);
        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        if (entry.Authorization is not null)
        {
            request.Headers.Remove("Authorization");
            request.Headers.TryAddWithoutValidation("Authorization", entry.Authorization);
        }

        ApplyCustomHeaders(request, entry);

        if (entry.MessageSigner is not null)
        {
            var digest = ContentDigest.Compute(bufferedBody);
            request.Headers.TryAddWithoutValidation(ContentDigest.HeaderName, digest);
            var covered = new List<KeyValuePair<string, string>> { new(ContentDigest.HeaderName, digest) };
            covered.AddRange(headers.Where(static h => h.Key != SoracomSignature.SignatureHeader));
            var message = new HttpMessageComponents(request.Method.Method, request.RequestUri!, covered);
            var signature = entry.MessageSigner.Sign(
                message,
                HttpMessageSigner.DefaultComponents(headers.Select(static h => h.Key).Where(static h => h != SoracomSignature.SignatureHeader)),
                DateTimeOffset.FromUnixTimeMilliseconds(timestampMs));
            request.Headers.TryAddWithoutValidation("Signature-Input", signature.SignatureInput);
            request.Headers.TryAddWithoutValidation("Signature", signature.Signature);
        }
    }

    /// <summary>The entry's <c>customHeaders</c> rules, in order: replace and delete remove what is there first.</summary>
    public static void ApplyCustomHeaders(HttpRequestMessage request, BeamEntry entry)
    {
        foreach (var rule in entry.CustomHeaders)
        {
            var contentHeader = request.Content is not null && IsContentHeader(rule.Name);
            HttpHeaders target = contentHeader ? request.Content!.Headers : request.Headers;
            if (rule.Action != HeaderAction.Append)
            {
                target.Remove(rule.Name);
            }

            if (rule.Action != HeaderAction.Delete && rule.Value is not null)
            {
                target.TryAddWithoutValidation(rule.Name, rule.Value);
            }
        }
    }

    /// <summary>Headers that never pass from device to upstream: hop-by-hop ones, and any claim to be Beam or to carry its signatures.</summary>
    public static bool IsDropped(string name) =>
        name.StartsWith("x-soracom-", StringComparison.OrdinalIgnoreCase)
        || name.Equals("Host", StringComparison.OrdinalIgnoreCase)
        || name.Equals("Signature", StringComparison.OrdinalIgnoreCase)
        || name.Equals("Signature-Input", StringComparison.OrdinalIgnoreCase)
        || name.Equals("Content-Digest", StringComparison.OrdinalIgnoreCase)
        || IsHopByHop(name);

    /// <summary>Hop-by-hop headers (RFC 9110 §7.6.1), which concern one connection and are never relayed.</summary>
    public static bool IsHopByHop(string name) =>
        name.Equals("Connection", StringComparison.OrdinalIgnoreCase)
        || name.Equals("Keep-Alive", StringComparison.OrdinalIgnoreCase)
        || name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase)
        || name.Equals("TE", StringComparison.OrdinalIgnoreCase)
        || name.Equals("Trailer", StringComparison.OrdinalIgnoreCase)
        || name.Equals("Upgrade", StringComparison.OrdinalIgnoreCase)
        || name.Equals("Proxy-Connection", StringComparison.OrdinalIgnoreCase)
        || name.Equals("Proxy-Authorization", StringComparison.OrdinalIgnoreCase);

    public static bool IsContentHeader(string name) =>
        name.StartsWith("Content-", StringComparison.OrdinalIgnoreCase) || name.Equals("Expires", StringComparison.OrdinalIgnoreCase) || name.Equals("Last-Modified", StringComparison.OrdinalIgnoreCase);

    public static string Timestamp(long ms) => ms.ToString(CultureInfo.InvariantCulture);
}
