using System.Buffers;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Gateway.Endorse;

/// <summary>
/// Builds the Endorse JWT by hand (compact JWS, RS256): the claim set is fixed and small, and writing it with
/// <see cref="Utf8JsonWriter"/> keeps the exact names and order of SORACOM's tokens without a token library.
/// Header <c>{"kid", "alg": "RS256"}</c>; payload <c>iss</c>, <c>aud</c> <c>soracom-endorse-audience</c>, <c>sub</c>
/// <c>soracom-endorse</c>, <c>iat</c>, <c>nbf</c> (= iat − 60, as in every SORACOM token, for clocks behind the
/// issuer's), <c>exp</c>, <c>jti</c> (16 random bytes), and <c>soracom-endorse-claim</c>.
/// </summary>
internal static class EndorseToken
{
    public const string Audience = "soracom-endorse-audience";

    public const string Subject = "soracom-endorse";

    public const string ClaimName = "soracom-endorse-claim";

    /// <summary>How far <c>nbf</c> is before <c>iat</c>.</summary>
    public const int NotBeforeSkewSeconds = 60;

    /// <param name="claim">Writes the members of <c>soracom-endorse-claim</c> (the writer is inside that object).</param>
    public static string Create(EndorseKey key, string issuer, DateTimeOffset now, int lifetimeSeconds, Action<Utf8JsonWriter> claim)
    {
        var header = new ArrayBufferWriter<byte>(128);
        using (var w = new Utf8JsonWriter(header))
        {
            w.WriteStartObject();
            w.WriteString("kid", key.Kid);
            w.WriteString("alg", "RS256");
            w.WriteEndObject();
        }

        var iat = now.ToUnixTimeSeconds();
        var payload = new ArrayBufferWriter<byte>(512);
        using (var w = new Utf8JsonWriter(payload))
        {
            w.WriteStartObject();
            w.WriteString("iss", issuer);
            w.WriteString("aud", Audience);
            w.WriteString("sub", Subject);
            w.WriteNumber("iat", iat);
            w.WriteNumber("nbf", iat - NotBeforeSkewSeconds);
            w.WriteNumber("exp", iat + lifetimeSeconds);
            w.WriteString("jti", Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(16)));
            w.WriteStartObject(ClaimName);
            claim(w);
            w.WriteEndObject();
            w.WriteEndObject();
        }

        var signingInput = Base64Url.EncodeToString(header.WrittenSpan) + "." + Base64Url.EncodeToString(payload.WrittenSpan);
        var signature = key.Rsa.SignData(Encoding.ASCII.GetBytes(signingInput), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return signingInput + "." + Base64Url.EncodeToString(signature);
    }

    /// <summary>The JWKS document (RFC 7517) of <paramref name="keys"/>: what JWT libraries fetch to verify.</summary>
    public static byte[] Jwks(IEnumerable<EndorseKey> keys)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteStartArray("keys");
            foreach (var key in keys)
            {
                var p = key.Rsa.ExportParameters(includePrivateParameters: false);
                w.WriteStartObject();
                w.WriteString("kty", "RSA");
                w.WriteString("use", "sig");
                w.WriteString("alg", "RS256");
                w.WriteString("kid", key.Kid);
                w.WriteString("n", Base64Url.EncodeToString(p.Modulus));
                w.WriteString("e", Base64Url.EncodeToString(p.Exponent));
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }
}
