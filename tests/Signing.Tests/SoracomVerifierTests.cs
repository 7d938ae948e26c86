using Gateway.Signing.Soracom;

namespace Gateway.Signing.Tests;

public sealed class SoracomVerifierTests
{
    private const long Ts = 1445587157992;

    // Vector 1 as the documentation shows it arriving at the upstream.
    private static List<KeyValuePair<string, string>> Vector1Headers() =>
    [
        new("x-soracom-imei", "860000012345678"),
        new("x-soracom-imsi", "295000012345678"),
        new("x-soracom-signature", "95c8e34d68e2bd76502c1e403108dc1bd7008964c31081d0415adb9f21a721a5"),
        new("x-soracom-signature-version", "20151001"),
        new("x-soracom-timestamp", "1445587157992"),
    ];

    private static SoracomSignatureVerifier Verifier(TimeProvider? time = null, Action<SoracomVerifierOptions>? configure = null, params string[] keys)
    {
        var options = new SoracomVerifierOptions();
        foreach (var k in keys.Length == 0 ? ["mysecretkey"] : keys)
        {
            options.PreSharedKeys.Add(k);
        }

        configure?.Invoke(options);
        return new SoracomSignatureVerifier(options, time ?? ManualTimeProvider.AtUnixMs(Ts + 1000));
    }

    private static List<KeyValuePair<string, string>> Replace(List<KeyValuePair<string, string>> headers, string name, string? value)
    {
        var copy = headers.Where(h => h.Key != name).ToList();
        if (value is not null)
        {
            copy.Add(new(name, value));
        }

        return copy;
    }

    [Fact]
    public void Documented_request_verifies_and_yields_the_identity()
    {
        var result = Verifier().Verify(Vector1Headers());

        Assert.True(result.IsValid, result.Reason);
        Assert.Equal("ok", result.Reason);
        Assert.Equal("860000012345678", result.Identity!.Imei);
        Assert.Equal("295000012345678", result.Identity.Imsi);
        Assert.Equal(Ts, result.TimestampMs);
        Assert.Equal(0, result.KeyIndex);
    }

    [Fact]
    public void Header_names_are_case_insensitive()
    {
        var headers = Vector1Headers().Select(h => new KeyValuePair<string, string>(h.Key.ToUpperInvariant(), h.Value)).ToList();
        Assert.True(Verifier().Verify(headers).IsValid);
    }

    [Fact]
    public void Unsigned_x_soracom_headers_such_as_operator_id_do_not_enter_the_string_to_sign()
    {
        var headers = Vector1Headers();
        headers.Add(new("x-soracom-operator-id", "OP0012345678"));
        headers.Add(new("X-SORACOM-KEYS", "custom"));
        Assert.True(Verifier().Verify(headers).IsValid);
    }

    [Theory]
    [InlineData("x-soracom-signature", "missing header x-soracom-signature")]
    [InlineData("x-soracom-signature-version", "missing header x-soracom-signature-version")]
    [InlineData("x-soracom-timestamp", "missing header x-soracom-timestamp")]
    public void Missing_header_is_named(string header, string reason)
    {
        var result = Verifier().Verify(Replace(Vector1Headers(), header, null));
        Assert.Equal(SignatureFailure.MissingHeader, result.Failure);
        Assert.Equal(reason, result.Reason);
        Assert.Null(result.Identity);
    }

    [Fact]
    public void No_identity_header_is_missing_identity()
    {
        var headers = Replace(Replace(Vector1Headers(), "x-soracom-imei", null), "x-soracom-imsi", null);
        var result = Verifier().Verify(headers);
        Assert.Equal(SignatureFailure.MissingHeader, result.Failure);
        Assert.StartsWith("missing identity", result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_version_is_refused()
    {
        var result = Verifier().Verify(Replace(Vector1Headers(), "x-soracom-signature-version", "20150901"));
        Assert.Equal(SignatureFailure.UnknownVersion, result.Failure);
        Assert.Equal("unknown signature version '20150901' (expected 20151001)", result.Reason);
    }

    [Theory]
    [InlineData("")]
    [InlineData("-1")]
    [InlineData("14455871579920000000000")]
    [InlineData("1445587157.992")]
    public void Malformed_timestamp_is_refused(string value)
    {
        var result = Verifier().Verify(Replace(Vector1Headers(), "x-soracom-timestamp", value));
        Assert.Equal(SignatureFailure.MalformedTimestamp, result.Failure);
    }

    [Theory]
    [InlineData(-301_000, "behind")]
    [InlineData(301_000, "ahead of")]
    public void Timestamp_outside_the_skew_window_is_stale(long offsetMs, string direction)
    {
        var clock = ManualTimeProvider.AtUnixMs(Ts - offsetMs);
        var result = Verifier(clock).Verify(Vector1Headers());
        Assert.Equal(SignatureFailure.StaleTimestamp, result.Failure);
        Assert.Contains(direction, result.Reason, StringComparison.Ordinal);
        Assert.Contains("allowed skew is 300 s", result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Skew_check_can_be_turned_off()
    {
        var clock = ManualTimeProvider.AtUnixMs(Ts + TimeSpan.FromDays(3650).Ticks / 10_000);
        var result = Verifier(clock, o => o.MaxClockSkew = Timeout.InfiniteTimeSpan).Verify(Vector1Headers());
        Assert.True(result.IsValid, result.Reason);
    }

    [Fact]
    public void Wrong_key_is_a_mismatch()
    {
        var result = Verifier(keys: "not-the-key").Verify(Vector1Headers());
        Assert.Equal(SignatureFailure.Mismatch, result.Failure);
        Assert.DoesNotContain("not-the-key", result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Tampered_identity_is_a_mismatch()
    {
        var result = Verifier().Verify(Replace(Vector1Headers(), "x-soracom-imsi", "295000012345679"));
        Assert.Equal(SignatureFailure.Mismatch, result.Failure);
    }

    [Fact]
    public void Second_key_verifies_during_rotation_and_reports_its_index()
    {
        var result = Verifier(null, null, "new-key", "mysecretkey").Verify(Vector1Headers());
        Assert.True(result.IsValid);
        Assert.Equal(1, result.KeyIndex);
    }

    [Fact]
    public void Uppercase_hex_signature_is_accepted()
    {
        var headers = Replace(Vector1Headers(), "x-soracom-signature", "95C8E34D68E2BD76502C1E403108DC1BD7008964C31081D0415ADB9F21A721A5");
        Assert.True(Verifier().Verify(headers).IsValid);
    }

    [Theory]
    [InlineData("95c8e34d")]
    [InlineData("zzc8e34d68e2bd76502c1e403108dc1bd7008964c31081d0415adb9f21a721a5")]
    public void Signature_that_is_not_64_hex_characters_is_malformed(string value)
    {
        var result = Verifier().Verify(Replace(Vector1Headers(), "x-soracom-signature", value));
        Assert.Equal(SignatureFailure.Malformed, result.Failure);
    }

    [Fact]
    public void Repeated_identity_header_is_malformed()
    {
        var headers = Vector1Headers();
        headers.Add(new("x-soracom-imsi", "295000012345678"));
        var result = Verifier().Verify(headers);
        Assert.Equal(SignatureFailure.Malformed, result.Failure);
        Assert.Equal("header x-soracom-imsi is repeated", result.Reason);
    }

    [Fact]
    public void Replayed_signature_is_refused_the_second_time()
    {
        var verifier = Verifier();
        Assert.True(verifier.Verify(Vector1Headers()).IsValid);
        var again = verifier.Verify(Vector1Headers());
        Assert.Equal(SignatureFailure.Replayed, again.Failure);
        Assert.Equal("replayed: this signature was already accepted", again.Reason);
    }

    [Fact]
    public void Replay_protection_can_be_turned_off()
    {
        var verifier = Verifier(configure: o => o.ReplayProtection = false);
        Assert.True(verifier.Verify(Vector1Headers()).IsValid);
        Assert.True(verifier.Verify(Vector1Headers()).IsValid);
    }

    [Fact]
    public void Failed_signatures_never_enter_the_replay_cache()
    {
        var verifier = Verifier();
        Assert.False(verifier.Verify(Replace(Vector1Headers(), "x-soracom-imsi", "1")).IsValid);
        Assert.True(verifier.Verify(Vector1Headers()).IsValid);
    }

    [Fact]
    public void Full_replay_cache_forgets_the_oldest_but_never_lets_it_replay()
    {
        var clock = ManualTimeProvider.AtUnixMs(Ts);
        var verifier = Verifier(clock, o => o.ReplayCacheCapacity = 2);
        var signer = new SoracomSigner("mysecretkey");
        List<KeyValuePair<string, string>> At(long ts) =>
        [
            .. signer.CreateHttpHeaders(new SoracomIdentity { Imsi = "295000012345678" }, ts),
        ];

        Assert.True(verifier.Verify(At(Ts)).IsValid);
        Assert.True(verifier.Verify(At(Ts + 1)).IsValid);
        Assert.True(verifier.Verify(At(Ts + 2)).IsValid); // evicts Ts, floor becomes Ts

        var replay = verifier.Verify(At(Ts));
        Assert.Equal(SignatureFailure.Replayed, replay.Failure);
        Assert.Contains("cache full", replay.Reason, StringComparison.Ordinal);
        Assert.Equal(SignatureFailure.Replayed, verifier.Verify(At(Ts + 2)).Failure);
        Assert.True(verifier.Verify(At(Ts + 3)).IsValid);
    }

    [Fact]
    public void Replay_cache_entries_expire_with_the_skew_window()
    {
        var cache = new ReplayCache(10);
        var d = new ReplayCache.Digest(1, 2, 3, 4);
        Assert.True(cache.TryAdd(d, 100, expireBeforeMs: 0, out _));
        Assert.True(cache.TryAdd(new ReplayCache.Digest(5, 6, 7, 8), 200, expireBeforeMs: 150, out _));
        Assert.Equal(1, cache.Count);
    }

    [Fact]
    public void Lpwa_and_inventory_headers_verify()
    {
        var clock = ManualTimeProvider.AtUnixMs(1443571200000);
        var verifier = Verifier(clock, null, "secret");
        List<KeyValuePair<string, string>> Headers(string name, string id, string sig) =>
        [
            new(name, id),
            new("x-soracom-operator-id", "OP0000000000"),
            new("x-soracom-timestamp", "1443571200000"),
            new("x-soracom-signature", sig),
            new("x-soracom-signature-version", "20151001"),
        ];

        Assert.True(verifier.Verify(Headers("x-soracom-sigfox-device-id", "FFFFFF", "f9e3364679192f572318101e7fea3186d01c2f751b661735875116463a2db466")).IsValid);
        Assert.True(verifier.Verify(Headers("x-soracom-lora-device-id", "0123456789abcdef", "4eed6b68e7ac8093c375ef6d2346e510ccaa08afc8292f5e613271aaa5b13a28")).IsValid);
        var inventory = verifier.Verify(Headers("x-soracom-device-id", "d-0123456789acbdefghij", "ab59fbf1a5b68cf7d3547342c40f6f170ed5a2d07017d810e3a39ee4a654aa6d"));
        Assert.True(inventory.IsValid, inventory.Reason);
        Assert.Equal("d-0123456789acbdefghij", inventory.Identity!.InventoryDeviceId);
    }

    [Fact]
    public void Inventory_signed_with_the_x_soracom_device_id_spelling_also_verifies()
    {
        var sig = SoracomSignature.ComputeHex("secret", "x-soracom-device-id=d-1x-soracom-timestamp=1443571200000");
        var result = Verifier(ManualTimeProvider.AtUnixMs(1443571200000), null, "secret").Verify(
        [
            new("x-soracom-device-id", "d-1"),
            new("x-soracom-timestamp", "1443571200000"),
            new("x-soracom-signature", sig),
            new("x-soracom-signature-version", "20151001"),
        ]);
        Assert.True(result.IsValid, result.Reason);
    }

    [Fact]
    public void Bad_options_are_refused_with_every_problem_named()
    {
        var options = new SoracomVerifierOptions { MaxClockSkew = TimeSpan.Zero, ReplayCacheCapacity = 0 };
        var ex = Assert.Throws<ArgumentException>(() => new SoracomSignatureVerifier(options));
        Assert.Contains("PreSharedKeys", ex.Message, StringComparison.Ordinal);
        Assert.Contains("MaxClockSkew", ex.Message, StringComparison.Ordinal);
        Assert.Contains("ReplayCacheCapacity", ex.Message, StringComparison.Ordinal);
    }
}
