using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Gateway.Signing.AspNetCore;

/// <summary>
/// Registration for backends that receive requests from the gateway (or from SORACOM Beam):
/// <c>services.AddSoracomSignatureVerification(o =&gt; o.Soracom.PreSharedKeys.Add("…"))</c>, then
/// <c>app.UseSoracomSignatureVerification()</c>, then <c>context.GetSoracomIdentity()</c> in endpoints.
/// </summary>
public static class SoracomVerificationExtensions
{
    /// <summary>Registers the options (validated at start) used by the verification middleware.</summary>
    public static IServiceCollection AddSoracomSignatureVerification(this IServiceCollection services, Action<SoracomVerificationOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<SoracomVerificationOptions>().Configure(configure).ValidateOnStart();
        services.AddSingleton<IValidateOptions<SoracomVerificationOptions>, SoracomVerificationOptionsValidator>();
        return services;
    }

    /// <summary>Adds the middleware: requests without a valid signature get 401 and the reason.</summary>
    public static IApplicationBuilder UseSoracomSignatureVerification(this IApplicationBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        return app.UseMiddleware<SoracomVerificationMiddleware>();
    }

    /// <summary>The identity verified for this request, or null when the middleware did not run.</summary>
    public static SoracomIdentity? GetSoracomIdentity(this HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.Features.Get<ISoracomIdentityFeature>()?.Identity;
    }
}
