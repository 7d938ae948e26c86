using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Gateway.Adapters.Tests.Aws;
using Gateway.Adapters.Tests.Kinesis;
using Gateway.Funnel;
using Gateway.Pipeline;
using Gateway.Registry;
using Gateway.Tests.Admin;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Gateway.Tests.Funnel;

/// <summary>
/// Funnel's AWS destinations through the gateway: a UDP device into kinesalite (the stored record is the exact
/// envelope, keyed by IMSI), AWS IoT's <c>sendPayloadsAsBinary</c>, and SORACOM-exported groups with their
/// <c>aws-credentials</c> sets loading unchanged. The secret key is in no log line, reason or API answer.
/// </summary>
public sealed class FunnelAwsTests
{
    private const string Device = "127.0.0.157";
    private const string Imsi = "440101234567157";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_udp_device_reaches_kinesalite_as_the_exact_envelope()
    {
        await using var kinesalite = await Kinesalite.StartAsync();
        await kinesalite.CreateStreamAsync("funnel-in");
        var logs = new ListLoggerProvider();
        await using var gateway = new GatewayProcess { ConfigureServices = s => s.AddSingleton<ILoggerProvider>(logs) };
        var seed = $$"""
            {
              "credentials": [ { "credentialsId": "aws-1", "type": "aws-credentials",
                "credentials": { "accessKeyId": "{{TestKeys.AccessKeyId}}", "secretAccessKey": "{{TestKeys.Secret}}" } } ],
              "groups": [ { "groupId": "g-aws", "configuration": { "SoracomFunnel": { "enabled": true,
                "destination": { "provider": "aws", "service": "kinesis", "resourceUrl": "{{kinesalite.Url}}/funnel-in", "randomizePartitionKey": false },
                "credentialsId": "aws-1", "contentType": "json" } } } ],
              "subscribers": [ { "imsi": "{{Imsi}}", "imei": "353000000000157", "groupId": "g-aws", "ipAddress": "{{Device}}" } ]
            }
            """;
        var path = Path.Combine(gateway.DataDir, "seed.json");
        await File.WriteAllTextAsync(path, seed, Ct);
        await gateway.StartAsync("--registry", path, "--Gateway:Funnel:DeliveryTimeoutSeconds", "5");

        var reply = await UdpAsync(gateway.UnifiedPort, """{"temp":21.5,"place":"倉庫"}""");
        Assert.Equal("200", reply);

        var record = Assert.Single(await kinesalite.ReadAsync("funnel-in"));
        Assert.Equal(Imsi, record.PartitionKey);
        var stored = JsonNode.Parse(record.Data)!;
        var expected = "{\"credentialsId\":\"aws-1\",\"operatorId\":\"OP0000000000\",\"destination\":{\"provider\":\"aws\",\"service\":\"kinesis\","
            + $"\"resourceUrl\":\"{kinesalite.Url}/funnel-in\",\"randomizePartitionKey\":false}},\"sourceProtocol\":\"udp\","
            + "\"payloads\":{\"temp\":21.5,\"place\":\"倉庫\"},"
            + $"\"timestamp\":{((long)stored["timestamp"]!).ToString(CultureInfo.InvariantCulture)},\"imsi\":\"{Imsi}\",\"imei\":\"353000000000157\","
            + $"\"messageId\":\"{(string)stored["messageId"]!}\"}}";
        Assert.Equal(expected, Encoding.UTF8.GetString(record.Data));

        // The secret key is in no log line and not in the admin API's answer.
        using var admin = await gateway.LoginAsync();
        var credentials = await admin.GetStringAsync(gateway.Url("/v1/credentials"), Ct);
        Assert.DoesNotContain(TestKeys.Secret, credentials, StringComparison.Ordinal);
        Assert.DoesNotContain(logs.Lines, l => l.Contains(TestKeys.Secret, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_missing_stream_is_refused_to_the_device_with_the_reason()
    {
        await using var kinesalite = await Kinesalite.StartAsync();
        await using var gateway = new GatewayProcess();
        var seed = $$"""
            {
              "credentials": [ { "credentialsId": "aws-1", "type": "aws-credentials", "credentials": { "accessKeyId": "{{TestKeys.AccessKeyId}}", "secretAccessKey": "{{TestKeys.Secret}}" } } ],
              "groups": [ { "groupId": "g-aws", "configuration": { "SoracomFunnel": { "enabled": true,
                "destination": { "provider": "aws", "service": "kinesis", "resourceUrl": "{{kinesalite.Url}}/absent" }, "credentialsId": "aws-1", "contentType": "text" } } } ],
              "subscribers": [ { "imsi": "{{Imsi}}", "groupId": "g-aws", "ipAddress": "{{Device}}" } ]
            }
            """;
        var path = Path.Combine(gateway.DataDir, "seed.json");
        await File.WriteAllTextAsync(path, seed, Ct);
        await gateway.StartAsync("--registry", path);

        var reply = await UdpAsync(gateway.UnifiedPort, "hello");

        Assert.Equal("404 kinesis: stream 'absent' does not exist (ResourceNotFoundException)", reply);
        using var admin = await gateway.LoginAsync();
        var logs = await admin.GetStringAsync(gateway.Url($"/v1/logs?resource_type=Subscriber&resource_id={Imsi}&service=Funnel"), Ct);
        Assert.Contains("does not exist (ResourceNotFoundException)", logs, StringComparison.Ordinal);
        Assert.DoesNotContain(TestKeys.Secret, logs, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Kinesalite_down_at_start_then_up_then_killed_mid_stream_loses_nothing_acknowledged()
    {
        var port = GatewayProcess.FreePort();
        await using var gateway = new GatewayProcess();
        var seed = $$"""
            {
              "credentials": [ { "credentialsId": "aws-1", "type": "aws-credentials", "credentials": { "accessKeyId": "{{TestKeys.AccessKeyId}}", "secretAccessKey": "{{TestKeys.Secret}}" } } ],
              "groups": [ { "groupId": "g-aws", "configuration": { "SoracomFunnel": { "enabled": true,
                "destination": { "provider": "aws", "service": "kinesis", "resourceUrl": "http://127.0.0.1:{{port}}/out", "timeoutSeconds": 1 },
                "credentialsId": "aws-1", "contentType": "text" } } } ],
              "subscribers": [ { "imsi": "{{Imsi}}", "groupId": "g-aws", "ipAddress": "{{Device}}" } ]
            }
            """;
        var path = Path.Combine(gateway.DataDir, "seed.json");
        await File.WriteAllTextAsync(path, seed, Ct);
        await gateway.StartAsync("--registry", path, "--Gateway:Funnel:DeliveryTimeoutSeconds", "2");
        Task<string> SendAsync(string text) => UdpAsync(gateway.UnifiedPort, text);

        Assert.Matches("^502 kinesis: could not reach 127.0.0.1:[0-9]+ \\(ConnectionRefused\\)$", await SendAsync("early"));

        var acknowledged = new List<string>();
        await using (var kinesalite = await Kinesalite.StartAsync(port))
        {
            await kinesalite.CreateStreamAsync("out");
            for (var i = 0; i < 5; i++)
            {
                Assert.Equal("200", await SendAsync($"up-{i}"));
                acknowledged.Add($"up-{i}");
            }

            var stored = (await kinesalite.ReadAsync("out")).Select(r => (string)JsonNode.Parse(r.Data)!["payloads"]!).ToList();
            Assert.All(acknowledged, a => Assert.Contains(a, stored));
        }

        Assert.Matches("^5[0-9][0-9] kinesis: ", await SendAsync("dead"));
        using var admin = await gateway.LoginAsync();
        var logs = JsonNode.Parse(await admin.GetStringAsync(gateway.Url($"/v1/logs?resource_type=Subscriber&resource_id={Imsi}&service=Funnel"), Ct))!.AsArray();
        Assert.Equal(2, logs.Count);
        Assert.All(logs, e => Assert.StartsWith("kinesis: could not reach", (string)e!["body"]!["message"]!, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Aws_iot_sends_the_raw_bytes_or_the_envelope(bool binary)
    {
        await using var peer = await FakeAws.StartAsync("iotdata");
        var funnel = $$"""
            { "enabled": true, "destination": { "provider": "aws", "service": "aws-iot", "resourceUrl": "{{peer.Url}}/things/#{imsi}/up",
              "payloadsOnly": false, "sendPayloadsAsBinary": {{(binary ? "true" : "false")}} }, "credentialsId": "aws-test", "contentType": "binary" }
            """;
        var seed = FunnelRegistry.Seed(funnel).Replace(
            """{ "credentialsId": "my-aws",""",
            $$"""{ "credentialsId": "aws-test", "type": "aws-credentials", "credentials": { "accessKeyId": "{{TestKeys.AccessKeyId}}", "secretAccessKey": "{{TestKeys.Secret}}" } }, { "credentialsId": "my-aws",""",
            StringComparison.Ordinal);
        await using var harness = FunnelHarness.Create(seed);
        byte[] payload = [0x01, 0x00, 0xfe, 0x7b, 0x22];
        var message = new DeviceMessage { Device = harness.Device, Protocol = SourceProtocol.Udp, EntryPoint = "test", Payload = payload, ReceivedAtMs = 1653891795421 };

        var result = Assert.Single((await harness.Pipeline.ProcessAsync(message, Ct)).Results);

        Assert.Equal(200, result.Status);
        Assert.Null(Assert.Single(peer.Checks));
        var published = Assert.Single(peer.Accepted);
        Assert.Equal($"things/{FunnelRegistry.Imsi}/up", published.Name);
        if (binary)
        {
            Assert.Equal(payload, published.Data);
            Assert.Equal("application/octet-stream", published.ContentType);
        }
        else
        {
            Assert.Equal(Convert.ToBase64String(payload), (string)JsonNode.Parse(published.Data)!["payloads"]!);
            Assert.Equal("application/json", published.ContentType);
        }
    }

    [Fact]
    public void Soracom_exported_groups_with_aws_credentials_load_unchanged_and_are_served()
    {
        var seed = """
            {
              "credentials": [
                { "credentialsId": "AWS-credentials", "type": "aws-credentials", "description": "exported",
                  "credentials": { "accessKeyId": "AKIAIOSFODNN7EXAMPLE", "secretAccessKey": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" },
                  "createDateTime": 1653891795, "updateDateTime": 1653891795 },
                { "credentialsId": "AWS-IAM-role-credentials", "type": "aws-iam-role-credentials",
                  "credentials": { "roleArn": "arn:aws:iam::123456789012:role/soracom-funnel", "externalId": "ext-0123" } }
              ],
              "groups": [
                { "groupId": "g-kinesis", "configuration": { "SoracomFunnel": { "enabled": true, "credentialsId": "AWS-credentials", "contentType": "json", "addSimId": false,
                  "destination": { "provider": "aws", "service": "kinesis", "resourceUrl": "https://kinesis.ap-northeast-1.amazonaws.com/my-stream", "randomizePartitionKey": true, "payloadsOnly": false } } } },
                { "groupId": "g-firehose", "configuration": { "SoracomFunnel": { "enabled": true, "credentialsId": "AWS-credentials", "contentType": "",
                  "destination": { "provider": "aws", "service": "firehose", "resourceUrl": "https://firehose.us-west-2.amazonaws.com/my-delivery-stream", "payloadsOnly": true } } } },
                { "groupId": "g-iot", "configuration": { "SoracomFunnel": { "enabled": true, "credentialsId": "AWS-IAM-role-credentials", "contentType": "unspecified",
                  "destination": { "provider": "aws", "service": "aws-iot", "resourceUrl": "xxxxx-ats.iot.ap-northeast-1.amazonaws.com/myTopic/#{imsi}", "payloadsOnly": false, "sendPayloadsAsBinary": false } } } }
              ],
              "subscribers": []
            }
            """;
        var errors = new List<string>();
        var document = RegistryParser.Parse(JsonNode.Parse(seed), errors);

        Assert.Empty(errors);
        var snapshot = new RegistrySnapshot(document!, 1);
        foreach (var group in document!.Groups)
        {
            Assert.True(FunnelGroupConfig.For(group, snapshot, FunnelAdapters.Known).Usable, group.GroupId);
        }
    }

    [Fact]
    public void Aws_credential_fields_are_checked_without_echoing_them()
    {
        var seed = """
            { "credentials": [
                { "credentialsId": "a", "type": "aws-credentials", "credentials": { "accessKeyId": "AKIAIOSFODNN7EXAMPLE", "secretAccessKey": "", "region": 5 } },
                { "credentialsId": "r", "type": "aws-iam-role-credentials", "credentials": { "externalId": { "v": "hidden-ext" } } } ],
              "groups": [], "subscribers": [] }
            """;
        var errors = new List<string>();
        RegistryParser.Parse(JsonNode.Parse(seed), errors);

        Assert.Contains("credentials[a].credentials.secretAccessKey: required for type aws-credentials", errors);
        Assert.Contains("credentials[a].credentials.region: must be a string for type aws-credentials", errors);
        Assert.Contains("credentials[r].credentials.roleArn: required for type aws-iam-role-credentials", errors);
        Assert.Contains("credentials[r].credentials.externalId: must be a string for type aws-iam-role-credentials", errors);
        Assert.DoesNotContain(errors, e => e.Contains("AKIA", StringComparison.Ordinal) || e.Contains("hidden-ext", StringComparison.Ordinal));
    }

    /// <summary>One datagram from the device's address to the unified port, and its reply (the gateway answers every one).</summary>
    private static async Task<string> UdpAsync(int port, string text)
    {
        using var socket = new System.Net.Sockets.UdpClient(new System.Net.IPEndPoint(System.Net.IPAddress.Parse(Device), 0));
        await socket.SendAsync(Encoding.UTF8.GetBytes(text), new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, port), Ct);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        return Encoding.UTF8.GetString((await socket.ReceiveAsync(timeout.Token)).Buffer);
    }

    private sealed class ListLoggerProvider : ILoggerProvider
    {
        private readonly ListLogger _logger = new();

        public IReadOnlyList<string> Lines => _logger.Lines;

        public ILogger CreateLogger(string categoryName) => _logger;

        public void Dispose()
        {
        }
    }
}
