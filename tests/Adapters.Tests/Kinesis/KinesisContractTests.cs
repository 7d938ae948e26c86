using Gateway.Adapters.Kinesis;
using Gateway.Adapters.Tests.Aws;

namespace Gateway.Adapters.Tests.Kinesis;

/// <summary>
/// What kinesalite cannot produce (it never throttles or fails a record), against the in-test peer, which checks
/// PutRecords' shape and the SigV4 signature for service kinesis.
/// </summary>
public sealed class KinesisContractTests
{
    private static readonly KinesisAdapterFactory s_factory = new();

    [Fact]
    public async Task A_throttled_shard_fails_only_its_records_as_transient()
    {
        await using var peer = await FakeAws.StartAsync("kinesis");
        peer.FailRecord = data => data[0] == (byte)'t' ? "ProvisionedThroughputExceededException" : data[0] == (byte)'i' ? "InternalFailure" : null;
        await using var adapter = AwsTestKit.Create(s_factory, AwsTestKit.Destination("kinesis", peer.Url + "/s"), TestKeys.Credentials());

        var results = await AwsTestKit.SendAsync(adapter, AwsTestKit.Message("ok"), AwsTestKit.Message("throttled"), AwsTestKit.Message("internal"));

        Assert.Null(Assert.Single(peer.Checks));
        Assert.Equal(DeliveryResult.Ok, results[0]);
        Assert.Equal(DeliveryResult.Transient(503, "kinesis: throttled by AWS (ProvisionedThroughputExceededException)"), results[1]);
        Assert.Equal(DeliveryOutcome.Transient, results[2].Outcome);
        Assert.Equal(AwsTestKit.Imsi, Assert.Single(peer.Accepted).PartitionKey);
    }

    [Theory]
    [InlineData(400, "ProvisionedThroughputExceededException", DeliveryOutcome.Transient, 503)]
    [InlineData(400, "LimitExceededException", DeliveryOutcome.Transient, 503)]
    [InlineData(400, "KMSThrottlingException", DeliveryOutcome.Transient, 503)]
    [InlineData(503, "ServiceUnavailable", DeliveryOutcome.Transient, 503)]
    [InlineData(400, "UnrecognizedClientException", DeliveryOutcome.Permanent, 401)]
    [InlineData(400, "AccessDeniedException", DeliveryOutcome.Permanent, 403)]
    [InlineData(400, "ValidationException", DeliveryOutcome.Permanent, 400)]
    [InlineData(400, "ResourceNotFoundException", DeliveryOutcome.Permanent, 404)]
    public async Task Whole_call_errors_map_to_outcomes(int status, string type, DeliveryOutcome outcome, int mapped)
    {
        await using var peer = await FakeAws.StartAsync("kinesis");
        peer.Refuse = _ => (status, type);
        await using var adapter = AwsTestKit.Create(s_factory, AwsTestKit.Destination("kinesis", peer.Url + "/s"), TestKeys.Credentials());

        var results = await AwsTestKit.SendAsync(adapter, AwsTestKit.Message("a"), AwsTestKit.Message("b"));

        Assert.All(results, r => Assert.Equal((outcome, mapped), (r.Outcome, r.Status)));
        Assert.All(results, r => Assert.EndsWith($"({type})", r.Reason, StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_signature_names_the_region_of_the_credential_set_for_a_local_peer()
    {
        await using var peer = await FakeAws.StartAsync("kinesis", "ap-northeast-1");
        await using var wrongRegion = AwsTestKit.Create(s_factory, AwsTestKit.Destination("kinesis", peer.Url + "/s"), TestKeys.Credentials());
        await using var rightRegion = AwsTestKit.Create(s_factory, AwsTestKit.Destination("kinesis", peer.Url + "/s"), TestKeys.Credentials(region: "ap-northeast-1"));

        var refused = (await AwsTestKit.SendAsync(wrongRegion, AwsTestKit.Message("a")))[0];
        var delivered = (await AwsTestKit.SendAsync(rightRegion, AwsTestKit.Message("a")))[0];

        Assert.Equal("signature: signed for us-east-1/kinesis, expected ap-northeast-1/kinesis", peer.Checks.First());
        Assert.Equal(DeliveryOutcome.Permanent, refused.Outcome);
        Assert.Equal(DeliveryResult.Ok, delivered);
    }
}
