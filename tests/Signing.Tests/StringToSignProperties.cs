using System.Text;
using FsCheck;
using FsCheck.Fluent;
using Gateway.Signing.Soracom;

namespace Gateway.Signing.Tests;

/// <summary>Property tests: the zero-allocation string-to-sign writers agree with a plain reference, always.</summary>
public sealed class StringToSignProperties
{
    private static readonly Config s_config = Config.QuickThrowOnFailure.WithMaxTest(500);

    // Identifier values: mostly digits as in real life, sometimes any non-control text (the writers must not care).
    private static Gen<string?> Value =>
        Gen.Frequency(
            (2, Gen.Constant<string?>(null)),
            (3, Gen.Choose(1, 20).SelectMany(n => Gen.ArrayOf(Gen.Elements("0123456789".ToCharArray()), n)).Select(c => (string?)new string(c))),
            (1, ArbMap.Default.GeneratorFor<NonEmptyString>().Select(s => (string?)s.Get)));

    private static Gen<SoracomIdentity> Identity =>
        from imei in Value
        from imsi in Value
        from msisdn in Value
        from simId in Value
        from lora in Gen.Frequency((4, Gen.Constant<string?>(null)), (1, Value))
        from sigfox in Gen.Frequency((4, Gen.Constant<string?>(null)), (1, Value))
        select new SoracomIdentity { Imei = imei, Imsi = imsi, Msisdn = msisdn, SimId = simId, LoraDeviceId = lora, SigfoxDeviceId = sigfox };

    private static Gen<long> Timestamp => Gen.Choose(0, int.MaxValue).Select(i => (long)i * 1000 + i % 1000);

    private static string Reference(SoracomIdentity id, long ts)
    {
        var sb = new StringBuilder();
        void Add(string name, string? v)
        {
            if (v is not null)
            {
                sb.Append(name).Append('=').Append(v);
            }
        }

        Add("x-soracom-imei", id.Imei);
        Add("x-soracom-imsi", id.Imsi);
        Add("x-soracom-lora-device-id", id.LoraDeviceId);
        Add("x-soracom-msisdn", id.Msisdn);
        Add("x-soracom-sigfox-device-id", id.SigfoxDeviceId);
        Add("x-soracom-sim-id", id.SimId);
        return sb.Append("x-soracom-timestamp=").Append(ts).ToString();
    }

    [Fact]
    public void Http_string_to_sign_equals_the_documented_concatenation()
    {
        Prop.ForAll(Arb.From(Identity), Arb.From(Timestamp), (id, ts) =>
        {
            var length = SoracomSignature.GetHttpStringToSignLength(id, ts);
            var buffer = new byte[length];
            var written = SoracomSignature.WriteHttpStringToSign(id, ts, buffer);
            return written == length && Encoding.UTF8.GetString(buffer) == Reference(id, ts);
        }).Check(s_config);
    }

    [Fact]
    public void Signed_headers_always_verify_and_any_changed_identifier_never_does()
    {
        Prop.ForAll(Arb.From(Identity.Where(i => !i.IsEmpty)), Arb.From(Timestamp), (id, ts) =>
        {
            var headers = new SoracomSigner("k").CreateHttpHeaders(id, ts);
            var verifier = new SoracomSignatureVerifier(
                new SoracomVerifierOptions { PreSharedKeys = { "k" }, MaxClockSkew = Timeout.InfiniteTimeSpan, ReplayProtection = false });
            var ok = verifier.Verify(headers);
            var tampered = headers.Select((h, i) => i == 0 ? new KeyValuePair<string, string>(h.Key, h.Value + "0") : h).ToList();
            return ok.IsValid && ok.Identity == id && verifier.Verify(tampered).Failure == SignatureFailure.Mismatch;
        }).Check(s_config);
    }

    [Fact]
    public void Header_lines_are_the_created_headers_byte_for_byte_and_fit_the_announced_length()
    {
        static string Lines(IEnumerable<KeyValuePair<string, string>> headers) =>
            string.Concat(headers.Select(h => $"{h.Key}: {h.Value}\r\n"));

        var signer = new SoracomSigner("k");
        Prop.ForAll(Arb.From(Identity), Arb.From(Timestamp), (id, ts) =>
        {
            var max = SoracomSigner.GetHttpHeaderLinesMaxLength(id);
            var buffer = new byte[max];
            var identityOnly = Encoding.Latin1.GetString(buffer, 0, SoracomSigner.WriteIdentityHeaderLines(id, buffer));
            if (identityOnly != Encoding.Latin1.GetString(Encoding.Latin1.GetBytes(Lines(SoracomSigner.CreateIdentityHeaders(id)))))
            {
                return false;
            }

            if (id.IsEmpty)
            {
                return Assert.Throws<ArgumentException>(() => signer.WriteHttpHeaderLines(id, ts, buffer)) is not null;
            }

            var signed = Encoding.Latin1.GetString(buffer, 0, signer.WriteHttpHeaderLines(id, ts, buffer));
            return signed == Encoding.Latin1.GetString(Encoding.Latin1.GetBytes(Lines(signer.CreateHttpHeaders(id, ts))));
        }).Check(s_config);
    }

    [Fact]
    public void Header_lines_into_too_small_a_destination_throw()
    {
        var id = new SoracomIdentity { Imsi = "440101234567890" };
        var buffer = new byte[SoracomSigner.GetHttpHeaderLinesMaxLength(id) - 80];
        Assert.Throws<ArgumentException>(() => new SoracomSigner("k").WriteHttpHeaderLines(id, 1445587157992, buffer));
    }

    [Fact]
    public void Tcp_first_line_round_trips_for_any_digit_identity()
    {
        var digits = Gen.Choose(1, 19).SelectMany(n => Gen.ArrayOf(Gen.Elements("0123456789".ToCharArray()), n)).Select(c => new string(c));
        var maybe = Gen.Frequency((1, Gen.Constant<string?>(null)), (3, digits.Select(d => (string?)d)));
        var identity =
            from imei in maybe
            from imsi in maybe
            from msisdn in maybe
            from simId in maybe
            select new SoracomIdentity { Imei = imei, Imsi = imsi, Msisdn = msisdn, SimId = simId };
        var options =
            from ending in Gen.Elements("\n", "\r\n")
            from version in ArbMap.Default.GeneratorFor<bool>()
            select (Ending: ending, Version: version);

        Prop.ForAll(Arb.From(identity.Where(i => !i.IsEmpty)), Arb.From(Timestamp), Arb.From(options), (id, ts, o) =>
        {
            var (ending, version) = o;
            var line = new SoracomSigner("k").CreateTcpFirstLine(id, ts, new TcpFirstLineOptions { LineEnding = ending, AppendVersion = version });
            var result = new SoracomSignatureVerifier(
                new SoracomVerifierOptions { PreSharedKeys = { "k" }, MaxClockSkew = Timeout.InfiniteTimeSpan }).VerifyTcpFirstLine(line);
            return line.EndsWith(ending, StringComparison.Ordinal)
                && line.Count(c => c == '\n') == 1
                && result.IsValid
                && result.Identity == id;
        }).Check(s_config);
    }
}
