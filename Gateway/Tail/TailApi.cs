using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Gateway.Admin;
using Gateway.Registry;

namespace Gateway.Tail;

/// <summary>
/// <c>GET /v1/subscribers/{imsi}/tail?after=&lt;cursor&gt;</c> (<c>Subscriber:getMessageTail</c>): the subscriber's
/// latest messages after the cursor, oldest first, and the cursor for the next poll. Reading starts (or extends) a
/// watch of <see cref="MessageTail.WatchMs"/>: messages are kept only while someone polls. Mapped on the admin API's
/// <c>/v1</c> group, so its authentication and SAM check apply.
/// </summary>
internal static class TailApi
{
    private static readonly UTF8Encoding s_strictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static RouteHandlerBuilder MapTailApi(this IEndpointRouteBuilder api) =>
        api.MapGet("/subscribers/{imsi}/tail", GetTail).WithMetadata(new SamOperation("Subscriber:getMessageTail"));

    private static IResult GetTail(HttpContext context, RegistryService registry, string imsi, string? after)
    {
        long cursor = -1;
        if (after is not null && (!long.TryParse(after, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out cursor) || cursor < -1))
        {
            return Error(StatusCodes.Status400BadRequest, "COM0001", "after must be a cursor this route returned (an integer ≥ -1)");
        }

        if (registry.Snapshot.FindByImsi(imsi) is null)
        {
            return Error(StatusCodes.Status404NotFound, "COM0002", $"No such subscriber: {imsi}");
        }

        // From the container when there is one: a host with the admin API alone has no tail.
        if (context.RequestServices.GetService<MessageTail>() is not { } tail)
        {
            return Error(StatusCodes.Status404NotFound, "COM0002", "the live tail is not part of this host");
        }

        if (tail.Read(imsi, cursor) is not { } page)
        {
            return Error(StatusCodes.Status503ServiceUnavailable, "COM0006", $"{MessageTail.MaxWatched} subscribers are watched already; try again in a minute");
        }

        return Results.Json(new JsonObject
        {
            ["imsi"] = imsi,
            ["cursor"] = page.Cursor,
            ["missed"] = page.Missed,
            ["watchSeconds"] = MessageTail.WatchMs / 1000,
            ["entries"] = new JsonArray([.. page.Entries.Select(static e => (JsonNode)Write(e))]),
        });
    }

    private static JsonObject Write(TailEntry e)
    {
        var o = new JsonObject
        {
            ["sequence"] = e.Sequence,
            ["time"] = e.TimeMs,
            ["entryPoint"] = e.EntryPoint,
            ["protocol"] = e.Protocol,
            ["size"] = e.Size,
        };
        AddBytes(o, "payload", e.Preview, e.Size);
        if (e.ParsedPreview is not null)
        {
            AddBytes(o, "parsed", e.ParsedPreview, e.ParsedSize);
        }

        o["topic"] = e.Topic;
        o["contentType"] = e.ContentType;
        o["results"] = new JsonArray([.. e.Results.Select(static r => (JsonNode)new JsonObject
        {
            ["service"] = r.Service,
            ["status"] = r.Status,
            ["failure"] = r.Failure,
        })]);
        return o;
    }

    /// <summary>
    /// <c>{name}Text</c> when the bytes are UTF-8 text (a character cut by the preview's end is dropped), else
    /// <c>{name}Hex</c>; <c>{name}Truncated</c> when the message was longer than the preview.
    /// </summary>
    private static void AddBytes(JsonObject o, string name, byte[] preview, int size)
    {
        var truncated = size > preview.Length;
        if (Text(preview, truncated) is { } text)
        {
            o[name + "Text"] = text;
        }
        else
        {
            o[name + "Hex"] = Convert.ToHexStringLower(preview);
        }

        o[name + "Truncated"] = truncated;
    }

    private static string? Text(byte[] bytes, bool truncated)
    {
        // A preview cut inside a multi-byte character is still text: try without up to three trailing bytes.
        for (var cut = 0; cut <= (truncated ? Math.Min(3, bytes.Length) : 0); cut++)
        {
            try
            {
                var text = s_strictUtf8.GetString(bytes, 0, bytes.Length - cut);
                return text.Any(static c => char.IsControl(c) && c is not ('\t' or '\r' or '\n')) ? null : text;
            }
            catch (DecoderFallbackException)
            {
            }
        }

        return null;
    }

    private static IResult Error(int status, string code, string message) =>
        Results.Json(new JsonObject { ["code"] = code, ["message"] = message }, statusCode: status);
}
