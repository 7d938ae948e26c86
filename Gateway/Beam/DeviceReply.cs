using System.Globalization;
using System.Text;

namespace Gateway.Beam;

/// <summary>
/// The bytes a TCP or UDP device gets back, in SORACOM's two platform versions:
/// <list type="bullet">
/// <item>success (&lt; 400): <c>&lt;status&gt; &lt;body&gt;</c> (just <c>&lt;status&gt;</c> for an empty body); with
/// <c>skipStatusCode</c> the body alone, and nothing at all for an empty body;</item>
/// <item>upstream error (≥ 400), 201509: <c>&lt;status&gt; &lt;destination&gt; returns a status code (&lt;status&gt;). Please check your destination.\r\n</c>;
/// 202411: <c>&lt;status&gt; &lt;upstream body&gt;</c>;</item>
/// <item>the gateway's own failures (refused, timeout, …): <c>&lt;status&gt; &lt;reason&gt;</c>.</item>
/// </list>
/// Errors always carry their status, <c>skipStatusCode</c> or not, so a device can tell failure from data.
/// The end-of-data bytes (TCP only) follow every reply except the 201509 error sentence, which ends in CRLF already,
/// and an empty skipped reply.
/// </summary>
internal static class DeviceReply
{
    public static byte[] Format(BeamEntry entry, UpstreamReply reply, bool tcp)
    {
        var eod = tcp ? entry.EndOfData : [];
        if (reply.Failure is not null)
        {
            return Concat(Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{reply.Status} {reply.Failure}")), eod);
        }

        var status = reply.Status.ToString(CultureInfo.InvariantCulture);
        if (reply.Status < 400)
        {
            if (entry.SkipStatusCode)
            {
                return reply.Body.Length == 0 ? [] : Concat(reply.Body, eod);
            }

            return reply.Body.Length == 0
                ? Concat(Encoding.ASCII.GetBytes(status), eod)
                : Concat(Encoding.ASCII.GetBytes(status + " "), reply.Body, eod);
        }

        if (entry.Version == "201509")
        {
            return Encoding.UTF8.GetBytes($"{status} {entry.Destination} returns a status code ({status}). Please check your destination.\r\n");
        }

        return reply.Body.Length == 0
            ? Concat(Encoding.ASCII.GetBytes(status), eod)
            : Concat(Encoding.ASCII.GetBytes(status + " "), reply.Body, eod);
    }

    /// <summary>The gateway's own refusal (unknown device, no entry, overload), in the same form.</summary>
    public static byte[] Refusal(int status, string reason, byte[] eod) =>
        Concat(Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{status} {reason}")), eod);

    private static byte[] Concat(params byte[][] parts)
    {
        var result = new byte[parts.Sum(static p => p.Length)];
        var offset = 0;
        foreach (var p in parts)
        {
            p.CopyTo(result, offset);
            offset += p.Length;
        }

        return result;
    }
}
