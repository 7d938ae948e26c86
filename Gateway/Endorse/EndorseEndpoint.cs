using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Gateway.Devices;
using Gateway.Pipeline;
using Gateway.Registry;
using Microsoft.Extensions.Options;

namespace Gateway.Endorse;

/// <summary>
/// Endorse on Host <c>endorse.</c> of the HTTP device listener. A device GETs or POSTs <c>/</c> (or <c>/v1/token</c>)
/// and gets <c>{"token": "&lt;JWT&gt;"}</c> vouching for the SIM its source address resolves to; with
/// <c>redirect_url</c> it is sent there instead, the token in <c>soracom_endorse_token</c>. The public keys are at
/// <c>/.well-known/jwks.json</c> and, as a certificate, at <c>/&lt;kid&gt;</c>; those two need no device identity, since
/// the backends that verify tokens are not devices.
/// </summary>
internal sealed partial class EndorseEndpoint(
    IdentityResolver resolver, EndorseKeyStore keys, IOptions<EndorseOptions> options, TimeProvider time, ILogger<EndorseEndpoint> logger)
    : IDeviceHostHandler, IDisposable
{
    // What the shared opening (refusal, CORS, preflight, "not enabled") answers for this service.
    private static readonly DeviceServiceAnswers s_answers =
        new("Endorse", DeviceHostRoute.Endorse, "END0001", "END0002", DisabledMessage, "GET, POST");

    private readonly DeviceServicePrologue _prologue = new(resolver, s_answers, logger, time);

    public void Dispose() => _prologue.Dispose();

    public const string JwksPath = "/.well-known/jwks.json";

    public const string RedirectParameter = "redirect_url";

    public const string TokenParameter = "soracom_endorse_token";

    /// <summary>Request parameters end up in a token a backend parses; a few kilobytes is plenty.</summary>
    public const int MaxBodyBytes = 16 * 1024;

    public const string DisabledMessage = "Endorse is not enabled for the group of this SIM.";

    private readonly byte[] _jwks = EndorseToken.Jwks(keys.All);

    public DeviceHostRoute Route => DeviceHostRoute.Endorse;

    public async Task HandleAsync(HttpContext context)
    {
        var path = context.Request.Path.Value ?? "/";
        if (HttpMethods.IsGet(context.Request.Method) && path == JwksPath)
        {
            context.Response.ContentType = "application/json";
            await context.Response.Body.WriteAsync(_jwks, context.RequestAborted);
            return;
        }

        if (HttpMethods.IsGet(context.Request.Method) && path.Length > 1 && keys.All.FirstOrDefault(k => path.AsSpan(1).SequenceEqual(k.Kid)) is { } key)
        {
            context.Response.ContentType = "application/x-pem-file";
            await context.Response.WriteAsync(key.CertificatePem, context.RequestAborted);
            return;
        }

        if (await _prologue.AdmitAsync(context) is not { } device)
        {
            return;
        }

        var settings = EndorseSettings.For(device.Group);
        if (_prologue.AnswerPreflight(context, settings.AllowOrigin))
        {
            return;
        }

        if (path is not ("/" or "/v1/token"))
        {
            Count("not_found");
            await ErrorAsync(context, StatusCodes.Status404NotFound, "END0004", $"no such path: {path}");
            return;
        }

        if (!HttpMethods.IsGet(context.Request.Method) && !HttpMethods.IsPost(context.Request.Method))
        {
            context.Response.Headers.Allow = "GET, POST";
            await ErrorAsync(context, StatusCodes.Status405MethodNotAllowed, "END0005", "Endorse takes GET or POST");
            return;
        }

        if (!settings.Enabled)
        {
            await _prologue.RefuseDisabledAsync(context);
            return;
        }

        string? redirect = context.Request.Query[RedirectParameter];
        if (redirect is not null && !settings.AllowsRedirect(redirect))
        {
            Count("redirect_refused");
            LogRedirectRefused(logger, device.Label, redirect);
            await ErrorAsync(context, StatusCodes.Status400BadRequest, "END0003", $"{RedirectParameter} is not one of this group's authorizedRedirectUrls");
            return;
        }

        JsonObject? parameters = null;
        if (settings.RequestParameters)
        {
            var (read, error) = await RequestParametersAsync(context);
            if (error is not null)
            {
                Count("bad_request");
                await ErrorAsync(context, StatusCodes.Status400BadRequest, "COM0001", error);
                return;
            }

            parameters = read;
        }

        var token = EndorseToken.Create(keys.Current, options.Value.Issuer, time.GetUtcNow(), settings.TokenTimeoutSeconds, w => WriteClaim(w, device, settings, parameters));
        Count("ok");
        if (redirect is not null)
        {
            var separator = redirect.Contains('?', StringComparison.Ordinal) ? '&' : '?';
            var fragment = redirect.IndexOf('#', StringComparison.Ordinal);
            var target = fragment < 0
                ? $"{redirect}{separator}{TokenParameter}={token}"
                : $"{redirect[..fragment]}{separator}{TokenParameter}={token}{redirect[fragment..]}";
            context.Response.Redirect(target);
            return;
        }

        context.Response.ContentType = "application/json";
        context.Response.Headers.CacheControl = "no-store";
        await context.Response.WriteAsync(new JsonObject { ["token"] = token }.ToJsonString(), context.RequestAborted);
    }

    private static void WriteClaim(Utf8JsonWriter w, DeviceIdentity device, EndorseSettings settings, JsonObject? parameters)
    {
        var s = device.Subscriber!;
        if (settings.Imsi)
        {
            w.WriteString("imsi", s.Imsi);
        }

        if (settings.Imei && device.Imei is { } imei)
        {
            w.WriteString("imei", imei);
        }

        if (settings.Msisdn && s.Msisdn is { } msisdn)
        {
            w.WriteString("msisdn", msisdn);
        }

        if (settings.SimId && s.SimId is { } simId)
        {
            w.WriteString("simId", simId);
        }

        if (parameters is not null)
        {
            w.WritePropertyName("requestParameters");
            parameters.WriteTo(w);
        }
    }

    /// <summary>The query's parameters (but <c>redirect_url</c>) and a POST's JSON object or form fields, or why they cannot be read.</summary>
    private static async Task<(JsonObject? Parameters, string? Error)> RequestParametersAsync(HttpContext context)
    {
        var parameters = new JsonObject();
        foreach (var (name, values) in context.Request.Query)
        {
            if (name != RedirectParameter)
            {
                parameters[name] = values.ToString();
            }
        }

        if (!HttpMethods.IsPost(context.Request.Method))
        {
            return (parameters, null);
        }

        var body = context.Request.ContentLength > MaxBodyBytes
            ? null
            : await BoundedBody.ReadAsync(context.Request.Body, MaxBodyBytes, context.RequestAborted, context.Request.ContentLength);
        if (body is null)
        {
            return (null, $"the body may be at most {MaxBodyBytes} bytes");
        }

        if (body.Length == 0)
        {
            return (parameters, null);
        }

        if (context.Request.HasFormContentType)
        {
            foreach (var pair in Encoding.UTF8.GetString(body).Split('&', StringSplitOptions.RemoveEmptyEntries))
            {
                var eq = pair.IndexOf('=', StringComparison.Ordinal);
                var name = Uri.UnescapeDataString((eq < 0 ? pair : pair[..eq]).Replace('+', ' '));
                var value = eq < 0 ? string.Empty : Uri.UnescapeDataString(pair[(eq + 1)..].Replace('+', ' '));
                parameters[name] = value;
            }

            return (parameters, null);
        }

        if (StrictJson.Parse(body, lenient: false, out var error) is not JsonObject json)
        {
            return (null, error is null ? "a POST body must be a JSON object or form data" : $"the body is {error}");
        }

        foreach (var (name, value) in json)
        {
            parameters[name] = value?.DeepClone();
        }

        return (parameters, null);
    }

    private static void Count(string result) => DeviceMetrics.Count(DeviceHostRoute.Endorse.EntryPoint, result);

    private static Task ErrorAsync(HttpContext context, int status, string code, string message) =>
        DeviceServiceError.WriteAsync(context, status, code, message);

    [LoggerMessage(Level = LogLevel.Information, Message = "Endorse: subscriber {Imsi} asked for redirect_url {Url}, not in its group's authorizedRedirectUrls")]
    private static partial void LogRedirectRefused(ILogger logger, string imsi, string url);
}
