using Confluent.Kafka;

namespace Gateway.Adapters.Kafka;

/// <summary>Turns a destination's settings and credential set into librdkafka's producer configuration.</summary>
internal static class KafkaProducerConfig
{
    /// <summary>The credential type for SASL and TLS: <c>username</c>, <c>password</c>, optional <c>saslMechanism</c> and <c>caCert</c>.</summary>
    public const string CredentialType = "kafka-credentials";

    /// <summary>Used when the credential set names no mechanism: the strongest Kafka offers without GSSAPI or OAuth.</summary>
    public const string DefaultMechanism = "SCRAM-SHA-512";

    /// <summary>
    /// The producer's <c>message.max.bytes</c>: 1 MiB, just under a broker's default record-batch limit (1048588), so a
    /// body of <see cref="MaxBodyBytes"/> still fits with its key, headers and record overhead.
    /// </summary>
    public const int MessageMaxBytes = 1_048_576;

    /// <summary>The largest body the adapter sends.</summary>
    public const int MaxBodyBytes = 1_000_000;

    /// <summary>
    /// The configuration, or null with <c>error</c> saying what is wrong with the credential set;
    /// <c>messageTimeoutMs</c> (librdkafka's <c>message.timeout.ms</c>) comes from <see cref="KafkaMessageTimeout.For"/>.
    /// </summary>
    public static ProducerConfig? Build(KafkaSettings settings, AdapterCredentials? credentials, int messageTimeoutMs, out string? error)
    {
        var config = new ProducerConfig
        {
            BootstrapServers = settings.BootstrapServers,
            ClientId = "iot-gateway-funnel",
            // Idempotence implies acks=all and bounded in-flight requests; it keeps order and drops the broker-side
            // duplicates of librdkafka's own retries.
            EnableIdempotence = true,
            Acks = Acks.All,
            CompressionType = settings.Compression,
            LingerMs = settings.LingerMs,
            MessageTimeoutMs = messageTimeoutMs,
            MessageMaxBytes = MessageMaxBytes,
            // The Java client's partitioner, so an IMSI lands on the partition a Java producer would choose for it.
            Partitioner = Partitioner.Murmur2Random,
            SecurityProtocol = settings.Tls ? SecurityProtocol.Ssl : SecurityProtocol.Plaintext,
        };
        error = credentials is null ? null : ApplyCredentials(config, settings, credentials);
        if (error is null && settings.Tls && config.SslCaPem is null)
            config.SslCaLocation = "probe"; // the bundled librdkafka links OpenSSL statically: find the system's CA bundle
        return error is null ? config : null;
    }

    private static string? ApplyCredentials(ProducerConfig config, KafkaSettings settings, AdapterCredentials credentials)
    {
        var id = $"credential set {credentials.CredentialsId}";
        if (credentials.Type != CredentialType)
            return $"{id}: type {credentials.Type} is not {CredentialType}";
        var username = credentials.Field("username");
        var password = credentials.Field("password");
        if (string.IsNullOrEmpty(username) || string.IsNullOrEmpty(password))
            return $"{id}: username and password are required";
        SaslMechanism? mechanism = (credentials.Field("saslMechanism") ?? DefaultMechanism) switch
        {
            "PLAIN" => SaslMechanism.Plain,
            "SCRAM-SHA-256" => SaslMechanism.ScramSha256,
            "SCRAM-SHA-512" => SaslMechanism.ScramSha512,
            _ => null,
        };
        if (mechanism is null)
            return $"{id}: saslMechanism must be PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512";
        var ca = credentials.Field("caCert");
        if (ca is not null && !settings.Tls)
            return $"{id}: caCert is given but the destination does not use TLS (kafkas:// or \"tls\": true)";
        config.SecurityProtocol = settings.Tls ? SecurityProtocol.SaslSsl : SecurityProtocol.SaslPlaintext;
        config.SaslMechanism = mechanism;
        config.SaslUsername = username;
        config.SaslPassword = password;
        config.SslCaPem = ca;
        return null;
    }
}
