using System.Text.Json.Nodes;
using Gateway.Adapters.Kafka;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Adapters.Tests.Kafka;

public sealed class KafkaValidationTests
{
    private const string Path = "groups.g1.SoracomFunnel.destination";

    [Theory]
    [InlineData("kafka://host:9092/topic")]
    [InlineData("kafka://host:9092,host2:9092/topic")]
    [InlineData("kafkas://10.0.0.1:9093,[::1]:9093/devices.#{imsi}")]
    [InlineData("kafka://broker-1.example.com:9092/a_b-c.D")]
    public void Good_resource_urls_pass(string url) => Assert.Empty(KafkaTestKit.Validate(url));

    [Theory]
    [InlineData("http://host:9092/topic", "must start with kafka://")]
    [InlineData("kafka://host:9092", "names no topic")]
    [InlineData("kafka:///topic", "names no bootstrap server")]
    [InlineData("kafka://host/topic", "'host' is not host:port")]
    [InlineData("kafka://host:0/topic", "'host:0' is not host:port")]
    [InlineData("kafka://host:9092,/topic", "'' is not host:port")]
    [InlineData("kafka://host:9092/", "is empty")]
    [InlineData("kafka://host:9092/a/b", "may hold only")]
    [InlineData("kafka://host:9092/topic?x=1", "may hold only")]
    [InlineData("kafka://host:9092/..", "cannot be")]
    [InlineData("kafka://#{imsi}:9092/topic", "in the topic only")]
    public void Bad_resource_urls_name_the_path(string url, string expected)
    {
        var error = Assert.Single(KafkaTestKit.Validate(url));
        Assert.StartsWith(Path + ".resourceUrl: ", error, StringComparison.Ordinal);
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_topic_over_249_characters_is_refused_counting_a_15_digit_imsi()
    {
        Assert.Empty(KafkaTestKit.Validate("kafka://h:1/" + new string('t', 249 - 15) + "#{imsi}"));
        Assert.Contains("longer than 249", Assert.Single(KafkaTestKit.Validate("kafka://h:1/" + new string('t', 250 - 15) + "#{imsi}")), StringComparison.Ordinal);
    }

    [Fact]
    public void User_information_in_the_url_is_refused_without_echoing_it()
    {
        var error = Assert.Single(KafkaTestKit.Validate("kafka://alice:s3cret@host:9092/topic"));
        Assert.DoesNotContain("s3cret", error, StringComparison.Ordinal);
        Assert.Contains("kafka-credentials", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(",\"compression\":\"brotli\"", ".compression: must be one of none, gzip, snappy, lz4, zstd")]
    [InlineData(",\"compression\":1", ".compression: must be one of")]
    [InlineData(",\"lingerMs\":-1", ".lingerMs: must be an integer from 0 to 1000")]
    [InlineData(",\"lingerMs\":5000", ".lingerMs: must be an integer from 0 to 1000")]
    [InlineData(",\"lingerMs\":\"5\"", ".lingerMs: must be an integer")]
    [InlineData(",\"lingerMs\":2.5", ".lingerMs: must be an integer")]
    [InlineData(",\"deliveryTimeoutMs\":10", ".deliveryTimeoutMs: must be an integer from 1000 to 300000")]
    [InlineData(",\"randomizePartitionKey\":\"yes\"", ".randomizePartitionKey: must be true or false")]
    [InlineData(",\"tls\":1", ".tls: must be true or false")]
    public void Bad_keys_name_their_path(string extra, string expected)
    {
        var error = Assert.Single(KafkaTestKit.Validate("kafka://host:9092/topic", extra));
        Assert.Equal(Path + expected, error[..Math.Min(error.Length, (Path + expected).Length)]);
    }

    [Theory]
    [InlineData("none")]
    [InlineData("gzip")]
    [InlineData("snappy")]
    [InlineData("lz4")]
    [InlineData("zstd")]
    public void Every_compression_is_accepted(string compression) =>
        Assert.Empty(KafkaTestKit.Validate("kafka://host:9092/topic", $$""","compression":"{{compression}}","lingerMs":0,"tls":false"""));

    [Fact]
    public void Several_problems_give_several_errors()
    {
        var errors = KafkaTestKit.Validate("kafka://host/topic", ""","compression":"x","lingerMs":99999""");
        Assert.Equal(3, errors.Count);
    }

    [Fact]
    public void Credentials_become_sasl_and_tls_settings()
    {
        var settings = Settings("kafkas://h:9093/t");
        var config = KafkaProducerConfig.Build(settings, Credentials("""{"username":"u","password":"p","saslMechanism":"SCRAM-SHA-256","caCert":"PEM"}"""), KafkaSettings.DefaultDeliveryTimeoutMs, out var error)!;
        Assert.Null(error);
        Assert.Equal(Confluent.Kafka.SecurityProtocol.SaslSsl, config.SecurityProtocol);
        Assert.Equal(Confluent.Kafka.SaslMechanism.ScramSha256, config.SaslMechanism);
        Assert.Equal("PEM", config.SslCaPem);
        Assert.True(config.EnableIdempotence);
        Assert.Equal(Confluent.Kafka.Acks.All, config.Acks);

        var plain = KafkaProducerConfig.Build(Settings("kafka://h:9092/t"), Credentials("""{"username":"u","password":"p"}"""), KafkaSettings.DefaultDeliveryTimeoutMs, out _)!;
        Assert.Equal(Confluent.Kafka.SecurityProtocol.SaslPlaintext, plain.SecurityProtocol);
        Assert.Equal(Confluent.Kafka.SaslMechanism.ScramSha512, plain.SaslMechanism);

        var tlsKey = KafkaProducerConfig.Build(Settings("kafka://h:9092/t", ""","tls":true"""), null, KafkaSettings.DefaultDeliveryTimeoutMs, out _)!;
        Assert.Equal(Confluent.Kafka.SecurityProtocol.Ssl, tlsKey.SecurityProtocol);
        Assert.Equal("probe", tlsKey.SslCaLocation);
    }

    [Theory]
    [InlineData("""{"username":"u","password":"hunter2","saslMechanism":"GSSAPI"}""", "saslMechanism must be")]
    [InlineData("""{"username":"u"}""", "username and password are required")]
    [InlineData("""{"username":"u","password":"hunter2","caCert":"PEM"}""", "caCert is given but the destination does not use TLS")]
    public async Task Unusable_credentials_refuse_every_message_without_echoing_the_secret(string values, string expected)
    {
        await using var adapter = KafkaTestKit.Adapter("kafka://127.0.0.1:9/t", credentials: Credentials(values));
        var results = new DeliveryResult[1];
        await adapter.SendAsync([KafkaTestKit.Message("{}")], results, TestContext.Current.CancellationToken);
        Assert.Equal(DeliveryOutcome.Permanent, results[0].Outcome);
        Assert.Equal(401, results[0].Status);
        Assert.Contains(expected, results[0].Reason, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", results[0].Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Registration_adds_one_factory_for_kafka_kafka()
    {
        var services = new ServiceCollection().AddKafkaFunnelDestination().AddKafkaFunnelDestination();
        using var provider = services.BuildServiceProvider();
        var factory = Assert.Single(provider.GetServices<IFunnelAdapterFactory>());
        Assert.Equal(("kafka", "kafka", "kafka-credentials"), (factory.Provider, factory.Service, Assert.Single(factory.CredentialTypes)));
    }

    private static KafkaSettings Settings(string url, string extra = "") =>
        KafkaSettings.Parse(KafkaTestKit.Destination(url, extra), "d", [])!;

    private static AdapterCredentials Credentials(string json) => new()
    {
        CredentialsId = "kafka-1",
        Type = KafkaProducerConfig.CredentialType,
        Values = JsonNode.Parse(json)!.AsObject(),
    };
}
