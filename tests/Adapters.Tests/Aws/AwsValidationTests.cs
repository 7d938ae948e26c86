using System.Text.Json.Nodes;
using Gateway.Adapters.AwsIot;
using Gateway.Adapters.Firehose;
using Gateway.Adapters.Kinesis;

namespace Gateway.Adapters.Tests.Aws;

/// <summary>What the three AWS factories accept at load, and the errors, each with its path, for what they refuse.</summary>
public sealed class AwsValidationTests
{
    private static readonly Dictionary<string, IFunnelAdapterFactory> s_factories = new()
    {
        ["kinesis"] = new KinesisAdapterFactory(), ["firehose"] = new FirehoseAdapterFactory(), ["aws-iot"] = new AwsIotAdapterFactory(),
    };

    [Theory]
    [InlineData("kinesis", "https://kinesis.ap-northeast-1.amazonaws.com/my-stream")]
    [InlineData("kinesis", "https://kinesis-fips.us-gov-west-1.amazonaws.com/s_1.x")]
    [InlineData("kinesis", "https://kinesis.cn-north-1.amazonaws.com.cn/s-#{imsi}")]
    [InlineData("kinesis", "http://127.0.0.1:4567/my-stream")]
    [InlineData("kinesis", "http://localstack:4566/#{imsi}")]
    [InlineData("firehose", "https://firehose.eu-west-1.amazonaws.com/my-delivery")]
    [InlineData("aws-iot", "xxxxx-ats.iot.ap-northeast-1.amazonaws.com/myTopic/#{imsi}")]
    [InlineData("aws-iot", "https://a1b2c3-ats.iot.us-east-1.amazonaws.com/$aws/things/#{imsi}/shadow/update")]
    [InlineData("aws-iot", "http://127.0.0.1:8443/t")]
    public void SORACOM_and_local_forms_load(string service, string url) => Assert.Empty(Validate(service, url));

    [Theory]
    [InlineData("kinesis", "ftp://kinesis.us-east-1.amazonaws.com/s", "destination.resourceUrl: must be https:// (http:// for a local peer), e.g. https://kinesis.<region>.amazonaws.com/<stream name>")]
    [InlineData("kinesis", "https://kinesis.us-east-1.amazonaws.com/", "destination.resourceUrl: names nothing after the host; expected https://kinesis.<region>.amazonaws.com/<stream name>")]
    [InlineData("kinesis", "https://firehose.us-east-1.amazonaws.com/s", "destination.resourceUrl: 'firehose.us-east-1.amazonaws.com' is not an endpoint of aws/kinesis; expected https://kinesis.<region>.amazonaws.com/<stream name>")]
    [InlineData("kinesis", "http://kinesis.us-east-1.amazonaws.com/s", "destination.resourceUrl: AWS endpoints take https only")]
    [InlineData("kinesis", "https://kinesis.us-east-1.amazonaws.com/a/b", "destination.resourceUrl: the stream name may hold only letters, digits, '_', '.', '-' and #{imsi}")]
    [InlineData("kinesis", "https://AKIA:secret@kinesis.us-east-1.amazonaws.com/s", "destination.resourceUrl: user information does not belong in the URL (not echoed here); use an aws-credentials set")]
    [InlineData("kinesis", "https://#{imsi}.example/s", "destination.resourceUrl: the host is fixed; #{imsi} is allowed only after it")]
    [InlineData("firehose", "https://firehose.us-east-1.amazonaws.com/0123456789012345678901234567890123456789012345678901234567890123456789", "destination.resourceUrl: the delivery stream name must be 1-64 characters")]
    [InlineData("aws-iot", "xxxxx-ats.iot.ap-northeast-1.amazonaws.com/a/+/b", "destination.resourceUrl: the topic may not hold the wildcards + and # (a publish names one topic); #{imsi} is the only placeholder")]
    [InlineData("aws-iot", "https://iot.ap-northeast-1.amazonaws.com/t", "destination.resourceUrl: 'iot.ap-northeast-1.amazonaws.com' is not an endpoint of aws/aws-iot; expected https://<id>-ats.iot.<region>.amazonaws.com/<topic>")]
    public void Bad_resource_urls_are_named_with_their_path(string service, string url, string expected)
    {
        var errors = Validate(service, url);

        Assert.Equal(expected, Assert.Single(errors));
        Assert.DoesNotContain(errors, e => e.Contains("secret", StringComparison.Ordinal));
    }

    [Fact]
    public void Keys_are_checked()
    {
        var url = "https://kinesis.us-east-1.amazonaws.com/s";
        Assert.Equal(["destination.sendPayloadsAsBinary: only aws/aws-iot sends the device's raw bytes; aws/kinesis takes the envelope or its payloads"],
            Validate("kinesis", url, new JsonObject { ["sendPayloadsAsBinary"] = true }));
        Assert.Empty(Validate("kinesis", url, new JsonObject { ["sendPayloadsAsBinary"] = false, ["randomizePartitionKey"] = true, ["payloadsOnly"] = true }));
        Assert.Equal(["destination.randomizePartitionKey: must be true or false"], Validate("kinesis", url, new JsonObject { ["randomizePartitionKey"] = "yes" }));
        Assert.Equal(["destination.timeoutSeconds: a number of seconds above 0, at most 300 (default 10)"], Validate("kinesis", url, new JsonObject { ["timeoutSeconds"] = 0 }));
        Assert.Equal(["destination.appendNewline: unknown key for aws/kinesis; known: provider, service, resourceUrl, payloadsOnly, sendPayloadsAsBinary, timeoutSeconds, randomizePartitionKey"],
            Validate("kinesis", url, new JsonObject { ["appendNewline"] = true }));
        Assert.Empty(Validate("firehose", "https://firehose.us-east-1.amazonaws.com/d", new JsonObject { ["appendNewline"] = true }));
        Assert.Equal(["destination.sendPayloadsAsBinary: must be true or false"],
            Validate("aws-iot", "x-ats.iot.us-east-1.amazonaws.com/t", new JsonObject { ["sendPayloadsAsBinary"] = 1 }));
    }

    [Fact]
    public void The_region_comes_from_the_host_else_the_credential_set_else_us_east_1()
    {
        var errors = new List<string>();
        Assert.Equal("ap-northeast-1", Gateway.Adapters.Aws.AwsEndpoint.Parse("xxxxx-ats.iot.ap-northeast-1.amazonaws.com/myTopic/#{imsi}", Gateway.Adapters.Aws.AwsService.Iot, "p", errors)!.Region);
        var local = Gateway.Adapters.Aws.AwsEndpoint.Parse("http://127.0.0.1:4567/s", Gateway.Adapters.Aws.AwsService.Kinesis, "p", errors)!;
        Assert.Empty(errors);
        Assert.True(local.IsLocal);
        Assert.Equal(new Uri("http://127.0.0.1:4567/"), local.BaseUri);
        Assert.Equal("127.0.0.1:4567", local.Label);
        Assert.Equal("us-east-1", Gateway.Adapters.Aws.AwsEndpoint.DefaultRegion);
        Assert.Equal("eu-west-1", Gateway.Adapters.Aws.AwsCredentialTypes.Region(TestKeys.Credentials(region: "eu-west-1")));
    }

    [Fact]
    public async Task A_credential_set_that_cannot_work_refuses_every_message_with_the_reason()
    {
        var role = new AdapterCredentials
        {
            CredentialsId = "role", Type = "aws-iam-role-credentials", Values = new JsonObject { ["roleArn"] = "not-an-arn", ["externalId"] = "ext-secret-1" },
        };
        await using var adapter = AwsTestKit.Create(s_factories["kinesis"], AwsTestKit.Destination("kinesis", "http://127.0.0.1:9/s"), role);

        var result = (await AwsTestKit.SendAsync(adapter, AwsTestKit.Message("{}")))[0];

        Assert.Equal(DeliveryResult.Permanent(401, "kinesis: credential set 'role': roleArn is not an IAM role ARN (arn:aws:iam::<account>:role/<name>)"), result);
    }

    [Fact]
    public void Registering_twice_adds_each_factory_once()
    {
        var services = new Microsoft.Extensions.DependencyInjection.ServiceCollection();
        Gateway.Adapters.Aws.AwsServiceCollectionExtensions.AddAwsFunnelDestinations(services);
        Gateway.Adapters.Aws.AwsServiceCollectionExtensions.AddAwsFunnelDestinations(services);

        Assert.Equal(3, services.Count);
    }

    private static List<string> Validate(string service, string url, JsonObject? extra = null)
    {
        var errors = new List<string>();
        s_factories[service].Validate(AwsTestKit.Destination(service, url, extra), "destination", errors);
        return errors;
    }
}
