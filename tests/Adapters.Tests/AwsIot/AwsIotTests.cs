using System.Text;
using System.Text.Json.Nodes;
using Gateway.Adapters.AwsIot;
using Gateway.Adapters.Tests.Aws;

namespace Gateway.Adapters.Tests.AwsIot;

/// <summary>The AWS IoT adapter against the in-test data endpoint, which checks the publish's shape and its SigV4 signature (service iotdata).</summary>
public sealed class AwsIotTests
{
    private static readonly AwsIotAdapterFactory s_factory = new();

    [Fact]
    public async Task Publishes_the_body_to_the_subscribers_topic()
    {
        await using var peer = await FakeAws.StartAsync("iotdata", "ap-northeast-1");
        var url = peer.Url + "/devices/#{imsi}/up";
        await using var adapter = AwsTestKit.Create(s_factory, AwsTestKit.Destination("aws-iot", url), TestKeys.Credentials(region: "ap-northeast-1"));

        var results = await AwsTestKit.SendAsync(adapter, AwsTestKit.Message("""{"t":1}""", target: url.Replace("#{imsi}", AwsTestKit.Imsi, StringComparison.Ordinal)));

        Assert.Equal(DeliveryResult.Ok, results[0]);
        Assert.Null(Assert.Single(peer.Checks));
        var record = Assert.Single(peer.Accepted);
        Assert.Equal($"devices/{AwsTestKit.Imsi}/up", record.Name);
        Assert.Equal("""{"t":1}""", Encoding.UTF8.GetString(record.Data));
        Assert.Equal("application/json", record.ContentType);
    }

    [Fact]
    public async Task Sends_raw_bytes_as_octet_stream()
    {
        await using var peer = await FakeAws.StartAsync("iotdata");
        await using var adapter = AwsTestKit.Create(s_factory,
            AwsTestKit.Destination("aws-iot", peer.Url + "/raw topic/ü", new JsonObject { ["sendPayloadsAsBinary"] = true, ["payloadsOnly"] = false }),
            TestKeys.Credentials());
        byte[] bytes = [0x00, 0xff, 0x10, 0x0a, 0x7b];
        var message = new OutgoingMessage { Body = bytes, ContentType = "application/octet-stream", MessageId = "m", Key = AwsTestKit.Imsi };

        var result = (await AwsTestKit.SendAsync(adapter, message))[0];

        Assert.Equal(DeliveryResult.Ok, result);
        Assert.Null(Assert.Single(peer.Checks));
        var record = Assert.Single(peer.Accepted);
        Assert.Equal("raw topic/ü", record.Name);
        Assert.Equal(bytes, record.Data);
        Assert.Equal("application/octet-stream", record.ContentType);
    }

    [Theory]
    [InlineData(429, "ThrottlingException", DeliveryOutcome.Transient)]
    [InlineData(503, "ServiceUnavailableException", DeliveryOutcome.Transient)]
    [InlineData(500, "InternalFailureException", DeliveryOutcome.Transient)]
    [InlineData(401, "UnauthorizedException", DeliveryOutcome.Permanent)]
    [InlineData(403, "ForbiddenException", DeliveryOutcome.Permanent)]
    [InlineData(413, "RequestEntityTooLargeException", DeliveryOutcome.Permanent)]
    public async Task Answers_map_to_outcomes(int status, string type, DeliveryOutcome outcome)
    {
        await using var peer = await FakeAws.StartAsync("iotdata");
        peer.Refuse = _ => (status, type);
        await using var adapter = AwsTestKit.Create(s_factory, AwsTestKit.Destination("aws-iot", peer.Url + "/t"), TestKeys.Credentials());

        var result = (await AwsTestKit.SendAsync(adapter, AwsTestKit.Message("{}")))[0];

        Assert.Equal(outcome, result.Outcome);
        Assert.EndsWith($"({type})", result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_bad_signature_is_permanent()
    {
        await using var peer = await FakeAws.StartAsync("iotdata");
        await using var adapter = AwsTestKit.Create(s_factory, AwsTestKit.Destination("aws-iot", peer.Url + "/t"), TestKeys.Credentials(secret: "wrong-secret-0000000000000000000000000000"));

        var result = (await AwsTestKit.SendAsync(adapter, AwsTestKit.Message("{}")))[0];

        Assert.Equal("signature: the signature does not match", Assert.Single(peer.Checks));
        Assert.Equal(DeliveryOutcome.Permanent, result.Outcome);
        Assert.DoesNotContain("wrong-secret", result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Oversize_slow_and_unreachable()
    {
        await using var peer = await FakeAws.StartAsync("iotdata");
        peer.Delay = TimeSpan.FromSeconds(5);
        await using var adapter = AwsTestKit.Create(s_factory,
            AwsTestKit.Destination("aws-iot", peer.Url + "/t", new JsonObject { ["timeoutSeconds"] = 0.3 }), TestKeys.Credentials());
        await using var nowhere = AwsTestKit.Create(s_factory, AwsTestKit.Destination("aws-iot", "http://127.0.0.1:9/t"), TestKeys.Credentials());

        var oversize = (await AwsTestKit.SendAsync(adapter, AwsTestKit.Message(new string('x', 128 * 1024 + 1))))[0];
        var slow = (await AwsTestKit.SendAsync(adapter, AwsTestKit.Message("{}")))[0];
        var down = (await AwsTestKit.SendAsync(nowhere, AwsTestKit.Message("{}")))[0];

        Assert.Equal(DeliveryResult.Permanent(413, "aws-iot: the message is 131073 bytes; AWS IoT takes at most 131072"), oversize);
        Assert.Equal(DeliveryOutcome.Transient, slow.Outcome);
        Assert.Equal(504, slow.Status);
        Assert.Equal(DeliveryResult.Transient(502, "aws-iot: could not reach 127.0.0.1:9 (ConnectionRefused)"), down);
    }
}
