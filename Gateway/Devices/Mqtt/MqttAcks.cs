using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using Gateway.Beam.Mqtt;

namespace Gateway.Devices.Mqtt;

/// <summary>
/// The packets the pipeline endpoint sends: CONNACK, PUBACK/PUBREC/PUBCOMP, SUBACK, UNSUBACK, PINGRESP and (MQTT 5)
/// DISCONNECT, encoded by hand from the 3.1.1 and 5.0 specifications. An MQTT 5 reason string is cut to
/// <see cref="MaxReasonBytes"/> and left out when the client asked for none, or when it would make the packet larger
/// than the client accepts (§3.1.2.11.4: the server must not send a larger one, and a reason string is what may go).
/// </summary>
internal static class MqttAcks
{
    public const byte PubAck = 0x40;
    public const byte PubRec = 0x50;
    public const byte PubComp = 0x70;

    /// <summary>Longest reason string sent: a failure's first sentence is what a device's log line has room for.</summary>
    public const int MaxReasonBytes = 256;

    /// <summary>The property that tells an MQTT 5 client the endpoint's packet-size limit (§3.2.2.3.6): header and body.</summary>
    public const int AnnouncedMaxPacketSize = MqttPacketLimit.MaxPacketBytes + 5;

    /// <summary>
    /// CONNACK. Before MQTT 5: <c>20 02 00 code</c>. On 5: the reason code, and on success the properties a client needs
    /// (its assigned client ID when it sent none, the maximum packet size, and that there is nothing to subscribe to),
    /// on refusal the reason string.
    /// </summary>
    public static byte[] ConnAck(bool v5, byte code, string? assignedClientId = null, string? reason = null)
    {
        if (!v5)
        {
            return [0x20, 0x02, 0x00, code];
        }

        var properties = new ArrayBufferWriter<byte>(64);
        if (code == 0)
        {
            if (assignedClientId is not null)
            {
                WriteString(properties, MqttProperties.AssignedClientIdentifier, Encoding.UTF8.GetBytes(assignedClientId));
            }

            var span = properties.GetSpan(11);
            span[0] = MqttProperties.MaximumPacketSize;
            BinaryPrimitives.WriteInt32BigEndian(span[1..], AnnouncedMaxPacketSize);
            span[5] = MqttProperties.WildcardSubscriptionAvailable;
            span[6] = 0;
            span[7] = MqttProperties.SubscriptionIdentifierAvailable;
            span[8] = 0;
            span[9] = MqttProperties.SharedSubscriptionAvailable;
            span[10] = 0;
            properties.Advance(11);
        }
        else if (reason is not null)
        {
            WriteString(properties, MqttProperties.ReasonString, Reason(reason));
        }

        var remaining = 2 + MqttFrame.RemainingLengthSize(properties.WrittenCount) + properties.WrittenCount;
        var packet = new byte[1 + MqttFrame.RemainingLengthSize(remaining) + remaining];
        packet[0] = 0x20;
        var at = 1 + MqttFrame.WriteRemainingLength(packet.AsSpan(1), remaining);
        packet[at++] = 0x00;
        packet[at++] = code;
        at += MqttFrame.WriteRemainingLength(packet.AsSpan(at), properties.WrittenCount);
        properties.WrittenSpan.CopyTo(packet.AsSpan(at));
        return packet;
    }

    /// <summary>
    /// PUBACK, PUBREC or PUBCOMP (<paramref name="type"/>). Success is the short form <c>type 02 id</c> on every version
    /// (§3.4.2.1: reason code 0 and no properties may be left out); an MQTT 5 failure adds its code and reason string.
    /// </summary>
    public static void Ack(IBufferWriter<byte> output, byte type, ushort packetId, byte code = 0, string? reason = null, MqttDeviceConnect? client = null)
    {
        var reasonBytes = code == 0 ? default : FittingReason(reason, client, 4 + 1 + 3);
        var properties = reasonBytes.IsEmpty ? 0 : MqttProperties.StringPropertySize(reasonBytes.Length);
        var remaining = code == 0 ? 2 : 3 + properties;
        var span = output.GetSpan(1 + 4 + remaining);
        span[0] = type;
        var at = 1 + MqttFrame.WriteRemainingLength(span[1..], remaining);
        BinaryPrimitives.WriteUInt16BigEndian(span[at..], packetId);
        at += 2;
        if (code != 0)
        {
            span[at++] = code;
            if (properties > 0)
            {
                at += MqttProperties.WriteStringProperty(span[at..], MqttProperties.ReasonString, reasonBytes.Span);
            }
        }

        output.Advance(at);
    }

    /// <summary>SUBACK or UNSUBACK refusing every filter: 3.1.1's SUBACK 0x80 (UNSUBACK has no codes), 5's 0x87 not authorized and 0x11 no subscription existed.</summary>
    public static void SubscriptionRefused(IBufferWriter<byte> output, bool subscribe, ushort packetId, int filters, MqttDeviceConnect client, string reason)
    {
        var v5 = client.IsV5;
        if (!v5 && !subscribe)
        {
            var unsubAck = output.GetSpan(4);
            unsubAck[0] = 0xB0;
            unsubAck[1] = 0x02;
            BinaryPrimitives.WriteUInt16BigEndian(unsubAck[2..], packetId);
            output.Advance(4);
            return;
        }

        var reasonBytes = v5 && subscribe ? FittingReason(reason, client, 5 + 2 + filters + 3) : default;
        var properties = v5 ? MqttProperties.StringPropertySize(reasonBytes.Length) : 0;
        var remaining = 2 + properties + filters;
        var span = output.GetSpan(1 + 4 + remaining);
        span[0] = subscribe ? (byte)0x90 : (byte)0xB0;
        var at = 1 + MqttFrame.WriteRemainingLength(span[1..], remaining);
        BinaryPrimitives.WriteUInt16BigEndian(span[at..], packetId);
        at += 2;
        if (v5)
        {
            at += MqttProperties.WriteStringProperty(span[at..], MqttProperties.ReasonString, reasonBytes.Span);
        }

        span.Slice(at, filters).Fill(subscribe ? (v5 ? (byte)0x87 : (byte)0x80) : (byte)0x11);
        output.Advance(at + filters);
    }

    public static void PingResp(IBufferWriter<byte> output)
    {
        var span = output.GetSpan(2);
        span[0] = 0xD0;
        span[1] = 0x00;
        output.Advance(2);
    }

    /// <summary>MQTT 5's DISCONNECT from the server (§3.14): the reason the connection ends, with no properties.</summary>
    public static byte[] Disconnect(byte code) => [0xE0, 0x01, code];

    /// <summary>The reason string's bytes, cut at a character boundary to <see cref="MaxReasonBytes"/>.</summary>
    internal static byte[] Reason(string reason)
    {
        var bytes = Encoding.UTF8.GetBytes(reason);
        if (bytes.Length <= MaxReasonBytes)
        {
            return bytes;
        }

        var cut = MaxReasonBytes;
        while (cut > 0 && (bytes[cut] & 0xC0) == 0x80)
        {
            cut--;
        }

        return bytes[..cut];
    }

    /// <summary>The reason string when the client takes one and the packet still fits its maximum; otherwise none.</summary>
    private static ReadOnlyMemory<byte> FittingReason(string? reason, MqttDeviceConnect? client, int packetWithoutReason)
    {
        if (reason is null || client is not { IsV5: true, ReasonStrings: true })
        {
            return default;
        }

        var bytes = Reason(reason);
        return client.MaxPacketSize != 0 && packetWithoutReason + bytes.Length > client.MaxPacketSize ? default : bytes;
    }

    private static void WriteString(ArrayBufferWriter<byte> properties, byte id, ReadOnlySpan<byte> value)
    {
        var span = properties.GetSpan(3 + value.Length);
        span[0] = id;
        BinaryPrimitives.WriteUInt16BigEndian(span[1..], (ushort)value.Length);
        value.CopyTo(span[3..]);
        properties.Advance(3 + value.Length);
    }
}
