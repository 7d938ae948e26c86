using System.Diagnostics.Metrics;
using System.Security.Cryptography;
using Gateway.Signing.MessageSignatures;
using Gateway.Signing.Soracom;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Gateway.Signing.AspNetCore;

/// <summary>
/// Rejects requests whose SORACOM signature (and, when required, RFC 9421 signature and body digest) does not
/// verify, with 401 and the reason as plain text; otherwise publishes the identity as
/// <see cref="ISoracomIdentityFeature"/> and calls the next middleware.
/// </summary>
internal sealed partial class SoracomVerificationMiddleware
{
    internal const string MeterName = "Gateway.Signing";
    private static readonly Meter s_meter = new(MeterName);
    private static readonly Counter<long> s_verifications = s_meter.CreateCounter<long>(
        "gateway.signing.verifications", description: "Requests checked by the signature middleware, by result.");

    private readonly RequestDelegate _next;
    private readonly ILogger<SoracomVerificationMiddleware> _logger;
    private readonly SoracomSignatureVerifier _soracom;
    private readonly HttpMessageSignatureVerifier? _messages;
    private readonly long _maxBody;

    public SoracomVerificationMiddleware(
        RequestDelegate next,
        IOptions<SoracomVerificationOptions> options,
        ILogger<SoracomVerificationMiddleware> logger,
        TimeProvider? timeProvider = null)
    {
        _next = next;
        _logger = logger;
        var o = options.Value; // IValidateOptions has run: a bad configuration fails here, at start.
        _soracom = new SoracomSignatureVerifier(o.Soracom, timeProvider);
        _messages = o.RequireMessageSignature ? new HttpMessageSignatureVerifier(o.MessageSignatures, timeProvider) : null;
        _maxBody = o.MaxDigestBodyBytes;
    }

    public async Task InvokeAsync(HttpContext context)
    {
        var verdict = _soracom.Verify(context.Request.Headers);
        if (!verdict.IsValid)
        {
            await RejectAsync(context, StatusCodes.Status401Unauthorized, verdict.Failure, verdict.Reason);
            return;
        }

        string? keyId = null;
        if (_messages is not null)
        {
            var (status, failure, reason) = await VerifyMessageSignatureAsync(context);
            if (status != 0)
            {
                await RejectAsync(context, status, failure, reason!);
                return;
            }

            keyId = reason;
        }

        s_verifications.Add(1, new KeyValuePair<string, object?>("result", "ok"));
        context.Features.Set<ISoracomIdentityFeature>(new SoracomIdentityFeature(verdict.Identity!, verdict.TimestampMs, keyId));
        await _next(context);
    }

    /// <returns>Status 0 and the key ID on success; otherwise the status, failure and reason.</returns>
    private async Task<(int Status, SignatureFailure Failure, string? Reason)> VerifyMessageSignatureAsync(HttpContext context)
    {
        var request = context.Request;
        var digestHeader = request.Headers[ContentDigest.HeaderName].ToString();
        if (digestHeader.Length > 0)
        {
            if (request.ContentLength > _maxBody)
            {
                return (StatusCodes.Status413PayloadTooLarge, SignatureFailure.DigestMismatch, $"body larger than {_maxBody} bytes cannot be digest-checked");
            }

            request.EnableBuffering(bufferThreshold: 64 * 1024, bufferLimit: _maxBody);
            using var sha256 = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            using var sha512 = ContentDigest.UsesSha512(digestHeader) ? IncrementalHash.CreateHash(HashAlgorithmName.SHA512) : null;
            var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(16 * 1024);
            try
            {
                long total = 0;
                int n;
                while ((n = await request.Body.ReadAsync(buffer, context.RequestAborted)) > 0)
                {
                    total += n;
                    if (total > _maxBody)
                    {
                        return (StatusCodes.Status413PayloadTooLarge, SignatureFailure.DigestMismatch, $"body larger than {_maxBody} bytes cannot be digest-checked");
                    }

                    sha256.AppendData(buffer, 0, n);
                    sha512?.AppendData(buffer, 0, n);
                }
            }
            catch (IOException) when (request.Body.CanSeek)
            {
                // EnableBuffering's limit trips as an IOException.
                return (StatusCodes.Status413PayloadTooLarge, SignatureFailure.DigestMismatch, $"body larger than {_maxBody} bytes cannot be digest-checked");
            }
            finally
            {
                System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
            }

            request.Body.Position = 0;
            if (!ContentDigest.Verify(digestHeader, sha256.GetHashAndReset(), sha512 is null ? [] : sha512.GetHashAndReset(), out var digestReason))
            {
                return (StatusCodes.Status401Unauthorized, SignatureFailure.DigestMismatch, digestReason);
            }
        }

        var message = HttpMessageComponents.FromRequest(request);
        var result = _messages!.Verify(message, HeaderOrNull(request, "Signature-Input"), HeaderOrNull(request, "Signature"));
        return result.IsValid ? (0, SignatureFailure.None, result.KeyId) : (StatusCodes.Status401Unauthorized, result.Failure, result.Reason);
    }

    private static string? HeaderOrNull(HttpRequest request, string name) =>
        request.Headers.TryGetValue(name, out var v) ? v.ToString() : null;

    private async Task RejectAsync(HttpContext context, int status, SignatureFailure failure, string reason)
    {
        s_verifications.Add(1, new KeyValuePair<string, object?>("result", failure.ToString()));
        LogRejected(_logger, status, failure, reason, context.Connection.RemoteIpAddress?.ToString() ?? "-", context.Request.Path);
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/plain; charset=utf-8";
        if (status == StatusCodes.Status401Unauthorized)
        {
            context.Response.Headers.WWWAuthenticate = "SoracomSignature";
        }

        await context.Response.WriteAsync(reason + "\n", context.RequestAborted);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Signature rejected ({Status} {Failure}): {Reason}; client {RemoteAddress}, path {Path}")]
    private static partial void LogRejected(ILogger logger, int status, SignatureFailure failure, string reason, string remoteAddress, string path);
}
