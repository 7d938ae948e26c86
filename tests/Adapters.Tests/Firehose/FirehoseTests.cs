using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using Gateway.Adapters.Firehose;
using Gateway.Adapters.Tests.Aws;

namespace Gateway.Adapters.Tests.Firehose;

/// <summary>The Firehose adapter against the in-test peer, which checks PutRecordBatch's shape and the SigV4 signature.</summary>
public sealed class FirehoseTests
{
    private static readonly FirehoseAdapterFactory s_factory = new();

    [Fact]
    public async Task Delivers_the_exact_bytes_in_one_signed_call()
    {
        await using var peer = await FakeAws.StartAsync("firehose");
        var logs = new KeepingLoggerProvider();
        await using var adapter = AwsTestKit.Create(s_factory, AwsTestKit.Destination("firehose", peer.Url + "/my-delivery"), TestKeys.Credentials(), logs);

        var results = await AwsTestKit.SendAsync(adapter, AwsTestKit.Message("""{"a":1}"""), AwsTestKit.Message("""{"b":"é"}"""), AwsTestKit.Message("c", imsi: null));

        Assert.All(results, r => Assert.Equal(DeliveryResult.Ok, r));
        Assert.Equal(1, peer.Calls);
        Assert.All(peer.Checks, Assert.Null);
        Assert.Equal(["""{"a":1}""", """{"b":"é"}""", "c"], peer.Accepted.Select(r => Encoding.UTF8.GetString(r.Data)));
        Assert.All(peer.Accepted, r => Assert.Equal("my-delivery", r.Name));
        Assert.DoesNotContain(logs.Lines, l => l.Contains(TestKeys.Secret, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Append_newline_ends_each_record_with_one()
    {
        await using var peer = await FakeAws.StartAsync("firehose", "eu-west-1");
        await using var adapter = AwsTestKit.Create(s_factory,
            AwsTestKit.Destination("firehose", peer.Url + "/lines", new JsonObject { ["appendNewline"] = true }),
            TestKeys.Credentials(region: "eu-west-1"));

        var results = await AwsTestKit.SendAsync(adapter, AwsTestKit.Message("""{"a":1}"""), AwsTestKit.Message("""{"b":2}"""));

        Assert.All(results, r => Assert.Equal(DeliveryResult.Ok, r));
        Assert.All(peer.Checks, Assert.Null);
        Assert.Equal("{\"a\":1}\n{\"b\":2}\n", string.Concat(peer.Accepted.Select(r => Encoding.UTF8.GetString(r.Data))));
        Assert.Equal(1000 * 1024 - 1, adapter.MaxMessageBytes);
    }

    [Fact]
    public async Task A_partial_failure_fails_only_the_refused_records()
    {
        await using var peer = await FakeAws.StartAsync("firehose");
        peer.FailRecord = data => data[0] == (byte)'b' ? "ServiceUnavailableException" : data[0] == (byte)'k' ? "KMSAccessDeniedException" : null;
        await using var adapter = AwsTestKit.Create(s_factory, AwsTestKit.Destination("firehose", peer.Url + "/d"), TestKeys.Credentials());

        var results = await AwsTestKit.SendAsync(adapter, AwsTestKit.Message("a"), AwsTestKit.Message("b"), AwsTestKit.Message("k"), AwsTestKit.Message("d"));

        Assert.Equal(DeliveryResult.Ok, results[0]);
        Assert.Equal(DeliveryResult.Transient(503, "firehose: AWS failed to take the request (ServiceUnavailableException)"), results[1]);
        Assert.Equal(DeliveryResult.Permanent(403, "firehose: the delivery stream's KMS key cannot be used (KMSAccessDeniedException)"), results[2]);
        Assert.Equal(DeliveryResult.Ok, results[3]);
        Assert.DoesNotContain(results, r => r.Reason?.Contains("111122223333", StringComparison.Ordinal) == true);
    }

    [Theory]
    [InlineData(429, "TooManyRequestsException")]
    [InlineData(503, "ServiceUnavailableException")]
    [InlineData(400, "ThrottlingException")]
    [InlineData(400, "LimitExceededException")]
    [InlineData(500, "InternalFailure")]
    public async Task Throttling_and_service_failures_are_transient(int status, string type)
    {
        await using var peer = await FakeAws.StartAsync("firehose");
        peer.Refuse = _ => (status, type);
        await using var adapter = AwsTestKit.Create(s_factory, AwsTestKit.Destination("firehose", peer.Url + "/d"), TestKeys.Credentials());

        var results = await AwsTestKit.SendAsync(adapter, AwsTestKit.Message("a"), AwsTestKit.Message("b"));

        Assert.All(results, r => Assert.Equal(DeliveryOutcome.Transient, r.Outcome));
        Assert.All(results, r => Assert.EndsWith($"({type})", r.Reason, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_missing_delivery_stream_is_permanent()
    {
        await using var peer = await FakeAws.StartAsync("firehose");
        peer.Refuse = _ => (400, "ResourceNotFoundException");
        await using var adapter = AwsTestKit.Create(s_factory, AwsTestKit.Destination("firehose", peer.Url + "/gone"), TestKeys.Credentials());

        var result = (await AwsTestKit.SendAsync(adapter, AwsTestKit.Message("a")))[0];

        Assert.Equal(DeliveryResult.Permanent(404, "firehose: delivery stream 'gone' does not exist (ResourceNotFoundException)"), result);
    }

    [Fact]
    public async Task A_bad_signature_is_permanent_and_names_no_secret()
    {
        await using var peer = await FakeAws.StartAsync("firehose");
        var logs = new KeepingLoggerProvider();
        const string wrong = "notTheSecretKeyAtAll/EXAMPLEKEY0000000000";
        await using var adapter = AwsTestKit.Create(s_factory, AwsTestKit.Destination("firehose", peer.Url + "/d"), TestKeys.Credentials(secret: wrong), logs);

        var result = (await AwsTestKit.SendAsync(adapter, AwsTestKit.Message("a")))[0];

        Assert.Equal("signature: the signature does not match", Assert.Single(peer.Checks));
        Assert.Equal(DeliveryOutcome.Permanent, result.Outcome);
        Assert.Equal(401, result.Status);
        Assert.Contains("InvalidSignatureException", result.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain(wrong, result.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain(logs.Lines, l => l.Contains(wrong, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_slow_peer_times_out_as_transient_504()
    {
        await using var peer = await FakeAws.StartAsync("firehose");
        peer.Delay = TimeSpan.FromSeconds(5);
        await using var adapter = AwsTestKit.Create(s_factory,
            AwsTestKit.Destination("firehose", peer.Url + "/d", new JsonObject { ["timeoutSeconds"] = 0.3 }), TestKeys.Credentials());
        var clock = Stopwatch.StartNew();

        var result = (await AwsTestKit.SendAsync(adapter, AwsTestKit.Message("a")))[0];

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3), clock.Elapsed.ToString());
        Assert.Equal(DeliveryResult.Transient(504, $"firehose: {new Uri(peer.Url).Authority} did not answer within 0.3 s"), result);
    }

    [Fact]
    public async Task A_peer_that_goes_down_is_transient_502_and_the_same_adapter_delivers_once_it_is_back()
    {
        await using var peer = await FakeAws.StartAsync("firehose");
        await using var adapter = AwsTestKit.Create(s_factory, AwsTestKit.Destination("firehose", peer.Url + "/d"), TestKeys.Credentials());
        Assert.Equal(DeliveryResult.Ok, (await AwsTestKit.SendAsync(adapter, AwsTestKit.Message("before")))[0]);

        await peer.StopAsync();
        var down = (await AwsTestKit.SendAsync(adapter, AwsTestKit.Message("down")))[0];
        await peer.RestartAsync();
        var back = (await AwsTestKit.SendAsync(adapter, AwsTestKit.Message("after")))[0];

        // The pooled connection to the peer that went away is not reused: the send after the restart gets through.
        Assert.Equal(DeliveryResult.Transient(502, $"firehose: could not reach {new Uri(peer.Url).Authority} (ConnectionRefused)"), down);
        Assert.Equal(DeliveryResult.Ok, back);
        Assert.Equal(["before", "after"], peer.Accepted.Select(r => Encoding.UTF8.GetString(r.Data)));
        Assert.All(peer.Checks, Assert.Null);
    }

    [Fact]
    public async Task Records_over_the_limit_are_refused_and_big_batches_split_at_four_mebibytes()
    {
        await using var peer = await FakeAws.StartAsync("firehose");
        await using var adapter = AwsTestKit.Create(s_factory, AwsTestKit.Destination("firehose", peer.Url + "/d"), TestKeys.Credentials());
        var big = new string('y', 1000 * 1024 + 1);
        var fits = new string('z', 1000 * 1024);

        var results = await AwsTestKit.SendAsync(adapter, AwsTestKit.Message(big), AwsTestKit.Message(fits), AwsTestKit.Message(fits), AwsTestKit.Message(fits),
            AwsTestKit.Message(fits), AwsTestKit.Message(fits));

        Assert.Equal(DeliveryResult.Permanent(413, "firehose: the record is 1024001 bytes; firehose takes at most 1024000 here"), results[0]);
        Assert.All(results[1..], r => Assert.Equal(DeliveryResult.Ok, r));
        Assert.Equal(2, peer.Calls);
        Assert.All(peer.Checks, Assert.Null);
        Assert.Equal(5, peer.Accepted.Count);
    }
}
