using System.Text.Json.Nodes;
using Gateway.Admin;

namespace Gateway.Health;

/// <summary>
/// <c>GET /v1/health/destinations</c> (<c>Health:listDestinations</c>, the gateway's own route): every destination's
/// <see cref="DestinationStatus"/>, Beam upstreams and the Harvest store from <see cref="DestinationHealthBoard"/>,
/// Funnel adapters from their queues. Mapped on the admin API's <c>/v1</c> group, so its authentication and SAM
/// check apply.
/// </summary>
internal static class HealthApi
{
    public static RouteHandlerBuilder MapHealthApi(this IEndpointRouteBuilder api) =>
        api.MapGet("/health/destinations", List).WithMetadata(new SamOperation("Health:listDestinations"));

    private static IResult List(HttpContext context)
    {
        // Each from the container when there is one: a host with the admin API alone has neither.
        var own = context.RequestServices.GetService<DestinationHealthBoard>()?.Statuses() ?? [];
        var funnel = context.RequestServices.GetService<Funnel.FunnelDispatcher>()?.Health() ?? [];
        var all = own.Concat(funnel)
            .OrderBy(static s => s.Service, StringComparer.Ordinal)
            .ThenBy(static s => s.Kind, StringComparer.Ordinal)
            .ThenBy(static s => s.Destination, StringComparer.Ordinal);
        return Results.Json(new JsonArray([.. all.Select(static s => (JsonNode)Write(s))]));
    }

    private static JsonObject Write(DestinationStatus s) => new()
    {
        ["service"] = s.Service,
        ["kind"] = s.Kind,
        ["destination"] = s.Destination,
        ["healthy"] = s.Healthy,
        ["successes"] = s.Successes,
        ["failures"] = s.Failures,
        ["consecutiveFailures"] = s.ConsecutiveFailures,
        ["lastSuccessTime"] = s.LastSuccessMs,
        ["lastFailureTime"] = s.LastFailureMs,
        ["lastFailure"] = s.LastFailure,
        ["queued"] = s.Queued,
    };
}
