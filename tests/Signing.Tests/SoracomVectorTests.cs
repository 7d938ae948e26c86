using System.Text;
using Gateway.Signing.Soracom;

namespace Gateway.Signing.Tests;

/// <summary>Every published vector from spec/beam.md §4.2, plus SORACOM's own TCP test-server vector.</summary>
public sealed class SoracomVectorTests
{
    public static TheoryData<string, string, string> Vectors => new()
    {
        // 1: D-SIG documentation example.
        { "mysecretkey", "x-soracom-imei=860000012345678x-soracom-imsi=295000012345678x-soracom-timestamp=1445587157992", "95c8e34d68e2bd76502c1e403108dc1bd7008964c31081d0415adb9f21a721a5" },
        // 2-6: SORACOM's Go verifier example.
        { "secret", "x-soracom-imei=012345678901234x-soracom-imsi=295100000000001x-soracom-timestamp=1443571200000", "125d84ef000ed210da7a4de94fe601589295370c9e465982c8ddb84dcb7e779e" },
        { "secret", "x-soracom-imsi=295100000000001x-soracom-timestamp=1443571200000", "a15174afa6e4a4ffa0f9c44e6085e9b6f2b5f0cf2c3437bf46bdd9bf8514f51b" },
        { "secret", "x-soracom-sigfox-device-id=FFFFFFx-soracom-timestamp=1443571200000", "f9e3364679192f572318101e7fea3186d01c2f751b661735875116463a2db466" },
        { "secret", "x-soracom-lora-device-id=0123456789abcdefx-soracom-timestamp=1443571200000", "4eed6b68e7ac8093c375ef6d2346e510ccaa08afc8292f5e613271aaa5b13a28" },
        { "secret", "x-device-id=d-0123456789acbdefghijx-soracom-timestamp=1443571200000", "ab59fbf1a5b68cf7d3547342c40f6f170ed5a2d07017d810e3a39ee4a654aa6d" },
        // 13-15: TCP first-line vectors computed with the verified algorithm.
        { "topsecret", "imei=123456789012345 imsi=440101234567890 msisdn=8180123456780000 simId=8981100024620429680 timestamp=1608251959862", "311ed53ec016d632bad45ce6da0872a9bcda86d1c96943b898d0ab250040e1f5" },
        { "mysecretkey", "imei=860000012345678 imsi=295000012345678 timestamp=1445587157992", "80188d076747e6535d4e4a339dca3a8960dd6e2e24b8e28e8d8afef39655eca5" },
        { "mysecretkey", "imsi=295000012345678 imei=860000012345678 timestamp=1445587157992", "1340864776d261824f3a53fab489137ea4d0ffee2aaa5b710586a1080e9fb625" },
        // SORACOM's beamtest TCP server spec (psk topsecret).
        { "topsecret", "imsi=440101234567890 timestamp=1608251959862", "9b7c3587a10b94453127aa614bac55ca0d953f4a98f428a086114f67120a850b" },
    };

    [Theory]
    [MemberData(nameof(Vectors))]
    public void Published_vector_hashes_to_the_published_signature(string psk, string stringToSign, string expected)
    {
        Assert.Equal(expected, SoracomSignature.ComputeHex(psk, stringToSign));
    }

    [Fact]
    public void Vector_1_headers_are_what_the_documentation_shows_upstream()
    {
        var signer = new SoracomSigner("mysecretkey");
        var headers = signer.CreateHttpHeaders(new SoracomIdentity { Imei = "860000012345678", Imsi = "295000012345678" }, 1445587157992);

        Assert.Equal(
            [
                new("x-soracom-imei", "860000012345678"),
                new("x-soracom-imsi", "295000012345678"),
                new("x-soracom-timestamp", "1445587157992"),
                new("x-soracom-signature", "95c8e34d68e2bd76502c1e403108dc1bd7008964c31081d0415adb9f21a721a5"),
                new KeyValuePair<string, string>("x-soracom-signature-version", "20151001"),
            ],
            headers);
    }

    [Theory]
    [InlineData("sigfox", "FFFFFF", "f9e3364679192f572318101e7fea3186d01c2f751b661735875116463a2db466")]
    [InlineData("lora", "0123456789abcdef", "4eed6b68e7ac8093c375ef6d2346e510ccaa08afc8292f5e613271aaa5b13a28")]
    [InlineData("inventory", "d-0123456789acbdefghij", "ab59fbf1a5b68cf7d3547342c40f6f170ed5a2d07017d810e3a39ee4a654aa6d")]
    public void Device_id_forms_sign_as_the_verifier_expects(string kind, string id, string expected)
    {
        var identity = kind switch
        {
            "sigfox" => new SoracomIdentity { SigfoxDeviceId = id },
            "lora" => new SoracomIdentity { LoraDeviceId = id },
            _ => new SoracomIdentity { InventoryDeviceId = id },
        };

        Assert.Equal(expected, new SoracomSigner("secret").SignHttp(identity, 1443571200000));
    }

    [Fact]
    public void Inventory_device_id_is_sent_as_x_soracom_device_id()
    {
        var headers = new SoracomSigner("secret").CreateHttpHeaders(new SoracomIdentity { InventoryDeviceId = "d-0123456789acbdefghij" }, 1443571200000);
        Assert.Equal("x-soracom-device-id", headers[0].Key);
    }

    [Fact]
    public void Tcp_first_line_for_vector_13_is_signed_with_version_suffix_and_lf()
    {
        var identity = new SoracomIdentity
        {
            Imei = "123456789012345",
            Imsi = "440101234567890",
            Msisdn = "8180123456780000",
            SimId = "8981100024620429680",
        };

        var line = new SoracomSigner("topsecret").CreateTcpFirstLine(identity, 1608251959862);

        Assert.Equal(
            "imei=123456789012345 imsi=440101234567890 msisdn=8180123456780000 simId=8981100024620429680 timestamp=1608251959862"
            + ";signature=311ed53ec016d632bad45ce6da0872a9bcda86d1c96943b898d0ab250040e1f5 version=20150901\n",
            line);
    }

    [Fact]
    public void Tcp_first_line_options_change_ending_and_suffix()
    {
        var identity = new SoracomIdentity { Imei = "860000012345678", Imsi = "295000012345678" };
        var line = new SoracomSigner("mysecretkey").CreateTcpFirstLine(
            identity, 1445587157992, new TcpFirstLineOptions { LineEnding = "\r\n", AppendVersion = false });

        Assert.Equal(
            "imei=860000012345678 imsi=295000012345678 timestamp=1445587157992;signature=80188d076747e6535d4e4a339dca3a8960dd6e2e24b8e28e8d8afef39655eca5\r\n",
            line);
    }

    [Fact]
    public void Unsigned_tcp_first_line_has_pairs_and_timestamp_only()
    {
        var line = SoracomSigner.CreateUnsignedTcpFirstLine(new SoracomIdentity { Imsi = "440101234567890" }, 1608251959862);
        Assert.Equal("imsi=440101234567890 timestamp=1608251959862\n", line);
    }

    [Fact]
    public void Lpwa_identity_has_no_tcp_form()
    {
        var ex = Assert.Throws<ArgumentException>(() => new SoracomSigner("k").CreateTcpFirstLine(new SoracomIdentity { LoraDeviceId = "0011" }, 1));
        Assert.Contains("imei, imsi, msisdn and simId", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Empty_identity_cannot_be_signed()
    {
        Assert.False(new SoracomSigner("k").TrySignHttp(new SoracomIdentity(), 1, new byte[64]));
        Assert.Throws<ArgumentException>(() => new SoracomSigner("k").SignHttp(new SoracomIdentity(), 1));
    }

    [Fact]
    public void Long_identity_values_spill_to_a_pooled_buffer_and_still_sign_correctly()
    {
        var imsi = new string('9', 2000);
        var expected = SoracomSignature.ComputeHex("k", $"x-soracom-imsi={imsi}x-soracom-timestamp=5");
        Assert.Equal(expected, new SoracomSigner("k").SignHttp(new SoracomIdentity { Imsi = imsi }, 5));
    }

    [Fact]
    public void Non_ascii_psk_is_prepended_as_utf8()
    {
        var expected = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes("clé" + "x-soracom-imsi=1x-soracom-timestamp=2")));
        Assert.Equal(expected, new SoracomSigner("clé").SignHttp(new SoracomIdentity { Imsi = "1" }, 2));
    }
}
