using System.Net;
using Gateway.Registry;

namespace Gateway.Devices;

/// <summary>
/// The opening of every request/response device service on the HTTP device listener (the metadata service,
/// Endorse), in the order each calls it: <see cref="AdmitAsync"/> refuses a source address that is not a device with a
/// SIM of its own, <see cref="AnswerPreflight"/> adds the group's CORS origin and answers a browser's <c>OPTIONS</c>,
/// and <see cref="RefuseDisabledAsync"/> answers a group that has the service off. What differs between services
/// (codes, counters, the preflight's methods) comes in <see cref="DeviceServiceAnswers"/>; log lines go to the
/// service's own logger, so they keep its category.
/// </summary>
internal sealed partial class DeviceServicePrologue : IDisposable
{
    private readonly IdentityResolver _resolver;
    private readonly DeviceServiceAnswers _answers;
    private readonly ILogger _logger;

    // Refusals are logged a few per source per window, as on every device port; the metric counts every one.
    private readonly Diagnostics.LogRateLimiter _refusals;

    public DeviceServicePrologue(IdentityResolver resolver, DeviceServiceAnswers answers, ILogger logger, TimeProvider time)
    {
        _resolver = resolver;
        _answers = answers;
        _logger = logger;
        _refusals = new(logger, $"{answers.Name.ToLowerInvariant()}: refused requests", time);
    }

    public void Dispose() => _refusals.Dispose();

    /// <summary>The calling device, or null once the request has been answered 403.</summary>
    /// <remarks>A device with no SIM of its own (a group's address range) has no subscriber to serve.</remarks>
    public async Task<DeviceIdentity?> AdmitAsync(HttpContext context)
    {
        var remote = context.Connection.RemoteIpAddress!;
        var device = _resolver.ResolveAddress(remote);
        if (device.IsKnown && device.Subscriber is { IsAnonymous: false })
        {
            return device;
        }

        Count("refused");
        if (_refusals.Allow(remote))
        {
            LogRefused(_logger, _answers.Name, remote, device.Refusal);
        }

        await DeviceServiceError.WriteAsync(context, StatusCodes.Status403Forbidden, _answers.UnknownCode, "device not recognised");
        return null;
    }

    /// <summary>Adds the group's <c>Access-Control-Allow-Origin</c>, if any; true when the request was a preflight, now answered 204.</summary>
    /// <remarks>A preflight is answered whatever the path: the request that follows gets the real answer.</remarks>
    public bool AnswerPreflight(HttpContext context, string? allowOrigin)
    {
        if (allowOrigin is not null)
        {
            context.Response.Headers.AccessControlAllowOrigin = allowOrigin;
        }

        if (!HttpMethods.IsOptions(context.Request.Method))
        {
            return false;
        }

        context.Response.Headers.AccessControlAllowMethods = _answers.PreflightMethods;
        context.Response.Headers.AccessControlAllowHeaders = "Content-Type";
        context.Response.StatusCode = StatusCodes.Status204NoContent;
        return true;
    }

    /// <summary>Answers 403 with the service's "not enabled" code and message.</summary>
    public Task RefuseDisabledAsync(HttpContext context)
    {
        Count("disabled");
        return DeviceServiceError.WriteAsync(context, StatusCodes.Status403Forbidden, _answers.DisabledCode, _answers.DisabledMessage);
    }

    private void Count(string result) => DeviceMetrics.Count(_answers.Route.EntryPoint, result);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Service}: refused {RemoteAddress} ({Refusal})")]
    private static partial void LogRefused(ILogger logger, string service, IPAddress remoteAddress, RefusalReason refusal);
}
