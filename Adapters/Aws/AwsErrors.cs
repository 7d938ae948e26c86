using System.Globalization;

namespace Gateway.Adapters.Aws;

/// <summary>
/// Maps AWS's error codes (a response's <c>__type</c> or <c>x-amzn-ErrorType</c>, a record's <c>ErrorCode</c>) and
/// HTTP statuses to delivery results. Reasons are fixed texts plus the code: AWS's own messages can quote the
/// canonical request, and so a session token, and are never passed on.
/// </summary>
internal static class AwsErrors
{
    /// <summary>The result for an error <paramref name="code"/> (may be null) answered with <paramref name="status"/> (0 for a per-record error).</summary>
    public static DeliveryResult Map(AwsService service, string? code, int status, string name)
    {
        var prefix = service.Name + ": ";
        var what = service == AwsService.Iot ? "topic" : service == AwsService.Firehose ? "delivery stream" : "stream";
        var tag = code is null ? $"HTTP {status.ToString(CultureInfo.InvariantCulture)}" : code;
        switch (code)
        {
            case "ResourceNotFoundException":
                return DeliveryResult.Permanent(404, $"{prefix}{what} '{name}' does not exist ({tag})");
            case "ResourceInUseException":
                return DeliveryResult.Transient(503, $"{prefix}{what} '{name}' is not active yet ({tag})");
            case "ProvisionedThroughputExceededException" or "ThrottlingException" or "Throttling" or "ThrottledException"
                or "LimitExceededException" or "KMSThrottlingException" or "RequestLimitExceeded" or "TooManyRequestsException"
                or "SlowDown":
                return DeliveryResult.Transient(503, $"{prefix}throttled by AWS ({tag})");
            case "ServiceUnavailableException" or "ServiceUnavailable" or "InternalFailure" or "InternalFailureException"
                or "InternalServerError" or "InternalError" or "InternalServiceError":
                return DeliveryResult.Transient(status is >= 500 ? status : 503, $"{prefix}AWS failed to take the request ({tag})");
            case "UnrecognizedClientException" or "InvalidSignatureException" or "IncompleteSignature" or "IncompleteSignatureException"
                or "MissingAuthenticationToken" or "MissingAuthenticationTokenException" or "InvalidClientTokenId" or "SignatureDoesNotMatch"
                or "ExpiredTokenException" or "ExpiredToken" or "UnauthorizedException" or "RequestExpired" or "AuthFailure":
                return DeliveryResult.Permanent(401, $"{prefix}AWS refused the request's signature or credentials (access key, secret, session token or clock) ({tag})");
            case "AccessDeniedException" or "AccessDenied" or "ForbiddenException":
                return DeliveryResult.Permanent(403, $"{prefix}the credentials may not write to {what} '{name}' ({tag})");
            case "KMSAccessDeniedException" or "KMSDisabledException" or "KMSInvalidStateException" or "KMSNotFoundException"
                or "KMSOptInRequired" or "InvalidKMSResourceException":
                return DeliveryResult.Permanent(403, $"{prefix}the {what}'s KMS key cannot be used ({tag})");
            case "RequestEntityTooLargeException":
                return DeliveryResult.Permanent(413, $"{prefix}the message is larger than AWS takes ({tag})");
            case "ValidationException" or "InvalidArgumentException" or "SerializationException" or "InvalidRequestException"
                or "InvalidParameterException" or "MethodNotAllowedException" or "UnsupportedDocumentEncodingException":
                return DeliveryResult.Permanent(400, $"{prefix}AWS refused the request as invalid ({tag})");
        }

        return status switch
        {
            401 or 403 => DeliveryResult.Permanent(status, $"{prefix}AWS refused the request's credentials ({tag})"),
            404 => DeliveryResult.Permanent(404, $"{prefix}{what} '{name}' or the endpoint does not exist ({tag})"),
            413 => DeliveryResult.Permanent(413, $"{prefix}the message is larger than AWS takes ({tag})"),
            408 or 429 => DeliveryResult.Transient(503, $"{prefix}throttled by AWS ({tag})"),
            >= 500 => DeliveryResult.Transient(status, $"{prefix}AWS failed to take the request ({tag})"),
            >= 400 => DeliveryResult.Permanent(status, $"{prefix}AWS refused the request ({tag})"),
            _ => DeliveryResult.Transient(502, $"{prefix}AWS answered with an unexpected error ({tag})"),
        };
    }

    /// <summary>
    /// The error code in a JSON error body's <c>__type</c> or in <c>x-amzn-ErrorType</c>, without the namespace
    /// (<c>com.amazon.coral.service#</c>) or the documentation URL after a colon.
    /// </summary>
    public static string? Code(string? header, ReadOnlySpan<byte> body)
    {
        var code = header;
        if (string.IsNullOrEmpty(code) && body.Length > 0)
        {
            try
            {
                var reader = new System.Text.Json.Utf8JsonReader(body);
                if (reader.Read() && reader.TokenType == System.Text.Json.JsonTokenType.StartObject)
                {
                    while (reader.Read() && reader.TokenType == System.Text.Json.JsonTokenType.PropertyName)
                    {
                        var isType = reader.ValueTextEquals("__type"u8) || reader.ValueTextEquals("code"u8);
                        reader.Read();
                        if (isType && reader.TokenType == System.Text.Json.JsonTokenType.String)
                        {
                            code = reader.GetString();
                            break;
                        }

                        reader.Skip();
                    }
                }
            }
            catch (System.Text.Json.JsonException)
            {
                // Not JSON (a proxy's HTML page): the status alone decides.
            }
        }

        if (string.IsNullOrEmpty(code))
        {
            return null;
        }

        var hash = code.LastIndexOf('#');
        if (hash >= 0)
        {
            code = code[(hash + 1)..];
        }

        var colon = code.IndexOf(':', StringComparison.Ordinal);
        if (colon >= 0)
        {
            code = code[..colon];
        }

        // Only a plain identifier is put in a reason, so nothing a peer chose to send can reach the error log.
        code = code.Trim();
        return code.Length is > 0 and <= 64 && code.All(char.IsAsciiLetterOrDigit) ? code : null;
    }
}
