using Google.Apis.Auth.OAuth2;
using Google.Apis.Auth.OAuth2.Responses;
using Microsoft.Extensions.Logging;

namespace Gateway.Adapters.PubSub;

/// <summary>
/// OAuth2 access tokens for one service account, through Google.Apis.Auth's <see cref="ServiceAccountCredential"/>
/// (a JWT assertion signed with the key, exchanged at the key's <c>token_uri</c> for a token with the Pub/Sub scope).
/// The credential caches the token and refreshes it shortly before it expires, one refresh at a time. After the token
/// endpoint refused the account, sends fail for <see cref="RefusalHold"/> without asking again.
/// </summary>
internal sealed class PubSubTokens
{
    public const string Scope = "https://www.googleapis.com/auth/pubsub";

    public static readonly TimeSpan RefusalHold = TimeSpan.FromSeconds(30);

    private readonly ServiceAccountCredential _credential;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly string _name;
    private long _refusedAt = long.MinValue;
    private DeliveryResult _refusal;

    private PubSubTokens(ServiceAccountCredential credential, TimeProvider time, ILogger logger, string name)
    {
        _credential = credential;
        _time = time;
        _logger = logger;
        _name = name;
    }

    /// <summary>The token source, or null with a reason (never quoting the key) when the key cannot be read.</summary>
    public static PubSubTokens? Create(ServiceAccountKey key, TimeProvider time, ILogger logger, string name, out string? problem)
    {
        problem = null;
        try
        {
            var initializer = new ServiceAccountCredential.Initializer(key.ClientEmail, key.TokenUri ?? GoogleAuthConsts.TokenUrl)
            {
                KeyId = key.PrivateKeyId,
                ProjectId = key.ProjectId,
                Scopes = [Scope],
            }.FromPrivateKey(key.PrivateKey);
            return new PubSubTokens(new ServiceAccountCredential(initializer), time, logger, name);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Google.Apis.Auth's own PKCS#8 decoder throws what it meets (NotSupportedException for an unknown ASN.1
            // tag, FormatException, CryptographicException, …): any of them means the key cannot be used.
            // The exception's text may quote part of the PEM: only its type is kept.
            problem = $"the service account's private_key cannot be read ({e.GetType().Name})";
            return null;
        }
    }

    /// <summary>A current access token, or null with the failure every message of the batch gets.</summary>
    public async ValueTask<(string? Token, DeliveryResult Failure)> GetAsync(CancellationToken cancellationToken)
    {
        var at = Volatile.Read(ref _refusedAt);
        if (at != long.MinValue && _time.GetElapsedTime(at) < RefusalHold)
            return (null, _refusal);
        try
        {
            var token = await _credential.GetAccessTokenForRequestAsync(null, cancellationToken).ConfigureAwait(false);
            return (token, default);
        }
        catch (TokenResponseException e)
        {
            // The error code (invalid_grant, …) is Google's fixed vocabulary; the description is not passed on.
            var code = Code(e.Error?.Error);
            var status = e.StatusCode is { } s ? (int)s : 0;
            if (status is 429 or >= 500)
            {
                PubSubLog.TokenFailed(_logger, _name, status, code);
                return (null, DeliveryResult.Transient(503, $"google/pubsub: the token endpoint is busy or failing (HTTP {status})"));
            }
            var refusal = DeliveryResult.Permanent(401, $"google/pubsub: the token endpoint refused the service account ({code})");
            PubSubLog.TokenRefused(_logger, _name, status, code);
            _refusal = refusal;
            Volatile.Write(ref _refusedAt, _time.GetTimestamp());
            return (null, refusal);
        }
        catch (HttpRequestException e)
        {
            PubSubLog.TokenUnreachable(_logger, _name, e.HttpRequestError);
            return (null, DeliveryResult.Transient(502, $"google/pubsub: the token endpoint is unreachable ({e.HttpRequestError})"));
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return (null, DeliveryResult.Transient(504, "google/pubsub: the token endpoint did not answer in time"));
        }
    }

    private static string Code(string? code) =>
        code is { Length: > 0 and <= 64 } && code.All(static c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.')
            ? code
            : "no error code";
}
