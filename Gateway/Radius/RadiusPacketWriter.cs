using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Gateway.Radius;

/// <summary>
/// Builds a RADIUS packet into a caller-owned buffer (stack, pool or array), attribute by attribute, then seals it
/// with the authenticator its code calls for. Every write is bounds-checked against the 4096-octet maximum and the
/// 253-octet attribute value limit; exceeding them is a programming error and throws.
/// </summary>
internal ref struct RadiusPacketWriter
{
    private readonly Span<byte> _buffer;
    private int _length;

    public RadiusPacketWriter(Span<byte> destination, RadiusCode code, byte identifier)
    {
        if (destination.Length < RadiusPacket.HeaderLength)
        {
            throw new ArgumentException("The destination cannot hold a 20-octet RADIUS header.", nameof(destination));
        }

        _buffer = destination.Length > RadiusPacket.MaxLength ? destination[..RadiusPacket.MaxLength] : destination;
        _buffer[0] = (byte)code;
        _buffer[1] = identifier;
        _buffer.Slice(2, 18).Clear();
        _length = RadiusPacket.HeaderLength;
    }

    /// <summary>Octets written so far, header included.</summary>
    public readonly int Length => _length;

    public void WriteAttribute(byte type, scoped ReadOnlySpan<byte> value)
    {
        var slot = Reserve(value.Length);
        slot[0] = type;
        slot[1] = (byte)(value.Length + 2);
        value.CopyTo(slot[2..]);
    }

    public void WriteString(byte type, string value)
    {
        Span<byte> bytes = stackalloc byte[RadiusPacket.MaxAttributeValueLength];
        if (!Encoding.UTF8.TryGetBytes(value, bytes, out var written))
        {
            throw new ArgumentException($"Attribute {type}: value longer than {RadiusPacket.MaxAttributeValueLength} octets.", nameof(value));
        }

        WriteAttribute(type, bytes[..written]);
    }

    public void WriteUInt32(byte type, uint value)
    {
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, value);
        WriteAttribute(type, bytes);
    }

    public void WriteIPv4(byte type, IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.AddressFamily != AddressFamily.InterNetwork)
        {
            throw new ArgumentException("An IPv4 address attribute needs an IPv4 address.", nameof(address));
        }

        Span<byte> bytes = stackalloc byte[4];
        address.TryWriteBytes(bytes, out _);
        WriteAttribute(type, bytes);
    }

    /// <summary>Writes one Vendor-Specific attribute (26) holding one sub-attribute in the RFC 2865 §5.26 layout.</summary>
    public void WriteVendorAttribute(uint vendorId, byte vendorType, scoped ReadOnlySpan<byte> value)
    {
        if (value.Length > RadiusPacket.MaxAttributeValueLength - 6)
        {
            throw new ArgumentException($"A vendor sub-attribute value holds at most {RadiusPacket.MaxAttributeValueLength - 6} octets.", nameof(value));
        }

        var slot = Reserve(value.Length + 6);
        slot[0] = RadiusAttributeType.VendorSpecific;
        slot[1] = (byte)(value.Length + 8);
        BinaryPrimitives.WriteUInt32BigEndian(slot[2..], vendorId);
        slot[6] = vendorType;
        slot[7] = (byte)(value.Length + 2);
        value.CopyTo(slot[8..]);
    }

    public void WriteVendorString(uint vendorId, byte vendorType, string value)
    {
        Span<byte> bytes = stackalloc byte[RadiusPacket.MaxAttributeValueLength];
        if (!Encoding.UTF8.TryGetBytes(value, bytes, out var written))
        {
            throw new ArgumentException($"Vendor attribute {vendorId}/{vendorType}: value too long.", nameof(value));
        }

        WriteVendorAttribute(vendorId, vendorType, bytes[..written]);
    }

    /// <summary>Seals an Accounting-Request: Length, then the RFC 2866 §3 Request Authenticator. Returns the packet length.</summary>
    public readonly int FinishAccountingRequest(ReadOnlySpan<byte> secret)
    {
        var packet = Seal();
        RadiusAuthenticator.ComputeAccountingRequest(packet, secret, packet.Slice(4, RadiusPacket.AuthenticatorLength));
        return _length;
    }

    /// <summary>Seals a response (Accounting-Response and the like): Length, then the Response Authenticator. Returns the packet length.</summary>
    public readonly int FinishResponse(ReadOnlySpan<byte> requestAuthenticator, ReadOnlySpan<byte> secret)
    {
        var packet = Seal();
        RadiusAuthenticator.ComputeResponse(packet, requestAuthenticator, secret, packet.Slice(4, RadiusPacket.AuthenticatorLength));
        return _length;
    }

    /// <summary>Seals with an authenticator the caller chose (an Access-Request's random one). Returns the packet length.</summary>
    public readonly int Finish(ReadOnlySpan<byte> authenticator)
    {
        if (authenticator.Length != RadiusPacket.AuthenticatorLength)
        {
            throw new ArgumentException("An authenticator is 16 octets.", nameof(authenticator));
        }

        var packet = Seal();
        authenticator.CopyTo(packet[4..]);
        return _length;
    }

    private readonly Span<byte> Seal()
    {
        BinaryPrimitives.WriteUInt16BigEndian(_buffer[2..], (ushort)_length);
        return _buffer[.._length];
    }

    private Span<byte> Reserve(int valueLength)
    {
        if (valueLength > RadiusPacket.MaxAttributeValueLength)
        {
            throw new ArgumentException($"An attribute value holds at most {RadiusPacket.MaxAttributeValueLength} octets (was {valueLength}).");
        }

        if (_length + valueLength + 2 > _buffer.Length)
        {
            throw new InvalidOperationException($"The packet would exceed {_buffer.Length} octets.");
        }

        var slot = _buffer.Slice(_length, valueLength + 2);
        _length += valueLength + 2;
        return slot;
    }
}
