using System.Text.Json.Nodes;
using Gateway.Registry;

namespace Gateway.Tests.Registry;

/// <summary>
/// RADIUS auto-registration's direct path (no JSON tree, no full parse) against the ordinary one: the same
/// validation result, the same subscriber, the same stored JSON, for what a NAS may report.
/// </summary>
public sealed class AutoRegistrationTests
{
    public static TheoryData<string, string, string?, string?> Reported => new()
    {
        { "440990000000001", "storm", "356938035643809", "819012345678" },
        { "440990000000002", "storm", null, null },
        { "440990000000003", "storm", "3569380356438", null }, // IMEI too short
        { "440990000000004", "storm", null, "+819012345678" }, // '+' is escaped in the stored JSON
        { "440990000000005", "storm", "3569380356438091", "+" }, // an MSISDN of no digits
        { "12345", "storm", null, null }, // IMSI too short
        { "44099000000000x", "storm", null, null },
        { "440990000000006", "nope", null, null }, // the group is gone
        { "440990000000007", "g\"<&", "356938035643809", "0123456789012345" }, // MSISDN too long, a group needing escapes
        { "٤٤٠٩٩٠٠٠٠٠٠٠٠٠٨", "storm", null, null }, // digits, but not ASCII ones
    };

    [Theory]
    [MemberData(nameof(Reported))]
    public void Direct_path_validates_builds_and_stores_as_the_parser_does(string imsi, string groupId, string? imei, string? msisdn)
    {
        var state = StateWithGroups("storm", "g\"<&");

        var ordinary = new RegistryEdit(state);
        ordinary.ApplySubscriber(imsi, AutoRegistration.Document(imsi, groupId, imei, msisdn));
        var ordinaryErrors = new List<string>();
        var ordinaryResult = ordinary.Finish(ordinaryErrors);

        var change = AutoRegistration.Change(imsi, groupId, imei, msisdn);
        var direct = new RegistryEdit(state);
        if (change.Parsed is { } parsed)
        {
            direct.ApplyChecked(parsed);
        }
        else
        {
            direct.ApplySubscriber(change.Id, change.Document);
        }

        var directErrors = new List<string>();
        var directResult = direct.Finish(directErrors);

        Assert.Equal(ordinaryErrors, directErrors);
        Assert.Equal(ordinaryResult is null, directResult is null);
        Assert.Equal(AutoRegistration.Document(imsi, groupId, imei, msisdn).ToJsonString(), change.Text());
        if (ordinaryResult is not null)
        {
            Assert.Equal(
                RegistryJson.Write(ordinaryResult.Snapshot.FindByImsi(imsi)!).ToJsonString(),
                RegistryJson.Write(directResult!.Snapshot.FindByImsi(imsi)!).ToJsonString());
            Assert.Equal(1, directResult.Snapshot.SubscriberIndex.GroupMembers[groupId]);
        }
    }

    [Fact]
    public void What_a_nas_normally_reports_takes_the_direct_path_and_a_bad_value_does_not()
    {
        var good = AutoRegistration.Change("440990000000001", "storm", "356938035643809", "+819012345678");
        Assert.NotNull(good.Parsed);
        Assert.False(good.IsDeletion);
        Assert.Equal("""{"imsi":"440990000000001","groupId":"storm","imei":"356938035643809","msisdn":"\u002B819012345678"}""", good.Text());

        var bad = AutoRegistration.Change("12345", "storm", null, null);
        Assert.Null(bad.Parsed);
        Assert.NotNull(bad.Document);
    }

    private static RegistryState StateWithGroups(params string[] groupIds)
    {
        var edit = new RegistryEdit(RegistryState.Empty);
        edit.ApplySmall(groupIds.Select(static g => new RegistryChange(RegistryElementKind.Group, g, new JsonObject { ["groupId"] = g })));
        var errors = new List<string>();
        var state = edit.Finish(errors);
        Assert.Empty(errors);
        return state!;
    }
}
