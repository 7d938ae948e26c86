using System.Buffers;
using System.Buffers.Binary;

namespace Gateway.Beam.Mqtt;

/// <summary>PUBLISH (MQTT 3.1.1 §3.3) topic rewriting, for Beam's "/{IMSI} appended to the publish topic".</summary>
internal static class MqttPublish
{
    /// <summary>
    /// Writes the head of the PUBLISH at the start of <paramref name="buffer"/> (fixed header already framed) with
    /// <paramref name="suffix"/> appended to its topic: the first byte (QoS, retain, dup) as it was, the remaining
    /// length grown by the suffix, the longer topic. The rest of the packet (packet identifier and payload,
    /// <c>remainingLength - 2 - topic length</c> bytes) is unchanged, and the caller passes it on as it arrives, so
    /// a large payload is never held whole.
    /// </summary>
    /// <returns>
    /// <see cref="MqttFrameStatus.Packet"/> with <paramref name="consumed"/> bytes (header and topic) written;
    /// <see cref="MqttFrameStatus.Incomplete"/> when the topic has not all arrived; <see cref="MqttFrameStatus.Malformed"/>
    /// when the topic runs past the packet, or the longer topic or packet would not fit MQTT's limits.
    /// </returns>
    public static MqttFrameStatus TryWriteHeadWithTopicSuffix(
        in ReadOnlySequence<byte> buffer, int headerLength, int remainingLength, ReadOnlySpan<byte> suffix, IBufferWriter<byte> output, out int consumed)
    {
        consumed = 0;
        if (remainingLength < 2)
        {
            return MqttFrameStatus.Malformed;
        }

        if (buffer.Length < headerLength + 2)
        {
            return MqttFrameStatus.Incomplete;
        }

        Span<byte> lengthBytes = stackalloc byte[2];
        buffer.Slice(headerLength, 2).CopyTo(lengthBytes);
        var topicLength = BinaryPrimitives.ReadUInt16BigEndian(lengthBytes);
        var newTopicLength = topicLength + suffix.Length;
        var newRemaining = (long)remainingLength + suffix.Length;
        if (remainingLength < 2 + topicLength || newTopicLength > ushort.MaxValue || newRemaining > MqttFrame.MaxRemainingLength)
        {
            return MqttFrameStatus.Malformed;
        }

        if (buffer.Length < headerLength + 2 + topicLength)
        {
            return MqttFrameStatus.Incomplete;
        }

        var head = output.GetSpan(1 + 4 + 2);
        head[0] = buffer.FirstSpan[0];
        var at = 1 + MqttFrame.WriteRemainingLength(head[1..], (int)newRemaining);
        BinaryPrimitives.WriteUInt16BigEndian(head[at..], (ushort)newTopicLength);
        output.Advance(at + 2);
        foreach (var segment in buffer.Slice(headerLength + 2, topicLength))
        {
            output.Write(segment.Span);
        }

        output.Write(suffix);
        consumed = headerLength + 2 + topicLength;
        return MqttFrameStatus.Packet;
    }
}
