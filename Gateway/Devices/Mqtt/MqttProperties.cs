using System.Buffers;
using System.Buffers.Binary;
using Gateway.Beam.Mqtt;

namespace Gateway.Devices.Mqtt;

/// <summary>
/// MQTT 5 properties (§2.2.2): a variable-length count of bytes, then identifier/value pairs. Each is read by its
/// identifier's type and checked against the ones the packet may carry; a property twice (a user property excepted) is a
/// protocol error. Only what the endpoint acts on is kept; the rest (user properties, content type, …) is skipped.
/// </summary>
internal struct MqttProperties
{
    public const byte PayloadFormatIndicator = 0x01;
    public const byte MessageExpiryInterval = 0x02;
    public const byte ContentType = 0x03;
    public const byte ResponseTopic = 0x08;
    public const byte CorrelationData = 0x09;
    public const byte SubscriptionIdentifier = 0x0B;
    public const byte SessionExpiryInterval = 0x11;
    public const byte AssignedClientIdentifier = 0x12;
    public const byte AuthenticationMethod = 0x15;
    public const byte AuthenticationData = 0x16;
    public const byte RequestProblemInformation = 0x17;
    public const byte WillDelayInterval = 0x18;
    public const byte RequestResponseInformation = 0x19;
    public const byte ReasonString = 0x1F;
    public const byte ReceiveMaximum = 0x21;
    public const byte TopicAliasMaximum = 0x22;
    public const byte TopicAlias = 0x23;
    public const byte UserProperty = 0x26;
    public const byte MaximumPacketSize = 0x27;
    public const byte WildcardSubscriptionAvailable = 0x28;
    public const byte SubscriptionIdentifierAvailable = 0x29;
    public const byte SharedSubscriptionAvailable = 0x2A;

    /// <summary>What a CONNECT may carry (§3.1.2.11).</summary>
    public const ulong InConnect = 1UL << SessionExpiryInterval | 1UL << ReceiveMaximum | 1UL << MaximumPacketSize | 1UL << TopicAliasMaximum
        | 1UL << RequestResponseInformation | 1UL << RequestProblemInformation | 1UL << UserProperty | 1UL << AuthenticationMethod | 1UL << AuthenticationData;

    /// <summary>What a will may carry (§3.1.3.2).</summary>
    public const ulong InWill = 1UL << WillDelayInterval | 1UL << PayloadFormatIndicator | 1UL << MessageExpiryInterval | 1UL << ContentType
        | 1UL << ResponseTopic | 1UL << CorrelationData | 1UL << UserProperty;

    /// <summary>What a client's PUBLISH may carry (§3.3.2.3; a Subscription Identifier only goes from server to client).</summary>
    public const ulong InPublish = 1UL << PayloadFormatIndicator | 1UL << MessageExpiryInterval | 1UL << ContentType | 1UL << ResponseTopic
        | 1UL << CorrelationData | 1UL << UserProperty | 1UL << TopicAlias;

    /// <summary>SUBSCRIBE (§3.8.2.1).</summary>
    public const ulong InSubscribe = 1UL << SubscriptionIdentifier | 1UL << UserProperty;

    /// <summary>UNSUBSCRIBE (§3.10.2.1), PUBREL (§3.6.2.2): user properties, and PUBREL a reason string.</summary>
    public const ulong InUnsubscribe = 1UL << UserProperty;

    public const ulong InPubRel = 1UL << ReasonString | 1UL << UserProperty;

    /// <summary>A client's DISCONNECT (§3.14.2.2; a Server Reference only goes from server to client).</summary>
    public const ulong InDisconnect = 1UL << SessionExpiryInterval | 1UL << ReasonString | 1UL << UserProperty;

    /// <summary>Request Problem Information (CONNECT): 0 asks for no reason strings on acknowledgements (§3.1.2.11.7).</summary>
    public byte ProblemInformation;

    /// <summary>The largest packet the client accepts (CONNECT), 0 when it set none (§3.1.2.11.4).</summary>
    public uint MaxPacketSize;

    public bool HasAuthenticationMethod;

    public bool HasTopicAlias;

    /// <summary>Reads the property list at the reader's position, which must end within the packet.</summary>
    public static MqttParseStatus Read(ref SequenceReader<byte> reader, ulong allowed, out MqttProperties properties)
    {
        properties = new MqttProperties { ProblemInformation = 1 };
        if (!MqttFields.TryReadVariableInteger(ref reader, out var length) || reader.Remaining < length)
        {
            return MqttParseStatus.Malformed;
        }

        var end = reader.Consumed + length;
        ulong seen = 0;
        while (reader.Consumed < end)
        {
            // The identifier is a variable byte integer (§2.2.2.2), but every defined one is below 128: one byte.
            if (!reader.TryRead(out var id) || id >= 64 || (allowed & (1UL << id)) == 0)
            {
                return id is > 0 and < 64 && MqttFields.IsDefinedProperty(id) ? MqttParseStatus.ProtocolError : MqttParseStatus.Malformed;
            }

            if (id != UserProperty && (seen & (1UL << id)) != 0)
            {
                return MqttParseStatus.ProtocolError;
            }

            seen |= 1UL << id;
            var status = properties.ReadValue(ref reader, id);
            if (status != MqttParseStatus.Ok)
            {
                return status;
            }
        }

        return reader.Consumed == end ? MqttParseStatus.Ok : MqttParseStatus.Malformed;
    }

    private MqttParseStatus ReadValue(ref SequenceReader<byte> reader, byte id)
    {
        switch (id)
        {
            case PayloadFormatIndicator or RequestProblemInformation or RequestResponseInformation:
                if (!reader.TryRead(out var b))
                {
                    return MqttParseStatus.Malformed;
                }

                // These three are 0 or 1 (§3.1.2.11.6-7, §3.3.2.3.2).
                if (b > 1)
                {
                    return MqttParseStatus.ProtocolError;
                }

                if (id == RequestProblemInformation)
                {
                    ProblemInformation = b;
                }

                return MqttParseStatus.Ok;
            case ReceiveMaximum or TopicAliasMaximum or TopicAlias:
                if (!reader.TryReadBigEndian(out short s))
                {
                    return MqttParseStatus.Malformed;
                }

                // A receive maximum of 0 is a protocol error (§3.1.2.11.3); any topic alias is one here, since the
                // CONNACK offered none (§3.3.2.3.4).
                HasTopicAlias |= id == TopicAlias;
                return id == ReceiveMaximum && s == 0 ? MqttParseStatus.ProtocolError : MqttParseStatus.Ok;
            case MessageExpiryInterval or SessionExpiryInterval or WillDelayInterval or MaximumPacketSize:
                if (!reader.TryReadBigEndian(out int i))
                {
                    return MqttParseStatus.Malformed;
                }

                if (id == MaximumPacketSize)
                {
                    MaxPacketSize = (uint)i;
                    return i == 0 ? MqttParseStatus.ProtocolError : MqttParseStatus.Ok;
                }

                return MqttParseStatus.Ok;
            case SubscriptionIdentifier:
                return MqttFields.TryReadVariableInteger(ref reader, out var v) && v > 0 ? MqttParseStatus.Ok : MqttParseStatus.Malformed;
            case ContentType or ResponseTopic or AuthenticationMethod or ReasonString:
                HasAuthenticationMethod |= id == AuthenticationMethod;
                return MqttFields.SkipString(ref reader);
            case CorrelationData or AuthenticationData:
                return MqttFields.SkipBinary(ref reader) ? MqttParseStatus.Ok : MqttParseStatus.Malformed;
            case UserProperty:
                var key = MqttFields.SkipString(ref reader);
                return key != MqttParseStatus.Ok ? key : MqttFields.SkipString(ref reader);
            default:
                return MqttParseStatus.Malformed;
        }
    }

    /// <summary>
    /// Bytes of a property list holding one UTF-8 string property of <paramref name="valueBytes"/> (a reason string):
    /// its length, identifier, the string's length and the string; 1 (an empty list) for none.
    /// </summary>
    public static int StringPropertySize(int valueBytes) => valueBytes == 0 ? 1 : MqttFrame.RemainingLengthSize(3 + valueBytes) + 3 + valueBytes;

    /// <summary>Writes that property list (<see cref="StringPropertySize"/> bytes); returns the bytes written.</summary>
    public static int WriteStringProperty(Span<byte> destination, byte id, ReadOnlySpan<byte> value)
    {
        if (value.IsEmpty)
        {
            destination[0] = 0;
            return 1;
        }

        var at = MqttFrame.WriteRemainingLength(destination, 3 + value.Length);
        destination[at++] = id;
        BinaryPrimitives.WriteUInt16BigEndian(destination[at..], (ushort)value.Length);
        value.CopyTo(destination[(at + 2)..]);
        return at + 2 + value.Length;
    }
}
