namespace Gateway.Radius;

/// <summary>Thrown by <see cref="RadiusPacket.Parse"/> for a malformed datagram; <see cref="RadiusPacket.TryParse"/> reports the same without throwing.</summary>
internal sealed class RadiusFormatException : FormatException
{
    public RadiusFormatException(RadiusParseFailure failure)
        : base("Malformed RADIUS packet: " + failure.Message) => Failure = failure;

    public RadiusParseFailure Failure { get; }
}
