using System.Text;
using System.Text.Json.Nodes;
using Gateway.Adapters.Kinesis;
using Gateway.Adapters.Tests.Aws;

namespace Gateway.Adapters.Tests.Kinesis;

/// <summary>The Kinesis adapter against kinesalite: records read back with GetRecords, the failures it can produce.</summary>
public sealed class KinesisKinesaliteTests
{
    private const string Envelope = """{"operatorId":"OP0000000000","destination":{"provider":"aws","service":"kinesis"},"payloads":{"temp":21.5,"名前":"センサー"},"imsi":"001010000000001"}""";

    private static readonly KinesisAdapterFactory s_factory = new();

    [Fact]
    public async Task Delivers_the_exact_bytes_keyed_by_imsi()
    {
        await using var kinesalite = await Kinesalite.StartAsync();
        await kinesalite.CreateStreamAsync("devices", shards: 2);
        var logs = new KeepingLoggerProvider();
        await using var adapter = AwsTestKit.Create(s_factory, AwsTestKit.Destination("kinesis", kinesalite.Url + "/devices"), TestKeys.Credentials(), logs);

        var results = await AwsTestKit.SendAsync(adapter,
            AwsTestKit.Message(Envelope),
            AwsTestKit.Message("""{"n":2}""", imsi: "001010000000002"),
            AwsTestKit.Message("""{"anonymous":true}""", imsi: null));

        Assert.All(results, r => Assert.Equal(DeliveryResult.Ok, r));
        var records = await kinesalite.ReadAsync("devices");
        Assert.Equal(3, records.Count);
        var first = Assert.Single(records, r => r.PartitionKey == AwsTestKit.Imsi);
        Assert.Equal(Encoding.UTF8.GetBytes(Envelope), first.Data);
        Assert.Equal("""{"n":2}"""u8.ToArray(), Assert.Single(records, r => r.PartitionKey == "001010000000002").Data);
        Assert.Matches("^[0-9a-f]{32}$", Assert.Single(records, r => r.Data.SequenceEqual("""{"anonymous":true}"""u8.ToArray())).PartitionKey);
        Assert.DoesNotContain(logs.Lines, l => l.Contains(TestKeys.Secret, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Randomizes_the_partition_key_when_asked()
    {
        await using var kinesalite = await Kinesalite.StartAsync();
        await kinesalite.CreateStreamAsync("random");
        await using var adapter = AwsTestKit.Create(s_factory,
            AwsTestKit.Destination("kinesis", kinesalite.Url + "/random", new JsonObject { ["randomizePartitionKey"] = true, ["payloadsOnly"] = false }),
            TestKeys.Credentials());

        var results = await AwsTestKit.SendAsync(adapter, AwsTestKit.Message("a"), AwsTestKit.Message("b"));

        Assert.All(results, r => Assert.Equal(DeliveryResult.Ok, r));
        var keys = (await kinesalite.ReadAsync("random")).Select(r => r.PartitionKey).ToList();
        Assert.Equal(2, keys.Distinct().Count());
        Assert.All(keys, k => Assert.Matches("^[0-9a-f]{32}$", k));
    }

    [Fact]
    public async Task A_stream_per_subscriber_takes_each_message_to_its_own_stream()
    {
        await using var kinesalite = await Kinesalite.StartAsync();
        await kinesalite.CreateStreamAsync("dev-001010000000001");
        await kinesalite.CreateStreamAsync("dev-001010000000002");
        var url = kinesalite.Url + "/dev-#{imsi}";
        await using var adapter = AwsTestKit.Create(s_factory, AwsTestKit.Destination("kinesis", url), TestKeys.Credentials());

        var results = await AwsTestKit.SendAsync(adapter,
            AwsTestKit.Message("one", target: url.Replace("#{imsi}", AwsTestKit.Imsi, StringComparison.Ordinal)),
            AwsTestKit.Message("two", imsi: "001010000000002", target: url.Replace("#{imsi}", "001010000000002", StringComparison.Ordinal)),
            AwsTestKit.Message("three", target: url.Replace("#{imsi}", AwsTestKit.Imsi, StringComparison.Ordinal)),
            AwsTestKit.Message("lost", target: url.Replace("#{imsi}", "0/../x", StringComparison.Ordinal)));

        Assert.Equal([DeliveryResult.Ok, DeliveryResult.Ok, DeliveryResult.Ok], results[..3]);
        Assert.Equal(DeliveryOutcome.Permanent, results[3].Outcome);
        Assert.Equal(["one", "three"], (await kinesalite.ReadAsync("dev-001010000000001")).Select(r => Encoding.UTF8.GetString(r.Data)));
        Assert.Equal(["two"], (await kinesalite.ReadAsync("dev-001010000000002")).Select(r => Encoding.UTF8.GetString(r.Data)));
    }

    [Fact]
    public async Task A_stream_that_does_not_exist_is_permanent_and_named()
    {
        await using var kinesalite = await Kinesalite.StartAsync();
        await using var adapter = AwsTestKit.Create(s_factory, AwsTestKit.Destination("kinesis", kinesalite.Url + "/nowhere"), TestKeys.Credentials());

        var result = (await AwsTestKit.SendAsync(adapter, AwsTestKit.Message(Envelope)))[0];

        Assert.Equal(DeliveryOutcome.Permanent, result.Outcome);
        Assert.Equal(404, result.Status);
        Assert.Equal("kinesis: stream 'nowhere' does not exist (ResourceNotFoundException)", result.Reason);
    }

    [Fact]
    public async Task Batches_over_five_mebibytes_are_split_into_calls_kinesalite_takes()
    {
        await using var kinesalite = await Kinesalite.StartAsync();
        await kinesalite.CreateStreamAsync("big", shards: 4);
        // kinesalite (Node) takes seconds per 5 MiB call on a loaded machine: the request timeout is raised from its 10 s
        // default, since what is tested is the split, not the peer's speed.
        var destination = AwsTestKit.Destination("kinesis", kinesalite.Url + "/big", new JsonObject { ["timeoutSeconds"] = 120.0 });
        await using var adapter = AwsTestKit.Create(s_factory, destination, TestKeys.Credentials());
        var body = new string('x', adapter.MaxMessageBytes);
        var batch = Enumerable.Range(0, 6).Select(i => AwsTestKit.Message(i + body[1..], imsi: "00101000000000" + i)).ToArray();

        var results = await AwsTestKit.SendAsync(adapter, batch);

        Assert.All(results, r => Assert.Equal(DeliveryResult.Ok, r));
        var records = await kinesalite.ReadAsync("big");
        Assert.Equal(6, records.Count);
        Assert.All(records, r => Assert.Equal(adapter.MaxMessageBytes, r.Data.Length));
    }

    [Fact]
    public async Task An_oversize_record_is_refused_without_a_call()
    {
        await using var adapter = AwsTestKit.Create(s_factory, AwsTestKit.Destination("kinesis", "http://127.0.0.1:9/s"), TestKeys.Credentials());

        var result = (await AwsTestKit.SendAsync(adapter, AwsTestKit.Message(new string('x', adapter.MaxMessageBytes + 1))))[0];

        Assert.Equal(1024 * 1024 - 256, adapter.MaxMessageBytes);
        Assert.Equal(DeliveryResult.Permanent(413, "kinesis: the record is 1048321 bytes; kinesis takes at most 1048320 here"), result);
    }

    [Fact]
    public async Task Kinesalite_down_at_start_and_mid_stream_is_transient_and_delivery_resumes()
    {
        int port;
        await using (var probe = await Kinesalite.StartAsync())
        {
            port = probe.Port;
        }

        await using var adapter = AwsTestKit.Create(s_factory, AwsTestKit.Destination("kinesis", $"http://127.0.0.1:{port}/s"), TestKeys.Credentials());

        var down = (await AwsTestKit.SendAsync(adapter, AwsTestKit.Message("1")))[0];
        Assert.Equal(DeliveryResult.Transient(502, $"kinesis: could not reach 127.0.0.1:{port} (ConnectionRefused)"), down);

        var kinesalite = await Kinesalite.StartAsync(port);
        await kinesalite.CreateStreamAsync("s");
        Assert.Equal(DeliveryResult.Ok, (await AwsTestKit.SendAsync(adapter, AwsTestKit.Message("2")))[0]);
        await kinesalite.DisposeAsync();

        var gone = (await AwsTestKit.SendAsync(adapter, AwsTestKit.Message("3")))[0];
        Assert.Equal(DeliveryOutcome.Transient, gone.Outcome);
        Assert.Equal(502, gone.Status);

        await using var again = await Kinesalite.StartAsync(port);
        await again.CreateStreamAsync("s");
        Assert.Equal(DeliveryResult.Ok, (await AwsTestKit.SendAsync(adapter, AwsTestKit.Message("4")))[0]);
        Assert.Equal(["4"], (await again.ReadAsync("s")).Select(r => Encoding.UTF8.GetString(r.Data)));
    }
}
