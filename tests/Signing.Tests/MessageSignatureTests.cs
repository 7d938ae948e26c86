using System.Text;
using Gateway.Signing.MessageSignatures;

namespace Gateway.Signing.Tests;

public sealed class MessageSignatureTests
{
    // RFC 9421 Appendix B.2: the test request, and B.1.5 the shared HMAC key.
    private static readonly byte[] s_rfcKey = Convert.FromBase64String(
        "uzvJfB4u3N0Jy4T7NZ75MDVcr8zSTInedJtkgcu46YW4XByzNJjxBdtjUkdJPBtbmHhIDi6pcl8jsasjlTMtDQ==");

    private static HttpMessageComponents RfcRequest() => new(
        "POST",
        new Uri("https://example.com/foo?param=Value&Pet=dog"),
        [
            new("Host", "example.com"),
            new("Date", "Tue, 20 Apr 2021 02:07:55 GMT"),
            new("Content-Type", "application/json"),
            new("Content-Digest", "sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:"),
            new("Content-Length", "18"),
        ]);

    private static HttpMessageSignatureVerifier RfcVerifier(Action<MessageSignatureVerifierOptions>? configure = null)
    {
        var options = new MessageSignatureVerifierOptions { MaxClockSkew = Timeout.InfiniteTimeSpan };
        options.Keys["test-shared-secret"] = s_rfcKey;
        options.RequiredComponents.Clear();
        configure?.Invoke(options);
        return new HttpMessageSignatureVerifier(options);
    }

    [Fact]
    public void Rfc9421_B_2_5_hmac_sha256_example_verifies()
    {
        var result = RfcVerifier().Verify(
            RfcRequest(),
            "sig-b25=(\"date\" \"@authority\" \"content-type\");created=1618884473;keyid=\"test-shared-secret\"",
            "sig-b25=:pxcQw6G3AjtMBQjwo8XzkZf/bws5LelbaMk5rGIGtE8=:");

        Assert.True(result.IsValid, result.Reason);
        Assert.Equal("test-shared-secret", result.KeyId);
    }

    [Fact]
    public void Rfc9421_B_2_5_example_is_reproduced_byte_for_byte_by_the_signer()
    {
        var signature = new HttpMessageSigner("test-shared-secret", s_rfcKey).Sign(
            RfcRequest(), ["date", "@authority", "content-type"], DateTimeOffset.FromUnixTimeSeconds(1618884473), "sig-b25");

        Assert.Equal(
            "\"date\": Tue, 20 Apr 2021 02:07:55 GMT\n\"@authority\": example.com\n\"content-type\": application/json\n"
            + "\"@signature-params\": (\"date\" \"@authority\" \"content-type\");created=1618884473;keyid=\"test-shared-secret\"",
            signature.SignatureBase);
        Assert.Equal("sig-b25=(\"date\" \"@authority\" \"content-type\");created=1618884473;keyid=\"test-shared-secret\"", signature.SignatureInput);
        Assert.Equal("sig-b25=:pxcQw6G3AjtMBQjwo8XzkZf/bws5LelbaMk5rGIGtE8=:", signature.Signature);
    }

    [Fact]
    public void Rfc9530_example_content_digest()
    {
        Assert.Equal("sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:", ContentDigest.Compute("{\"hello\": \"world\"}"u8));
    }

    [Fact]
    public void Rfc9421_sha512_content_digest_of_the_test_request_verifies()
    {
        var body = "{\"hello\": \"world\"}"u8.ToArray();
        Assert.True(ContentDigest.Verify(
            "sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:",
            System.Security.Cryptography.SHA256.HashData(body),
            System.Security.Cryptography.SHA512.HashData(body),
            out var reason), reason);
    }

    [Theory]
    [InlineData("sha-256=:AAAA:", "Content-Digest sha-256 does not match the body")]
    [InlineData("md5=:AAAA:", "Content-Digest has no sha-256 or sha-512 member")]
    [InlineData("sha-256=abc", "Content-Digest member sha-256 is not a byte sequence")]
    [InlineData("sha-256=:!!:", "Content-Digest is not a structured dictionary: byte sequence at column 9 is not base64")]
    public void Content_digest_failures_are_explained(string header, string expected)
    {
        var body = "x"u8.ToArray();
        Assert.False(ContentDigest.Verify(header, System.Security.Cryptography.SHA256.HashData(body), [], out var reason));
        Assert.Equal(expected, reason);
    }

    private static (HttpMessageComponents Message, MessageSignature Signature) GatewayStyleSignedRequest(string body = "{\"payload\":\"AQID\"}", long created = 1_700_000_000)
    {
        var headers = new List<KeyValuePair<string, string>>
        {
            new("x-soracom-imsi", "440101234567890"),
            new("Content-Digest", ContentDigest.Compute(Encoding.UTF8.GetBytes(body))),
        };
        var message = new HttpMessageComponents("POST", new Uri("https://backend.example/ingest"), headers);
        var signer = new HttpMessageSigner("gw-1", "0123456789abcdef0123456789abcdef"u8.ToArray());
        var signature = signer.Sign(message, HttpMessageSigner.DefaultComponents(["x-soracom-imsi"]), DateTimeOffset.FromUnixTimeSeconds(created));
        return (message, signature);
    }

    private static HttpMessageSignatureVerifier GatewayVerifier(long nowSeconds = 1_700_000_000)
    {
        var options = new MessageSignatureVerifierOptions();
        options.Keys["gw-1"] = "0123456789abcdef0123456789abcdef"u8.ToArray();
        return new HttpMessageSignatureVerifier(options, new ManualTimeProvider(DateTimeOffset.FromUnixTimeSeconds(nowSeconds)));
    }

    [Fact]
    public void Gateway_signature_covers_method_uri_digest_and_identity()
    {
        var (message, signature) = GatewayStyleSignedRequest();
        Assert.Equal(
            "sig1=(\"@method\" \"@target-uri\" \"content-digest\" \"x-soracom-imsi\");created=1700000000;keyid=\"gw-1\"",
            signature.SignatureInput);
        var result = GatewayVerifier().Verify(message, signature.SignatureInput, signature.Signature);
        Assert.True(result.IsValid, result.Reason);
        Assert.Equal(["@method", "@target-uri", "content-digest", "x-soracom-imsi"], result.Components);
    }

    [Fact]
    public void Changed_path_does_not_verify()
    {
        var (message, signature) = GatewayStyleSignedRequest();
        var moved = new HttpMessageComponents("POST", new Uri("https://backend.example/admin"),
            [new("x-soracom-imsi", "440101234567890"), new("Content-Digest", message.GetValue("content-digest")!)]);
        var result = GatewayVerifier().Verify(moved, signature.SignatureInput, signature.Signature);
        Assert.Equal(SignatureFailure.Mismatch, result.Failure);
    }

    [Fact]
    public void Changed_body_digest_does_not_verify()
    {
        var (_, signature) = GatewayStyleSignedRequest();
        var other = new HttpMessageComponents("POST", new Uri("https://backend.example/ingest"),
            [new("x-soracom-imsi", "440101234567890"), new("Content-Digest", ContentDigest.Compute("evil"u8))]);
        Assert.Equal(SignatureFailure.Mismatch, GatewayVerifier().Verify(other, signature.SignatureInput, signature.Signature).Failure);
    }

    [Fact]
    public void Signature_that_does_not_cover_the_digest_is_refused()
    {
        var message = new HttpMessageComponents("POST", new Uri("https://backend.example/ingest"), []);
        var signature = new HttpMessageSigner("gw-1", "0123456789abcdef0123456789abcdef"u8.ToArray())
            .Sign(message, ["@method", "@target-uri"], DateTimeOffset.FromUnixTimeSeconds(1_700_000_000));
        var result = GatewayVerifier().Verify(message, signature.SignatureInput, signature.Signature);
        Assert.Equal(SignatureFailure.MissingComponent, result.Failure);
        Assert.Equal("signature sig1 does not cover required component content-digest", result.Reason);
    }

    [Fact]
    public void Old_signature_is_stale()
    {
        var (message, signature) = GatewayStyleSignedRequest();
        var result = GatewayVerifier(1_700_000_301).Verify(message, signature.SignatureInput, signature.Signature);
        Assert.Equal(SignatureFailure.StaleTimestamp, result.Failure);
    }

    [Theory]
    [InlineData(null, "sig1=:AA==:", SignatureFailure.MissingHeader, "missing header Signature-Input")]
    [InlineData("sig1=(\"@method\");keyid=\"gw-1\"", null, SignatureFailure.MissingHeader, "missing header Signature")]
    [InlineData("sig1=(\"@method\"", "sig1=:AA==:", SignatureFailure.Malformed, "Signature-Input: unterminated inner list")]
    [InlineData("sig1=(\"@method\" \"@target-uri\" \"content-digest\");created=1700000000;keyid=\"other\"", "sig1=:AA==:", SignatureFailure.UnknownKey, "signature sig1: unknown keyid 'other'")]
    [InlineData("sig1=(\"@method\" \"@target-uri\" \"content-digest\");created=1700000000;keyid=\"gw-1\";alg=\"rsa-pss-sha512\"", "sig1=:AA==:", SignatureFailure.UnsupportedAlgorithm, "signature sig1: unsupported alg 'rsa-pss-sha512'")]
    [InlineData("sig1=(\"@method\" \"@target-uri\" \"content-digest\");keyid=\"gw-1\"", "sig1=:AA==:", SignatureFailure.MissingHeader, "signature sig1 has no created parameter")]
    [InlineData("sig1=(\"@method\" \"@target-uri\" \"content-digest\");created=1700000000;keyid=\"gw-1\"", "sig2=:AA==:", SignatureFailure.MissingHeader, "Signature has no member sig1")]
    [InlineData("sig1=(\"@method\" \"@target-uri\" \"content-digest\");created=1700000000;keyid=\"gw-1\"", "sig1=\"AA\"", SignatureFailure.Malformed, "Signature sig1 is not a byte sequence")]
    [InlineData("sig1=(\"@method\" \"@target-uri\" \"content-digest\" \"x-absent\");created=1700000000;keyid=\"gw-1\"", "sig1=:AA==:", SignatureFailure.MissingComponent, "signature sig1 covers x-absent, which the message lacks")]
    [InlineData("sig1=(\"@method\" \"@target-uri\" \"content-digest\" \"@status\");created=1700000000;keyid=\"gw-1\"", "sig1=:AA==:", SignatureFailure.Malformed, "signature sig1 covers unsupported component '@status'")]
    public void Bad_signature_headers_fail_with_a_precise_reason(string? input, string? signature, SignatureFailure failure, string reason)
    {
        var (message, _) = GatewayStyleSignedRequest();
        var result = GatewayVerifier().Verify(message, input, signature);
        Assert.Equal(failure, result.Failure);
        Assert.Equal(reason, result.Reason);
    }

    [Fact]
    public void Line_break_in_a_covered_value_cannot_forge_a_base_line()
    {
        var message = new HttpMessageComponents("POST", new Uri("https://e.example/"), [new("x-a", "1\n\"@method\": GET")]);
        var signer = new HttpMessageSigner("k", [1, 2, 3]);
        Assert.Throws<InvalidOperationException>(() => signer.Sign(message, ["x-a"], DateTimeOffset.UnixEpoch));
    }

    [Theory]
    [InlineData("@authority", "example.com")]
    [InlineData("@scheme", "https")]
    [InlineData("@path", "/foo")]
    [InlineData("@query", "?param=Value&Pet=dog")]
    [InlineData("@request-target", "/foo?param=Value&Pet=dog")]
    [InlineData("@target-uri", "https://example.com/foo?param=Value&Pet=dog")]
    [InlineData("@method", "POST")]
    public void Derived_components_match_rfc9421_section_2_2(string name, string expected)
    {
        Assert.Equal(expected, RfcRequest().GetValue(name));
    }

    [Fact]
    public void Repeated_fields_are_combined_with_comma_space_and_trimmed()
    {
        var message = new HttpMessageComponents("GET", new Uri("http://h:8080/"), [new("X-A", " one "), new("x-a", "two\t")]);
        Assert.Equal("one, two", message.GetValue("x-a"));
        Assert.Equal("h:8080", message.GetValue("@authority"));
        Assert.Equal("?", message.GetValue("@query"));
    }
}
