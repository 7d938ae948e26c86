using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Gateway.Adapters.Tests.Aws;

/// <summary>
/// Checks an AWS Signature Version 4 <c>Authorization</c> header the way AWS does, written here from AWS's published
/// description of the algorithm and independent of the signer under test (AWSSDK.Core's). Validated on AWS's own
/// SigV4 test-suite examples (<see cref="SigV4VerifierTests"/>). Canonical URI: the path as sent, each byte outside
/// RFC 3986's unreserved set percent-encoded again (every service but S3), so <c>/topics/a%2Fb</c> is signed as
/// <c>/topics/a%252Fb</c>.
/// </summary>
internal static class SigV4Verifier
{
    public sealed record Request(string Method, string Target, IReadOnlyList<KeyValuePair<string, string>> Headers, byte[] Body);

    /// <summary>Null when <paramref name="request"/> carries a valid signature by a key in <paramref name="secrets"/>; else what is wrong.</summary>
    public static string? Verify(Request request, IReadOnlyDictionary<string, string> secrets, string service, string region, DateTimeOffset? now = null)
    {
        var authorization = Header(request, "authorization");
        if (authorization is null || !authorization.StartsWith("AWS4-HMAC-SHA256 ", StringComparison.Ordinal))
        {
            return "no AWS4-HMAC-SHA256 Authorization header";
        }

        var parts = authorization["AWS4-HMAC-SHA256 ".Length..].Split(',', StringSplitOptions.TrimEntries)
            .Select(static p => p.Split('=', 2)).Where(static p => p.Length == 2).ToDictionary(static p => p[0], static p => p[1]);
        if (!parts.TryGetValue("Credential", out var credential) || !parts.TryGetValue("SignedHeaders", out var signedHeaders) || !parts.TryGetValue("Signature", out var signature))
        {
            return "the Authorization header lacks Credential, SignedHeaders or Signature";
        }

        var scope = credential.Split('/');
        if (scope.Length != 5 || scope[4] != "aws4_request")
        {
            return "the credential scope is not key/date/region/service/aws4_request";
        }

        if (!secrets.TryGetValue(scope[0], out var secret))
        {
            return "unknown access key";
        }

        if (scope[2] != region || scope[3] != service)
        {
            return $"signed for {scope[2]}/{scope[3]}, expected {region}/{service}";
        }

        var amzDate = Header(request, "x-amz-date");
        if (amzDate is null || amzDate.Length != 16 || !amzDate.StartsWith(scope[1], StringComparison.Ordinal))
        {
            return "X-Amz-Date is missing or not the scope's date";
        }

        var signed = signedHeaders.Split(';');
        if (!signed.Contains("host") || !signed.Contains("x-amz-date") || !signed.SequenceEqual(signed.Order(StringComparer.Ordinal)))
        {
            return "SignedHeaders must be sorted and include host and x-amz-date";
        }

        if (now is { } clock)
        {
            var at = DateTimeOffset.ParseExact(amzDate, "yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
            if ((clock - at).Duration() > TimeSpan.FromMinutes(15))
            {
                return "the signature's time is more than 15 minutes off";
            }
        }

        var payloadHash = Hex(SHA256.HashData(request.Body));
        if (Header(request, "x-amz-content-sha256") is { } claimed && claimed != payloadHash)
        {
            return "x-amz-content-sha256 is not the body's hash";
        }

        var canonical = CanonicalRequest(request, signed, payloadHash);
        var stringToSign = $"AWS4-HMAC-SHA256\n{amzDate}\n{scope[1]}/{scope[2]}/{scope[3]}/aws4_request\n{Hex(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)))}";
        var key = Hmac(Encoding.UTF8.GetBytes("AWS4" + secret), scope[1]);
        key = Hmac(Hmac(Hmac(key, scope[2]), scope[3]), "aws4_request");
        var expected = Hex(Hmac(key, stringToSign));
        return CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(signature))
            ? null
            : "the signature does not match";
    }

    public static string CanonicalRequest(Request request, IReadOnlyList<string> signed, string payloadHash)
    {
        var question = request.Target.IndexOf('?', StringComparison.Ordinal);
        var path = question < 0 ? request.Target : request.Target[..question];
        var query = question < 0 ? string.Empty : request.Target[(question + 1)..];
        var canonicalPath = string.Join('/', path.Split('/').Select(Encode));
        var canonicalQuery = string.Join('&', query.Split('&', StringSplitOptions.RemoveEmptyEntries)
            .Select(static p => p.Split('=', 2))
            .Select(static p => (Key: Encode(Uri.UnescapeDataString(p[0])), Value: Encode(Uri.UnescapeDataString(p.Length > 1 ? p[1] : string.Empty))))
            .OrderBy(static p => p.Key, StringComparer.Ordinal).ThenBy(static p => p.Value, StringComparer.Ordinal)
            .Select(static p => $"{p.Key}={p.Value}"));
        var headers = new StringBuilder();
        foreach (var name in signed)
        {
            var values = request.Headers.Where(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Select(static h => Collapse(h.Value));
            headers.Append(name).Append(':').Append(string.Join(',', values)).Append('\n');
        }

        return $"{request.Method}\n{canonicalPath}\n{canonicalQuery}\n{headers}\n{string.Join(';', signed)}\n{payloadHash}";
    }

    /// <summary>RFC 3986 percent-encoding of everything but the unreserved characters, of the UTF-8 bytes.</summary>
    private static string Encode(string text)
    {
        var output = new StringBuilder();
        foreach (var b in Encoding.UTF8.GetBytes(text))
        {
            var c = (char)b;
            if (char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '~')
            {
                output.Append(c);
            }
            else
            {
                output.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
            }
        }

        return output.ToString();
    }

    private static string Collapse(string value)
    {
        var output = new StringBuilder();
        foreach (var c in value.Trim())
        {
            if (c == ' ' && output.Length > 0 && output[^1] == ' ')
            {
                continue;
            }

            output.Append(c);
        }

        return output.ToString();
    }

    private static string? Header(Request request, string name) =>
        request.Headers.FirstOrDefault(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Value;

    private static byte[] Hmac(byte[] key, string data) => HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(data));

    private static string Hex(byte[] bytes) => Convert.ToHexStringLower(bytes);
}
