using Gateway.Registry;

namespace Gateway.Tests.Registry;

public sealed class AddressBindingTests
{
    /// <summary>The text the store keeps is the one the JSON tree gave, nulls and escapes included, and reads back.</summary>
    [Theory]
    [InlineData("440101234567890", null, null, null)]
    [InlineData("440101234567890", "353490061234569", "+819012345678", "pgw-\"1\"\u00e9")]
    public void Its_stored_text_is_what_the_json_tree_gave_and_reads_back(string imsi, string? imei, string? msisdn, string? nas)
    {
        var binding = new AddressBinding(imsi, imei, msisdn, DateTimeOffset.FromUnixTimeMilliseconds(1_764_720_000_123), nas);

        Assert.Equal(binding.ToJson().ToJsonString(), binding.ToJsonString());
        Assert.Equal(binding, AddressBinding.FromJson(System.Text.Json.Nodes.JsonNode.Parse(binding.ToJsonString())));
    }
}
