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
        var editor = new MessageEditor(request);
        var headers = Apply(ref editor, entry, config, device, timestampMs);
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

    /// <summary>
    /// The identity headers and signature, the Authorization option and the custom header rules, applied through
    /// an editor so that the HttpClient path and the relay's byte-level path share one order and one set of rules.
    /// Returns the identity headers (what the RFC 9421 option covers).
    /// </summary>
    public static IReadOnlyList<KeyValuePair<string, string>> Apply<TEditor>(ref TEditor editor, BeamEntry entry, BeamGroupConfig config, DeviceIdentity device, long timestampMs)
        where TEditor : IHeaderEditor, allows ref struct
    {
        var identity = entry.IdentityFor(device.Subscriber!, device.Imei);
        var signer = entry.AddSignature ? config.SignerFor(entry, device.Subscriber!.Imsi) : null;
        IReadOnlyList<KeyValuePair<string, string>> headers = signer is not null && !identity.IsEmpty
            ? signer.CreateHttpHeaders(identity, timestampMs)
            : SoracomSigner.CreateIdentityHeaders(identity);
        foreach (var (name, value) in headers)
        {
            editor.Add(name, value);
        }

        if (entry.Authorization is not null)
        {
            editor.Remove("Authorization");
            editor.Add("Authorization", entry.Authorization);
        }

        ApplyCustomHeaders(ref editor, entry);
        return headers;
    }

    /// <summary>The entry's <c>customHeaders</c> rules, in order: replace and delete remove what is there first.</summary>
    public static void ApplyCustomHeaders(HttpRequestMessage request, BeamEntry entry)
    {
        var editor = new MessageEditor(request);
        ApplyCustomHeaders(ref editor, entry);
    }

    private static void ApplyCustomHeaders<TEditor>(ref TEditor editor, BeamEntry entry)
        where TEditor : IHeaderEditor, allows ref struct
    {
        foreach (var rule in entry.CustomHeaders)
        {
            if (rule.Action != HeaderAction.Append)
            {
                editor.Remove(rule.Name);
            }

            if (rule.Action != HeaderAction.Delete && rule.Value is not null)
            {
                editor.Add(rule.Name, rule.Value);
            }
        }
    }

    /// <summary>Headers that never pass from device to upstream: hop-by-hop ones, and any claim to be Beam or to carry its signatures.</summary>
    public static bool IsDropped(ReadOnlySpan<char> name) =>
        name.StartsWith("x-soracom-", StringComparison.OrdinalIgnoreCase)
        || name.Equals("Host", StringComparison.OrdinalIgnoreCase)
        || name.Equals("Signature", StringComparison.OrdinalIgnoreCase)
        || name.Equals("Signature-Input", StringComparison.OrdinalIgnoreCase)
        || name.Equals("Content-Digest", StringComparison.OrdinalIgnoreCase)
        || IsHopByHop(name);

    /// <summary>Hop-by-hop headers (RFC 9110 §7.6.1), which concern one connection and are never relayed.</summary>
    public static bool IsHopByHop(ReadOnlySpan<char> name) =>
        name.Equals("Connection", StringComparison.OrdinalIgnoreCase)
        || name.Equals("Keep-Alive", StringComparison.OrdinalIgnoreCase)
        || name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase)
        || name.Equals("TE", StringComparison.OrdinalIgnoreCase)
        || name.Equals("Trailer", StringComparison.OrdinalIgnoreCase)
        || name.Equals("Upgrade", StringComparison.OrdinalIgnoreCase)
        || name.Equals("Proxy-Connection", StringComparison.OrdinalIgnoreCase)
        || name.Equals("Proxy-Authorization", StringComparison.OrdinalIgnoreCase);

    public static bool IsContentHeader(ReadOnlySpan<char> name) =>
        name.StartsWith("Content-", StringComparison.OrdinalIgnoreCase) || name.Equals("Expires", StringComparison.OrdinalIgnoreCase) || name.Equals("Last-Modified", StringComparison.OrdinalIgnoreCase);

    public static string Timestamp(long ms) => ms.ToString(CultureInfo.InvariantCulture);

    /// <summary>Edits an <see cref="HttpRequestMessage"/>: content headers go to its content, when it has one.</summary>
    private readonly struct MessageEditor(HttpRequestMessage request) : IHeaderEditor
    {
        public void Add(string name, string value)
        {
            // TryAddWithoutValidation takes anything; the registry refuses line breaks, and this makes sure of it.
            WireText.EnsureSafeInHead("a header name", name);
            WireText.EnsureSafeInHead("a header value", value);
            Target(name).TryAddWithoutValidation(name, value);
        }

        public void Remove(string name) => Target(name).Remove(name);

        private HttpHeaders Target(string name) => request.Content is not null && IsContentHeader(name) ? request.Content.Headers : request.Headers;
    }
}
