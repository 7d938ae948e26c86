using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;

namespace EventHubsPeer;

/// <summary>
/// Checks a shared access signature as Event Hubs does: <c>SharedAccessSignature sr=…&amp;sig=…&amp;se=…&amp;skn=…</c>, where
/// <c>sig</c> is the Base64 HMAC-SHA256, under the key, of the URL-encoded resource URI (as it stands in <c>sr</c>), a
/// newline and the expiry. Written from the documented token format, independently of the client library under test.
/// </summary>
public static class SasTokenCheck
{
    /// <summary>Why <paramref name="token"/> does not grant <paramref name="entity"/>, or null when it does.</summary>
    public static string? Problem(string token, string keyName, string key, string entity, DateTimeOffset now)
    {
        const string Prefix = "SharedAccessSignature ";
        if (!token.StartsWith(Prefix, StringComparison.Ordinal))
            return "not a SharedAccessSignature token";
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var part in token[Prefix.Length..].Split('&'))
        {
            var eq = part.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0 || !fields.TryAdd(part[..eq], part[(eq + 1)..]))
                return "malformed token field";
        }
        if (!fields.TryGetValue("sr", out var srRaw) || !fields.TryGetValue("sig", out var sigRaw)
            || !fields.TryGetValue("se", out var seRaw) || !fields.TryGetValue("skn", out var sknRaw))
            return "token lacks sr, sig, se or skn";
        if (WebUtility.UrlDecode(sknRaw) != keyName)
            return "unknown key name";
        var expiry = WebUtility.UrlDecode(seRaw);
        if (!long.TryParse(expiry, NumberStyles.None, CultureInfo.InvariantCulture, out var se) || se <= now.ToUnixTimeSeconds())
            return "token expired";
        var expected = Convert.ToBase64String(HMACSHA256.HashData(Encoding.UTF8.GetBytes(key), Encoding.UTF8.GetBytes(srRaw + "\n" + expiry)));
        if (!CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(WebUtility.UrlDecode(sigRaw))))
            return "signature does not match the key";
        // A token for the namespace covers every hub in it; a token for one hub covers that hub only.
        var tokenEntity = EntityOf(WebUtility.UrlDecode(srRaw));
        if (tokenEntity.Length != 0 && !string.Equals(tokenEntity, entity, StringComparison.OrdinalIgnoreCase))
            return $"token is for '{tokenEntity}', not '{entity}'";
        return null;
    }

    /// <summary>The entity (hub) a resource URI or link address names: its path without slashes or a partition suffix.</summary>
    public static string EntityOf(string resource)
    {
        var path = Uri.TryCreate(resource, UriKind.Absolute, out var uri) && uri.Scheme != "file" ? uri.AbsolutePath : resource;
        path = path.Trim('/');
        var partitions = path.IndexOf("/Partitions/", StringComparison.OrdinalIgnoreCase);
        return partitions >= 0 ? path[..partitions] : path;
    }
}
