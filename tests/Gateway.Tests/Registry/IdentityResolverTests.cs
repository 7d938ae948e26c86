using System.Net;
using System.Text.Json.Nodes;
using Gateway.Registry;

namespace Gateway.Tests.Registry;

public sealed class IdentityResolverTests
{
    private static IdentityResolver Resolver(string subscribers)
    {
        var errors = new List<string>();
        var doc = RegistryParser.Parse(JsonNode.Parse(RegistryParserTests.Seed(subscribers: subscribers)), errors);
        Assert.True(errors.Count == 0, string.Join("\n", errors));
        var resolver = new IdentityResolver();
        resolver.Publish(new RegistrySnapshot(doc!));
        return resolver;
    }

    private const string Fleet = """
        , { "imsi": "440101234567891", "ipRanges": ["10.20.0.0/16"], "groupId": "12345678-abcd-9012-efab-345678901234" }
        , { "imsi": "440101234567892", "ipRanges": ["10.20.30.0/24"] }
        , { "imsi": "440101234567893", "ipAddress": "10.20.30.40" }
        , { "imsi": "440101234567894", "ipAddress": "127.0.0.14", "status": "suspended" }
        , { "imsi": "440101234567895", "ipAddress": "127.0.0.15", "imei": "353000000000005", "imeiLock": { "imei": "353000000000009" } }
        , { "imsi": "440101234567896", "ipAddress": "127.0.0.16", "imeiLock": { "imei": "353000000000006|ANONYMOUS" } }
        , { "imsi": "440101234567897", "ipAddress": "127.0.0.17", "imeiLock": { "imei": "353000000000007" } }
        , { "imsi": "440101234567898", "ipAddress": "fd00::8", "loraDeviceId": "0123456789ABCDEF", "sigfoxDeviceId": "ffffff",
            "certificateThumbprints": ["AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99"] }
        """;

    [Theory]
    [InlineData("127.0.0.11", "440101234567890")]
    [InlineData("::ffff:127.0.0.11", "440101234567890")]
    [InlineData("10.20.30.40", "440101234567893")]
    [InlineData("10.20.30.41", "440101234567892")]
    [InlineData("10.20.99.1", "440101234567891")]
    [InlineData("fd00::8", "440101234567898")]
    public void Source_address_resolves_exact_first_then_longest_range(string address, string imsi)
    {
        var identity = Resolver(Fleet).ResolveAddress(IPAddress.Parse(address));
        Assert.True(identity.IsKnown, identity.Refusal.ToString());
        Assert.Equal(imsi, identity.Subscriber!.Imsi);
    }

    private static IdentityResolver WithGroupRanges()
    {
        var errors = new List<string>();
        var group = """
            { "groupId": "g-vpn", "configuration": { "GatewayIdentity": { "ipRanges": ["10.8.0.0/16", "fd00:8::/64"] } } },
            { "groupId": "g-lan", "configuration": { "GatewayIdentity": { "ipRanges": ["10.8.5.0/24"] } } }
            """;
        var subscribers = """
            , { "imsi": "440101234567891", "groupId": "g-lan", "ipAddress": "10.8.5.7" }
            , { "imsi": "440101234567892", "groupId": "g-lan", "ipRanges": ["10.8.6.0/30"] }
            """;
        var doc = RegistryParser.Parse(JsonNode.Parse(RegistryParserTests.Seed(group: group, subscribers: subscribers).Replace("\"groupId\": \"12345678-abcd-9012-efab-345678901234\",", string.Empty, StringComparison.Ordinal)), errors);
        Assert.True(errors.Count == 0, string.Join("\n", errors));
        var resolver = new IdentityResolver();
        resolver.Publish(new RegistrySnapshot(doc!));
        return resolver;
    }

    [Theory]
    [InlineData("10.8.1.1", "g-vpn")]
    [InlineData("10.8.5.1", "g-lan")]
    [InlineData("fd00:8::1234", "g-vpn")]
    public void Group_range_gives_an_anonymous_device_in_the_group_with_the_longest_range(string address, string groupId)
    {
        var identity = WithGroupRanges().ResolveAddress(IPAddress.Parse(address));
        Assert.True(identity.IsKnown, identity.Refusal.ToString());
        Assert.Equal(groupId, identity.Group!.GroupId);
        Assert.True(identity.Subscriber!.IsAnonymous);
        Assert.Equal(string.Empty, identity.Subscriber.Imsi);
        Assert.Null(identity.Imei);
        Assert.Equal($"anonymous in {groupId}", identity.Label);
    }

    [Theory]
    [InlineData("10.8.5.7", "440101234567891")]
    [InlineData("10.8.6.2", "440101234567892")]
    public void A_sims_own_address_or_range_wins_over_a_group_range(string address, string imsi)
    {
        var identity = WithGroupRanges().ResolveAddress(IPAddress.Parse(address));
        Assert.Equal(imsi, identity.Subscriber!.Imsi);
        Assert.False(identity.Subscriber.IsAnonymous);
    }

    [Fact]
    public void A_radius_binding_wins_over_a_group_range()
    {
        var resolver = WithGroupRanges();
        resolver.Bind(IPAddress.Parse("10.8.1.1"), new AddressBinding("440101234567890", null, null, DateTimeOffset.UnixEpoch));
        Assert.Equal("440101234567890", resolver.ResolveAddress(IPAddress.Parse("10.8.1.1")).Subscriber!.Imsi);
        Assert.True(resolver.Unbind(IPAddress.Parse("10.8.1.1")));
        Assert.True(resolver.ResolveAddress(IPAddress.Parse("10.8.1.1")).Subscriber!.IsAnonymous);
    }

    [Theory]
    [InlineData("10.9.0.1")]
    [InlineData("fd00:9::1")]
    public void Outside_every_range_is_still_refused(string address)
    {
        Assert.Equal(RefusalReason.UnknownDevice, WithGroupRanges().ResolveAddress(IPAddress.Parse(address)).Refusal);
    }

    [Fact]
    public void Resolved_identity_carries_the_group()
    {
        var identity = Resolver(Fleet).ResolveAddress(IPAddress.Parse("127.0.0.11"));
        Assert.Equal("gateway-fleet", identity.Group!.Tags["name"]);
        Assert.Equal("353000000000001", identity.Imei);
    }

    [Theory]
    [InlineData("127.0.0.99")]
    [InlineData("10.21.0.1")]
    [InlineData("fd00::9")]
    public void Unknown_address_is_refused(string address)
    {
        var identity = Resolver(Fleet).ResolveAddress(IPAddress.Parse(address));
        Assert.Equal(RefusalReason.UnknownDevice, identity.Refusal);
        Assert.Null(identity.Subscriber);
    }

    [Fact]
    public void Each_refusal_is_counted_with_its_reason()
    {
        // The meter is process-wide and other tests refuse devices too: look for this test's reasons, not a total.
        var seen = new System.Collections.Concurrent.ConcurrentBag<string>();
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == IdentityResolver.MeterName && instrument.Name == "gateway.identity.refusals")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, _, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "reason")
                {
                    seen.Add((string)tag.Value!);
                }
            }
        });
        listener.Start();

        var resolver = Resolver(Fleet);
        resolver.ResolveAddress(IPAddress.Parse("127.0.0.99"));
        resolver.ResolveAddress(IPAddress.Parse("127.0.0.14"));
        resolver.ResolveAddress(IPAddress.Parse("127.0.0.15"));

        Assert.Contains("unknown_device", seen);
        Assert.Contains("inactive", seen);
        Assert.Contains("imei_mismatch", seen);
        Assert.DoesNotContain("none", seen);
    }

    [Fact]
    public void Inactive_subscriber_is_refused()
    {
        Assert.Equal(RefusalReason.Inactive, Resolver(Fleet).ResolveAddress(IPAddress.Parse("127.0.0.14")).Refusal);
    }

    [Fact]
    public void Imei_lock_refuses_a_different_imei()
    {
        Assert.Equal(RefusalReason.ImeiMismatch, Resolver(Fleet).ResolveAddress(IPAddress.Parse("127.0.0.15")).Refusal);
    }

    [Fact]
    public void Imei_lock_with_anonymous_lets_a_session_without_imei_through_but_not_a_wrong_one()
    {
        var resolver = Resolver(Fleet);
        Assert.True(resolver.ResolveAddress(IPAddress.Parse("127.0.0.16")).IsKnown);

        resolver.Bind(IPAddress.Parse("127.0.0.16"), new AddressBinding("440101234567896", "353000000000000", null, DateTimeOffset.UnixEpoch));
        Assert.Equal(RefusalReason.ImeiMismatch, resolver.ResolveAddress(IPAddress.Parse("127.0.0.16")).Refusal);

        resolver.Bind(IPAddress.Parse("127.0.0.16"), new AddressBinding("440101234567896", "353000000000006", null, DateTimeOffset.UnixEpoch));
        Assert.True(resolver.ResolveAddress(IPAddress.Parse("127.0.0.16")).IsKnown);
    }

    [Fact]
    public void Imei_lock_without_anonymous_refuses_a_session_that_reports_no_imei()
    {
        Assert.Equal(RefusalReason.ImeiMismatch, Resolver(Fleet).ResolveAddress(IPAddress.Parse("127.0.0.17")).Refusal);
    }

    [Theory]
    [InlineData(null, null, true)]
    [InlineData(null, "1", true)]
    [InlineData("353000000000001", "353000000000001", true)]
    [InlineData("353000000000001", "353000000000002", false)]
    [InlineData("353000000000001", null, false)]
    [InlineData("353000000000001|ANONYMOUS", null, true)]
    [InlineData("353000000000001|ANONYMOUS", "353000000000001", true)]
    [InlineData("353000000000001|ANONYMOUS", "353000000000002", false)]
    public void Imei_lock_rule(string? imeiLock, string? imei, bool allowed)
    {
        Assert.Equal(allowed, IdentityResolver.ImeiLockAllows(imeiLock, imei));
    }

    [Fact]
    public void Radius_binding_takes_precedence_and_unbind_only_removes_its_own_session()
    {
        var resolver = Resolver(Fleet);
        var address = IPAddress.Parse("127.0.0.50");
        resolver.Bind(address, new AddressBinding("440101234567893", "353000000000003", "8190", DateTimeOffset.UnixEpoch));
        Assert.Equal("440101234567893", resolver.ResolveAddress(address).Subscriber!.Imsi);
        Assert.Equal("353000000000003", resolver.ResolveAddress(address).Imei);

        Assert.False(resolver.Unbind(address, imsi: "440101234567890"));
        Assert.True(resolver.ResolveAddress(address).IsKnown);
        Assert.True(resolver.Unbind(address, imsi: "440101234567893"));
        Assert.Equal(RefusalReason.UnknownDevice, resolver.ResolveAddress(address).Refusal);
    }

    [Fact]
    public void Binding_to_an_unknown_imsi_never_resolves()
    {
        var resolver = Resolver(Fleet);
        resolver.Bind(IPAddress.Parse("127.0.0.51"), new AddressBinding("999999999999999", null, null, DateTimeOffset.UnixEpoch));
        Assert.Equal(RefusalReason.UnknownDevice, resolver.ResolveAddress(IPAddress.Parse("127.0.0.51")).Refusal);
    }

    [Fact]
    public void Certificate_and_lpwa_ids_resolve_case_insensitively()
    {
        var resolver = Resolver(Fleet);
        Assert.Equal("440101234567898", resolver.ResolveCertificate("aabbccddeeff00112233445566778899aabbccddeeff00112233445566778899").Subscriber!.Imsi);
        Assert.Equal("440101234567898", resolver.ResolveLora("0123456789abcdef").Subscriber!.Imsi);
        Assert.Equal("440101234567898", resolver.ResolveSigfox("FFFFFF").Subscriber!.Imsi);
        Assert.Equal(RefusalReason.UnknownDevice, resolver.ResolveLora("0000000000000000").Refusal);
    }

    [Fact]
    public void A_new_snapshot_applies_to_the_next_lookup()
    {
        var resolver = Resolver(Fleet);
        Assert.Equal(RefusalReason.UnknownDevice, resolver.ResolveAddress(IPAddress.Parse("127.0.0.77")).Refusal);
        var errors = new List<string>();
        var doc = RegistryParser.Parse(JsonNode.Parse(RegistryParserTests.Seed(subscribers: """, { "imsi": "440101234567877", "ipAddress": "127.0.0.77" }""")), errors);
        resolver.Publish(new RegistrySnapshot(doc!));
        Assert.Equal("440101234567877", resolver.ResolveAddress(IPAddress.Parse("127.0.0.77")).Subscriber!.Imsi);
    }
}
