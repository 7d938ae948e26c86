using Gateway.Pipeline;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Gateway.Lpwa;

/// <summary>
/// Registration of LPWA ingestion: <see cref="AddLpwaIngestion"/> for the services and validated options,
/// <see cref="MapLpwaIngestion"/> for the routes, <see cref="UseLpwaIngestion"/> for a pipeline branch that serves
/// nothing else (the LPWA listener's).
/// </summary>
internal static class LpwaIngestionExtensions
{
    /// <summary>
    /// Binds <see cref="LpwaOptions"/> from <c>Gateway:Lpwa</c> of the root configuration, validated at start; the
    /// operator ID falls back to <c>Gateway:Admin:OperatorId</c> so that the API and Beam report the same operator.
    /// </summary>
    public static IServiceCollection AddLpwaIngestion(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<LpwaOptions>()
            .Bind(configuration.GetSection(LpwaOptions.SectionName))
            .PostConfigure(o => o.OperatorId ??= configuration["Gateway:Admin:OperatorId"] ?? "OP0000000000")
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<LpwaOptions>, LpwaOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.AddMessagePipeline();
        services.TryAddSingleton<LpwaIntegrations>();
        services.TryAddSingleton<LpwaIngestion>();
        return services;
    }

    /// <summary>
    /// <c>POST /lpwa/chirpstack/{integration}</c> (with <c>?event=</c>), <c>POST /lpwa/tts/{integration}</c>,
    /// <c>POST /lpwa/sigfox/{integration}</c>.
    /// </summary>
    public static IEndpointRouteBuilder MapLpwaIngestion(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        // Resolved per request, not here: resolving reads the options, and invalid options must surface as the
        // start-up validation error (exit 2), not as an exception while the pipeline is being built.
        endpoints.MapPost("/lpwa/chirpstack/{integration}", static c => c.RequestServices.GetRequiredService<LpwaIngestion>().HandleChirpStackAsync(c));
        endpoints.MapPost("/lpwa/tts/{integration}", static c => c.RequestServices.GetRequiredService<LpwaIngestion>().HandleTtsAsync(c));
        endpoints.MapPost("/lpwa/sigfox/{integration}", static c => c.RequestServices.GetRequiredService<LpwaIngestion>().HandleSigfoxAsync(c));
        return endpoints;
    }

    /// <summary>
    /// A branch with routing of its own that serves only the LPWA routes, anything else 404. The host's global
    /// routing has already matched the request against the admin API's routes; that match is dropped, so no admin
    /// route ever answers on the LPWA listener.
    /// </summary>
    public static IApplicationBuilder UseLpwaIngestion(this IApplicationBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.Use(static (context, next) =>
        {
            context.SetEndpoint(null);
            context.Request.RouteValues.Clear();
            return next(context);
        });
        app.UseRouting();
        app.UseEndpoints(static endpoints => endpoints.MapLpwaIngestion());
        app.Run(static context =>
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            context.Response.ContentType = "text/plain; charset=utf-8";
            return context.Response.WriteAsync("no such LPWA endpoint; use POST /lpwa/{chirpstack|tts|sigfox}/{integration}\n", context.RequestAborted);
        });
        return app;
    }
}
