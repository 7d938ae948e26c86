using System.Buffers;

namespace Gateway.Devices.Mqtt;

/// <summary>
/// A device's CONNECT as the pipeline endpoint needs it (MQTT 3.1 "MQIsdp" level 3, 3.1.1 level 4, 5.0 level 5): who
/// (client ID), how long it may stay silent, its will, and on MQTT 5 what it asked of acknowledgements. The user name and
/// password are checked for form and dropped: identity comes from the source address.
/// </summary>
internal sealed class MqttDeviceConnect
{
    public required byte Level { get; init; }

    public bool CleanStart { get; init; }

    public ushort KeepAliveSeconds { get; init; }

    /// <summary>Empty when the device sent none (the endpoint assigns one, or refuses, by version).</summary>
    public string ClientId { get; init; } = "";

    /// <summary>Published as a device message when the connection ends without DISCONNECT; null when there is none.</summary>
    public MqttWill? Will { get; init; }

    /// <summary>MQTT 5's Request Problem Information: false asks for no reason strings on acknowledgements.</summary>
    public bool ReasonStrings { get; init; } = true;

    /// <summary>MQTT 5: the largest packet the client accepts; 0 for no limit of its own.</summary>
    public uint MaxPacketSize { get; init; }

    /// <summary>MQTT 5: the client asked for extended authentication, which this endpoint does not offer.</summary>
    public bool HasAuthenticationMethod { get; init; }

    public bool IsV5 => Level == 5;

    /// <summary>
    /// Reads a CONNECT's variable header and payload (<paramref name="body"/>, after the fixed header
    /// <paramref name="first"/>). <see cref="MqttParseStatus.UnsupportedProtocolVersion"/> comes before anything past
    /// the level is read: another version's layout differs from there on, and it still gets its answer.
    /// </summary>
    public static MqttParseStatus Parse(byte first, in ReadOnlySequence<byte> body, out MqttDeviceConnect? connect)
    {
        connect = null;
        var reader = new SequenceReader<byte>(body);

        // CONNECT's fixed-header flags are reserved as 0 (§2.2.2).
        if (first != 0x10 || MqttFields.TryReadString(ref reader, out var name) != MqttParseStatus.Ok || !reader.TryRead(out var level))
        {
            return MqttParseStatus.Malformed;
        }

        if (name is not ("MQTT" or "MQIsdp"))
        {
            return MqttParseStatus.Malformed;
        }

        if (!(name == "MQTT" && level is 4 or 5) && !(name == "MQIsdp" && level == 3))
        {
            return MqttParseStatus.UnsupportedProtocolVersion;
        }

        if (!reader.TryRead(out var flags) || !reader.TryReadBigEndian(out short keepAlive))
        {
            return MqttParseStatus.Malformed;
        }

        var hasUser = (flags & 0x80) != 0;
        var hasPassword = (flags & 0x40) != 0;
        var willRetain = (flags & 0x20) != 0;
        var willQos = (byte)((flags >> 3) & 0x03);
        var hasWill = (flags & 0x04) != 0;

        // Reserved bit (§3.1.2.3); will QoS and retain only with a will, QoS 3 never (§3.1.2.6-7); before MQTT 5, no
        // password without a user name (3.1.1 §3.1.2-22).
        if ((flags & 0x01) != 0 || willQos == 3 || (!hasWill && (willQos != 0 || willRetain)) || (hasPassword && !hasUser && level != 5))
        {
            return MqttParseStatus.Malformed;
        }

        var properties = new MqttProperties { ProblemInformation = 1 };
        if (level == 5)
        {
            var read = MqttProperties.Read(ref reader, MqttProperties.InConnect, out properties);
            if (read != MqttParseStatus.Ok)
            {
                return read;
            }
        }

        if (MqttFields.TryReadString(ref reader, out var clientId) != MqttParseStatus.Ok)
        {
            return MqttParseStatus.Malformed;
        }

        MqttWill? will = null;
        if (hasWill)
        {
            var read = MqttWill.Read(ref reader, level == 5, willQos, out will);
            if (read != MqttParseStatus.Ok)
            {
                return read;
            }
        }

        if ((hasUser && MqttFields.SkipString(ref reader) != MqttParseStatus.Ok) || (hasPassword && !MqttFields.SkipBinary(ref reader)) || !reader.End)
        {
            return MqttParseStatus.Malformed;
        }

        connect = new MqttDeviceConnect
        {
            Level = level,
            CleanStart = (flags & 0x02) != 0,
            KeepAliveSeconds = (ushort)keepAlive,
            ClientId = clientId,
            Will = will,
            ReasonStrings = properties.ProblemInformation != 0,
            MaxPacketSize = properties.MaxPacketSize,
            HasAuthenticationMethod = properties.HasAuthenticationMethod,
        };
        return MqttParseStatus.Ok;
    }
}
