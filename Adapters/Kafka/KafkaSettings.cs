using System.Text.Json;
using System.Text.Json.Nodes;
using Confluent.Kafka;

namespace Gateway.Adapters.Kafka;

/// <summary>A Kafka destination's settings, checked once when the configuration is loaded.</summary>
internal sealed class KafkaSettings
{
    /// <summary>The default and the bound of <c>lingerMs</c>: a device waits for its reply while a batch lingers.</summary>
    public const int DefaultLingerMs = 5, MaxLingerMs = 1000;

    /// <summary>
    /// The bounds of <c>deliveryTimeoutMs</c>, librdkafka's own delivery deadline (<c>message.timeout.ms</c>), and its
    /// default when the gateway's deadline is not known; under the gateway it is tied to that deadline
    /// (<see cref="KafkaMessageTimeout"/>).
    /// </summary>
    public const int DefaultDeliveryTimeoutMs = 30_000, MinDeliveryTimeoutMs = 1_000, MaxDeliveryTimeoutMs = 300_000;

    public required string BootstrapServers { get; init; }

    /// <summary>The resource URL up to and including the <c>/</c> before the topic: what every message's target starts with.</summary>
    public required string TargetPrefix { get; init; }

    /// <summary>The topic as configured (may hold <c>#{imsi}</c>).</summary>
    public required string Topic { get; init; }

    public bool Tls { get; init; }

    public bool RandomizePartitionKey { get; init; }

    public CompressionType Compression { get; init; } = CompressionType.None;

    public int LingerMs { get; init; } = DefaultLingerMs;

    /// <summary><c>deliveryTimeoutMs</c> as configured; null when the destination leaves it out.</summary>
    public int? DeliveryTimeoutMs { get; init; }

    /// <summary>Reads and checks the destination, adding one error per problem under <paramref name="path"/>; null when any.</summary>
    public static KafkaSettings? Parse(FunnelDestination destination, string path, List<string> errors)
    {
        var before = errors.Count;
        var url = KafkaResourceUrl.Parse(destination.ResourceUrl, $"{path}.resourceUrl", errors);
        var s = destination.Settings;
        var tls = ReadBool(s, "tls", path, errors);
        var random = ReadBool(s, "randomizePartitionKey", path, errors);
        var compression = ReadCompression(s, path, errors);
        var linger = ReadInt(s, "lingerMs", 0, MaxLingerMs, DefaultLingerMs, path, errors);
        int? timeout = s["deliveryTimeoutMs"] is null
            ? null
            : ReadInt(s, "deliveryTimeoutMs", MinDeliveryTimeoutMs, MaxDeliveryTimeoutMs, DefaultDeliveryTimeoutMs, path, errors);
        if (url is null || errors.Count != before)
            return null;
        return new KafkaSettings
        {
            BootstrapServers = url.BootstrapServers,
            TargetPrefix = url.TargetPrefix,
            Topic = url.Topic,
            Tls = url.Tls || tls,
            RandomizePartitionKey = random,
            Compression = compression,
            LingerMs = linger,
            DeliveryTimeoutMs = timeout,
        };
    }

    private static bool ReadBool(JsonObject settings, string key, string path, List<string> errors)
    {
        var node = settings[key];
        if (node is null)
            return false;
        if (node.GetValueKind() is JsonValueKind.True or JsonValueKind.False)
            return node.GetValue<bool>();
        errors.Add($"{path}.{key}: must be true or false");
        return false;
    }

    private static int ReadInt(JsonObject settings, string key, int min, int max, int fallback, string path, List<string> errors)
    {
        var node = settings[key];
        if (node is null)
            return fallback;
        if (node is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<int>(out var n) && n >= min && n <= max)
            return n;
        errors.Add($"{path}.{key}: must be an integer from {min} to {max} (default {fallback})");
        return fallback;
    }

    private static CompressionType ReadCompression(JsonObject settings, string path, List<string> errors)
    {
        var node = settings["compression"];
        if (node is null)
            return CompressionType.None;
        var name = node is JsonValue v && v.TryGetValue<string>(out var text) ? text : null;
        switch (name)
        {
            case "none": return CompressionType.None;
            case "gzip": return CompressionType.Gzip;
            case "snappy": return CompressionType.Snappy;
            case "lz4": return CompressionType.Lz4;
            case "zstd": return CompressionType.Zstd;
            default:
                errors.Add($"{path}.compression: must be one of none, gzip, snappy, lz4, zstd");
                return CompressionType.None;
        }
    }
}
