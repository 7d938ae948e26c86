using System.Net.Http.Headers;
using System.Text;
using Gateway.Admin;

namespace Gateway.Metrics;

/// <summary>The Prometheus scrape endpoint on the admin port.</summary>
internal static class MetricsEndpoint
{
    /// <summary>The SAM operation a key needs to scrape when <see cref="MetricsOptions.RequireAuth"/> is on.</summary>
    public const string Operation = "Metrics:getMetrics";

    /// <summary>
    /// Maps the scrape endpoint. It is a route, so it answers on the admin port only: device ports are branched off
    /// before routing (see <c>GatewayHost.MapDevicePorts</c>).
    /// </summary>
    public static void MapMetrics(this IEndpointRouteBuilder app, MetricsOptions options)
    {
        if (!options.Enabled)
        {
            return;
        }

        app.MapPrometheusScrapingEndpoint(options.Path, meterProvider: null, configureBranchedPipeline: options.RequireAuth ? static b => b.Use(AuthorizeAsync) : null, optionsName: null);
    }

    private static async Task AuthorizeAsync(HttpContext context, RequestDelegate next)
    {
        var auth = context.RequestServices.GetRequiredService<AdminAuth>();
        var permission = FromBasic(auth, context.Request.Headers.Authorization.ToString())
            ?? auth.Validate(context.Request.Headers["X-Soracom-API-Key"].FirstOrDefault(), context.Request.Headers["X-Soracom-Token"].FirstOrDefault(), out _);
        if (permission is null)
        {
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            context.Response.Headers.WWWAuthenticate = "Basic realm=\"gateway metrics\"";
            await context.Response.WriteAsync("an auth key (HTTP Basic: auth key ID and secret) or X-Soracom-API-Key and X-Soracom-Token are required\n");
            return;
        }

        var facts = new RequestFacts(context.Connection.RemoteIpAddress, context.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow());
        if (!permission.Allows(Operation, facts))
        {
            context.Response.StatusCode = StatusCodes.Status403Forbidden;
            await context.Response.WriteAsync($"Not permitted: {Operation}\n");
            return;
        }

        await next(context);
    }

    private static SamPermission? FromBasic(AdminAuth auth, string header)
    {
        if (!AuthenticationHeaderValue.TryParse(header, out var value)
            || !string.Equals(value.Scheme, "Basic", StringComparison.OrdinalIgnoreCase) || value.Parameter is null)
        {
            return null;
        }

        string decoded;
        try
        {
            decoded = Encoding.UTF8.GetString(Convert.FromBase64String(value.Parameter));
        }
        catch (FormatException)
        {
            return null;
        }

        var colon = decoded.IndexOf(':', StringComparison.Ordinal);
        return colon > 0 ? auth.ValidateKey(decoded[..colon], decoded[(colon + 1)..]) : null;
    }
}
