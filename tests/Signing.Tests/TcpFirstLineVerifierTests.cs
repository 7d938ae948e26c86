using Gateway.Signing.Soracom;

namespace Gateway.Signing.Tests;

public sealed class TcpFirstLineVerifierTests
{
    private static SoracomSignatureVerifier Verifier(string psk, long nowMs) =>
        new(new SoracomVerifierOptions { PreSharedKeys = { psk } }, ManualTimeProvider.AtUnixMs(nowMs));

    [Theory]
    [InlineData("imsi=440101234567890 timestamp=1608251959862;signature=9b7c3587a10b94453127aa614bac55ca0d953f4a98f428a086114f67120a850b\n")]
    [InlineData("imsi=440101234567890 timestamp=1608251959862;signature=9b7c3587a10b94453127aa614bac55ca0d953f4a98f428a086114f67120a850b version=20150901\r\n")]
    [InlineData("imsi=440101234567890 timestamp=1608251959862;signature=9b7c3587a10b94453127aa614bac55ca0d953f4a98f428a086114f67120a850b")]
    public void Soracom_test_server_line_verifies_with_or_without_suffix_and_ending(string line)
    {
        var result = Verifier("topsecret", 1608251959862).VerifyTcpFirstLine(line);
        Assert.True(result.IsValid, result.Reason);
        Assert.Equal("440101234567890", result.Identity!.Imsi);
    }

    [Fact]
    public void Old_japanese_field_order_verifies_because_the_received_text_is_signed()
    {
        var line = "imsi=295000012345678 imei=860000012345678 timestamp=1445587157992;signature=1340864776d261824f3a53fab489137ea4d0ffee2aaa5b710586a1080e9fb625 version=20150901";
        var result = Verifier("mysecretkey", 1445587157992).VerifyTcpFirstLine(line);
        Assert.True(result.IsValid, result.Reason);
        Assert.Equal("860000012345678", result.Identity!.Imei);
    }

    [Fact]
    public void Line_made_by_the_signer_round_trips()
    {
        var identity = new SoracomIdentity { Imei = "1", Imsi = "2", Msisdn = "3", SimId = "4" };
        var line = new SoracomSigner("k").CreateTcpFirstLine(identity, 5000);
        var result = Verifier("k", 5000).VerifyTcpFirstLine(line);
        Assert.True(result.IsValid, result.Reason);
        Assert.Equal(identity, result.Identity);
    }

    [Theory]
    [InlineData("imsi=1 timestamp=5000", SignatureFailure.MissingHeader, "missing ;signature= on the first line")]
    [InlineData("imsi=1;signature=9b7c3587a10b94453127aa614bac55ca0d953f4a98f428a086114f67120a850b", SignatureFailure.MissingHeader, "missing timestamp= on the first line")]
    [InlineData("timestamp=5000;signature=9b7c3587a10b94453127aa614bac55ca0d953f4a98f428a086114f67120a850b", SignatureFailure.MissingHeader, "missing identity: none of imei=, imsi=, msisdn=, simId= on the first line")]
    [InlineData("imsi=1 timestamp=5000;signature=9b7c3587a10b94453127aa614bac55ca0d953f4a98f428a086114f67120a850b version=20151001", SignatureFailure.UnknownVersion, "unknown signature version '20151001' (expected 20150901)")]
    [InlineData("imsi=1 timestamp=5000;signature=9b7c3587a10b94453127aa614bac55ca0d953f4a98f428a086114f67120a850b trailing", SignatureFailure.Malformed, "unexpected text after the signature: 'trailing'")]
    [InlineData("imsi=1 timestamp=5000;signature=abc", SignatureFailure.Malformed, "signature= is not 64 hex characters")]
    [InlineData("imsi=1  timestamp=5000;signature=abc", SignatureFailure.Malformed, "'' on the first line is not key=value")]
    [InlineData("imsi=1 timestamp=x;signature=9b7c3587a10b94453127aa614bac55ca0d953f4a98f428a086114f67120a850b", SignatureFailure.MalformedTimestamp, "timestamp= 'x' is not a decimal number of milliseconds")]
    [InlineData("imsi=1 timestamp=5000;signature=9b7c3587a10b94453127aa614bac55ca0d953f4a98f428a086114f67120a850b", SignatureFailure.Mismatch, "signature mismatch: no configured key produces this signature")]
    public void Bad_lines_fail_with_a_precise_reason(string line, SignatureFailure failure, string reason)
    {
        var result = Verifier("topsecret", 5000).VerifyTcpFirstLine(line);
        Assert.Equal(failure, result.Failure);
        Assert.Equal(reason, result.Reason);
    }

    [Fact]
    public void Replayed_first_line_is_refused()
    {
        var verifier = Verifier("topsecret", 1608251959862);
        const string line = "imsi=440101234567890 timestamp=1608251959862;signature=9b7c3587a10b94453127aa614bac55ca0d953f4a98f428a086114f67120a850b";
        Assert.True(verifier.VerifyTcpFirstLine(line).IsValid);
        Assert.Equal(SignatureFailure.Replayed, verifier.VerifyTcpFirstLine(line).Failure);
    }

    [Fact]
    public void Control_characters_in_echoed_text_are_neutralised()
    {
        var result = Verifier("k", 5000).VerifyTcpFirstLine("imsi=1 timestamp=5000;signature=9b7c3587a10b94453127aa614bac55ca0d953f4a98f428a086114f67120a850b \u001b[31m");
        Assert.DoesNotContain('\u001b', result.Reason);
    }
}
