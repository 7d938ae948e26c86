using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Text;

namespace Gateway.Radius;

/// <summary>
/// One authenticated Accounting-Request, as handed to <see cref="IAccountingEventSink"/>. Values are the attributes
/// as the NAS sent them (strings decoded as UTF-8, not otherwise checked); null where the packet did not carry them.
/// </summary>
/// <param name="StatusType">Acct-Status-Type (40). Start and Interim-Update mean "this address belongs to this SIM now",
/// Stop means the session ended; Accounting-On/Off mean the NAS (re)started or stops, so every session it reported is over.
/// Numbers without a named member are passed through as they are.</param>
/// <param name="FramedIpAddress">Framed-IP-Address (8): the address the device's traffic will come from.</param>
/// <param name="Imsi">3GPP-IMSI (vendor 10415, type 1): the SIM's IMSI, a string of digits.</param>
/// <param name="Imeisv">3GPP-IMEISV (vendor 10415, type 20) exactly as sent: normally 16 digits (IMEI without check digit + 2-digit software version).</param>
/// <param name="Imei">The 15-digit IMEI derived from <paramref name="Imeisv"/> (first 14 digits + Luhn check digit, see
/// <see cref="Radius.Imei.FromImeisv"/>); null when the IMEISV is absent or not 14 to 16 digits.</param>
/// <param name="Msisdn">Calling-Station-Id (31): on a mobile network the MSISDN, as sent (no '+' added or removed).</param>
/// <param name="UserName">User-Name (1).</param>
/// <param name="SessionId">Acct-Session-Id (44): ties Start, Interim-Update and Stop of one session together.</param>
/// <param name="NasIdentifier">NAS-Identifier (32).</param>
/// <param name="NasIpAddress">NAS-IP-Address (4).</param>
/// <param name="EventTimestamp">Event-Timestamp (55, RFC 2869 §5.3) when sent: when the NAS saw the event, which orders a
/// late retransmitted Stop against a newer Start for the same address.</param>
/// <param name="Client">The address and port the request came from (a configured RADIUS client).</param>
/// <param name="ReceivedAt">When the gateway received the request.</param>
internal sealed record AccountingEvent(
    AcctStatusType StatusType,
    IPAddress? FramedIpAddress,
    string? Imsi,
    string? Imeisv,
    string? Imei,
    string? Msisdn,
    string? UserName,
    string? SessionId,
    string? NasIdentifier,
    IPAddress? NasIpAddress,
    DateTimeOffset? EventTimestamp,
    IPEndPoint Client,
    DateTimeOffset ReceivedAt)
{
    /// <summary>
    /// Reads the event out of an Accounting-Request. Fails (with a reason for the log) when Acct-Status-Type is missing,
    /// which RFC 2866 §5.1 requires, or when an attribute of fixed size (status, addresses) has the wrong size.
    /// </summary>
    public static bool TryCreate(RadiusPacket packet, IPEndPoint client, DateTimeOffset receivedAt, [NotNullWhen(true)] out AccountingEvent? accountingEvent, [NotNullWhen(false)] out string? error)
    {
        ArgumentNullException.ThrowIfNull(packet);
        accountingEvent = null;
        if (!packet.TryGetAttribute(RadiusAttributeType.AcctStatusType, out var status))
        {
            error = "no Acct-Status-Type";
            return false;
        }

        if (status.Length != 4)
        {
            error = $"Acct-Status-Type of {status.Length} octets instead of 4";
            return false;
        }

        if (!TryAddress(packet, RadiusAttributeType.FramedIpAddress, out var framed))
        {
            error = "Framed-IP-Address not 4 octets";
            return false;
        }

        if (!TryAddress(packet, RadiusAttributeType.NasIpAddress, out var nas))
        {
            error = "NAS-IP-Address not 4 octets";
            return false;
        }

        DateTimeOffset? eventTimestamp = null;
        if (packet.TryGetAttribute(RadiusAttributeType.EventTimestamp, out var timestamp))
        {
            if (timestamp.Length != 4)
            {
                error = "Event-Timestamp not 4 octets";
                return false;
            }

            eventTimestamp = DateTimeOffset.FromUnixTimeSeconds(BinaryPrimitives.ReadUInt32BigEndian(timestamp.Span));
        }

        var imeisv = VendorString(packet, RadiusAttributeType.ThreeGppImeisv);
        accountingEvent = new AccountingEvent(
            (AcctStatusType)BinaryPrimitives.ReadUInt32BigEndian(status.Span),
            framed,
            VendorString(packet, RadiusAttributeType.ThreeGppImsi),
            imeisv,
            Radius.Imei.FromImeisv(imeisv),
            String(packet, RadiusAttributeType.CallingStationId),
            String(packet, RadiusAttributeType.UserName),
            String(packet, RadiusAttributeType.AcctSessionId),
            String(packet, RadiusAttributeType.NasIdentifier),
            nas,
            eventTimestamp,
            client,
            receivedAt);
        error = null;
        return true;
    }

    private static bool TryAddress(RadiusPacket packet, byte type, out IPAddress? address)
    {
        address = null;
        if (!packet.TryGetAttribute(type, out var value))
        {
            return true;
        }

        if (value.Length != 4)
        {
            return false;
        }

        address = new IPAddress(value.Span);
        return true;
    }

    private static string? String(RadiusPacket packet, byte type) =>
        packet.TryGetAttribute(type, out var value) ? Encoding.UTF8.GetString(value.Span) : null;

    private static string? VendorString(RadiusPacket packet, byte type) =>
        packet.TryGetVendorAttribute(RadiusAttributeType.Vendor3Gpp, type, out var value) ? Encoding.UTF8.GetString(value.Span) : null;
}
