using System.Buffers;
using System.Security.Cryptography;

namespace Gateway.Radius;

/// <summary>
/// The MD5 authenticators of RFC 2866 §3 (Accounting-Request) and RFC 2865 §3 (responses). MD5 is what the RFCs
/// mandate for interoperability; it authenticates the packet under the shared secret, it does not encrypt anything.
/// </summary>
internal static class RadiusAuthenticator
{
    /// <summary>
    /// MD5(Code + Identifier + Length + 16 zero octets + Attributes + Secret): the Request Authenticator an
    /// Accounting-Request must carry. <paramref name="packet"/> is the whole packet; its authenticator field is ignored.
    /// </summary>
    public static void ComputeAccountingRequest(ReadOnlySpan<byte> packet, ReadOnlySpan<byte> secret, Span<byte> destination) =>
        Compute(packet, default, secret, destination);

    /// <summary>
    /// MD5(Code + Identifier + Length + Request Authenticator + Attributes + Secret): the Response Authenticator of a
    /// reply to a request whose authenticator was <paramref name="requestAuthenticator"/>.
    /// </summary>
    public static void ComputeResponse(ReadOnlySpan<byte> packet, ReadOnlySpan<byte> requestAuthenticator, ReadOnlySpan<byte> secret, Span<byte> destination)
    {
        if (requestAuthenticator.Length != RadiusPacket.AuthenticatorLength)
        {
            throw new ArgumentException("A request authenticator is 16 octets.", nameof(requestAuthenticator));
        }

        Compute(packet, requestAuthenticator, secret, destination);
    }

    /// <summary>
    /// Whether an Accounting-Request carries the authenticator its content and the shared secret call for. The
    /// comparison takes the same time wherever the first difference is, so timing reveals nothing about the expected value.
    /// </summary>
    public static bool VerifyAccountingRequest(ReadOnlySpan<byte> packet, ReadOnlySpan<byte> secret)
    {
        if (packet.Length < RadiusPacket.HeaderLength)
        {
            return false;
        }

        Span<byte> expected = stackalloc byte[RadiusPacket.AuthenticatorLength];
        ComputeAccountingRequest(packet, secret, expected);
        return CryptographicOperations.FixedTimeEquals(expected, packet.Slice(4, RadiusPacket.AuthenticatorLength));
    }

    private static void Compute(ReadOnlySpan<byte> packet, ReadOnlySpan<byte> authenticator, ReadOnlySpan<byte> secret, Span<byte> destination)
    {
        if (packet.Length < RadiusPacket.HeaderLength)
        {
            throw new ArgumentException("A RADIUS packet has at least 20 octets.", nameof(packet));
        }

        if (destination.Length < RadiusPacket.AuthenticatorLength)
        {
            throw new ArgumentException("An authenticator needs 16 octets.", nameof(destination));
        }

        // One contiguous buffer so that MD5 runs one-shot without an incremental hash object per packet.
        var length = packet.Length + secret.Length;
        var buffer = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            var span = buffer.AsSpan(0, length);
            packet.CopyTo(span);
            var field = span.Slice(4, RadiusPacket.AuthenticatorLength);
            if (authenticator.IsEmpty)
            {
                field.Clear();
            }
            else
            {
                authenticator.CopyTo(field);
            }

            secret.CopyTo(span[packet.Length..]);
#pragma warning disable CA5351 // RFC 2865/2866 fix MD5 for these authenticators; a peer would reject anything else.
            MD5.HashData(span, destination);
#pragma warning restore CA5351
        }
        finally
        {
            // The pool is shared: the secret must not outlive this call in it.
            CryptographicOperations.ZeroMemory(buffer.AsSpan(0, length));
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
