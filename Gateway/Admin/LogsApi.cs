using System.Globalization;
using System.Text.Json.Nodes;
using Gateway.Logs;

namespace Gateway.Admin;

/// <summary>
/// SORACOM's <c>GET /v1/logs</c> (<c>Log:getLogs</c>): the error log of device-facing services, newest first, filtered
/// by <c>resource_type</c> (Subscriber, Device, LoraDevice, SigfoxDevice), <c>resource_id</c>, <c>service</c> (Air,
/// Beam, Funk, Funnel, Harvest, Napter, Orbit, Unified), <c>from</c>/<c>to</c> (Unix ms), <c>limit</c> (1–1000,
/// default 100) and <c>last_evaluated_key</c>; the next page's key comes in <c>x-soracom-next-key</c> and a
/// <c>link</c> header. Mapped on the admin API's <c>/v1</c> group, so its authentication and SAM check apply.
/// </summary>
internal static class LogsApi
{
    private const int DefaultLimit = 100;
    private const int MaxLimit = 1000;
    private static readonly string[] s_resourceTypes = ["Subscriber", "Device", "LoraDevice", "SigfoxDevice"];
    private static readonly string[] s_services = ["Air", "Beam", "Funk", "Funnel", "Harvest", "Napter", "Orbit", "Unified"];

    public static RouteHandlerBuilder MapLogsApi(this IEndpointRouteBuilder api) =>
        api.MapGet("/logs", GetLogs).WithMetadata(new SamOperation("Log:getLogs"));

    private static IResult GetLogs(HttpContext context)
    {
        var query = context.Request.Query;
        var errors = new List<string>();
        var resourceType = OneOf(query["resource_type"], "resource_type", s_resourceTypes, errors);
        var service = OneOf(query["service"], "service", s_services, errors);
        var from = Number(query["from"], "from", 0, long.MaxValue, errors);
        var to = Number(query["to"], "to", 0, long.MaxValue, errors);
        var limit = Number(query["limit"], "limit", 1, MaxLimit, errors) ?? DefaultLimit;
        var before = Number(query["last_evaluated_key"], "last_evaluated_key", 1, long.MaxValue, errors);
        if (errors.Count > 0)
        {
            return Results.Json(new JsonObject { ["code"] = "COM0001", ["message"] = string.Join("; ", errors) }, statusCode: StatusCodes.Status400BadRequest);
        }

        var log = context.RequestServices.GetService<ErrorLog>();
        var operatorId = context.RequestServices.GetService<Microsoft.Extensions.Options.IOptions<AdminOptions>>()?.Value.OperatorId ?? "OP0000000000";
        var resourceId = query["resource_id"].FirstOrDefault();
        var (entries, more) = log?.List(new ErrorLogQuery(resourceType, resourceId, service, from, to, (int)limit, before)) ?? ([], false);
        if (more)
        {
            var next = entries[^1].Sequence.ToString(CultureInfo.InvariantCulture);
            context.Response.Headers["x-soracom-next-key"] = next;
            context.Response.Headers.Link = $"<{NextUrl(context.Request, next)}>; rel=next";
        }

        return Results.Json(new JsonArray([.. entries.Select(e => (JsonNode)Write(e, operatorId))]));
    }

    private static JsonObject Write(ErrorLogEntry e, string operatorId)
    {
        var body = new JsonObject { ["message"] = e.Message, ["statusCode"] = e.StatusCode };
        if (e.Destination is not null)
        {
            body["destination"] = e.Destination;
        }

        if (e.SourceProtocol is not null)
        {
            body["sourceProtocol"] = e.SourceProtocol;
        }

        if (e.MessageId is not null)
        {
            body["messageId"] = e.MessageId;
        }

        return new JsonObject
        {
            ["time"] = e.TimeMs,
            ["service"] = e.Service,
            ["resourceType"] = e.ResourceType,
            ["resourceId"] = e.ResourceId,
            ["operatorId"] = operatorId,
            ["logLevel"] = "error",
            ["body"] = body,
        };
    }

    private static string NextUrl(HttpRequest request, string next)
    {
        var pairs = request.Query.Where(static q => q.Key != "last_evaluated_key")
            .SelectMany(static q => q.Value.Select(v => $"{Uri.EscapeDataString(q.Key)}={Uri.EscapeDataString(v ?? string.Empty)}"))
            .Append($"last_evaluated_key={next}");
        return $"{request.PathBase}{request.Path}?{string.Join('&', pairs)}";
    }

    private static string? OneOf(Microsoft.Extensions.Primitives.StringValues value, string name, string[] allowed, List<string> errors)
    {
        var text = value.FirstOrDefault();
        if (text is null)
        {
            return null;
        }

        if (!allowed.Contains(text))
        {
            errors.Add($"{name} must be one of {string.Join(", ", allowed)}");
        }

        return text;
    }

    private static long? Number(Microsoft.Extensions.Primitives.StringValues value, string name, long min, long max, List<string> errors)
    {
        var text = value.FirstOrDefault();
        if (text is null)
        {
            return null;
        }

        if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n < min || n > max)
        {
            errors.Add($"{name} must be a whole number from {min} to {max}");
            return null;
        }

        return n;
    }
}
