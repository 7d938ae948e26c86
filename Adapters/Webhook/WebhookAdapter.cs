using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using Gateway.Signing;
using Gateway.Signing.MessageSignatures;
using Gateway.Signing.Soracom;

namespace Gateway.Adapters.Webhook;

/// <summary>
/// Posts one message per request (<see cref="MaxBatchSize"/> 1: an HTTP endpoint has no batch form that every
/// receiver understands). 2xx is delivered; 408, 429, 5xx, connection failures and timeouts are transient; any
/// other status is permanent. Reasons name the host and port only: a URL's path or query may hold a token.
/// </summary>
internal sealed class WebhookAdapter : IFunnelAdapter
{
    private readonly Uri? _fixedUri;
    private readonly string _label;
    private readonly SoracomSigner? _signer;
    private readonly HttpMessageSigner? _messageSigner;
    private readonly TimeSpan _timeout;
    private readonly HttpMessageInvoker _http;
    private readonly TimeProvider _time;

    public WebhookAdapter(FunnelDestination destination, string? psk, string? messageSignatureKeyId, TimeSpan timeout, int maxBodyBytes, AdapterContext context)
    {
        if (!destination.IsPerSubscriber && Uri.TryCreate(destination.ResourceUrl, UriKind.Absolute, out var uri))
        {
            _fixedUri = uri;
        }

        var sample = new Uri(destination.ResourceUrl.Replace("#{imsi}", "0", StringComparison.Ordinal));
        _label = sample.IsDefaultPort ? sample.Host : $"{sample.Host}:{sample.Port.ToString(CultureInfo.InvariantCulture)}";
        if (psk is { Length: > 0 })
        {
            _signer = new SoracomSigner(psk);
            _messageSigner = messageSignatureKeyId is null ? null : new HttpMessageSigner(messageSignatureKeyId, Encoding.UTF8.GetBytes(psk));
        }

        _timeout = timeout;
        MaxMessageBytes = maxBodyBytes;
        _http = context.Http;
        _time = context.Time;
    }

    public int MaxBatchSize => 1;

    public int MaxMessageBytes { get; }

    public async Task SendAsync(IReadOnlyList<OutgoingMessage> batch, DeliveryResult[] results, CancellationToken cancellationToken)
    {
        for (var i = 0; i < batch.Count; i++)
        {
            results[i] = await SendOneAsync(batch[i], cancellationToken);
        }
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private async Task<DeliveryResult> SendOneAsync(OutgoingMessage message, CancellationToken cancellationToken)
    {
        var uri = _fixedUri;
        if (message.Target is not null && !Uri.TryCreate(message.Target, UriKind.Absolute, out uri))
        {
            return DeliveryResult.Permanent(502, $"the resourceUrl for {_label} is not a valid URL once #{{imsi}} is replaced");
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, uri) { Content = new ReadOnlyMemoryContent(message.Body) };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(message.ContentType);
        request.Headers.TryAddWithoutValidation("X-Message-Id", message.MessageId);
        AddIdentity(request, message);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_timeout);
        try
        {
            using var response = await _http.SendAsync(request, timeout.Token);
            var status = (int)response.StatusCode;
            return status switch
            {
                >= 200 and < 300 => DeliveryResult.Ok,
                408 or 429 or >= 500 => DeliveryResult.Transient(status, $"{_label} answered {status.ToString(CultureInfo.InvariantCulture)}"),
                _ => DeliveryResult.Permanent(status, $"{_label} answered {status.ToString(CultureInfo.InvariantCulture)}"),
            };
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return DeliveryResult.Transient(504, $"{_label} did not answer within {_timeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s");
        }
        catch (HttpRequestException e)
        {
            // The exception's message can carry the whole URL; the error kind and socket error are enough to act on.
            var detail = e.InnerException is SocketException s ? s.SocketErrorCode.ToString() : e.HttpRequestError.ToString();
            return DeliveryResult.Transient(502, $"could not reach {_label} ({detail})");
        }
    }

    /// <summary>
    /// The identity headers always (they are no secret, and the envelope carries the same values), signed with
    /// SORACOM's <c>20151001</c> signature when a psk credential set is given, and covered by RFC 9421 when asked.
    /// The signature's timestamp is the send time, so a retry is not taken for a replay by a verifier that keeps
    /// a replay cache.
    /// </summary>
    private void AddIdentity(HttpRequestMessage request, OutgoingMessage message)
    {
        var identity = new SoracomIdentity { Imsi = Attribute(message, "imsi"), Imei = Attribute(message, "imei"), SimId = Attribute(message, "simId") };
        if (identity.IsEmpty)
        {
            return;
        }

        var headers = _signer is null
            ? SoracomSigner.CreateIdentityHeaders(identity)
            : _signer.CreateHttpHeaders(identity, _time.GetUtcNow().ToUnixTimeMilliseconds());
        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        if (_messageSigner is not null)
        {
            var digest = ContentDigest.Compute(message.Body.Span);
            request.Headers.TryAddWithoutValidation(ContentDigest.HeaderName, digest);
            var identityHeaders = headers.Where(static h => h.Key != SoracomSignature.SignatureHeader).ToList();
            var covered = new List<KeyValuePair<string, string>>(identityHeaders) { new(ContentDigest.HeaderName, digest) };
            var signature = _messageSigner.Sign(
                new HttpMessageComponents("POST", request.RequestUri!, covered),
                HttpMessageSigner.DefaultComponents(identityHeaders.Select(static h => h.Key)),
                _time.GetUtcNow());
            request.Headers.TryAddWithoutValidation("Signature-Input", signature.SignatureInput);
            request.Headers.TryAddWithoutValidation("Signature", signature.Signature);
        }
    }

    private static string? Attribute(OutgoingMessage message, string name)
    {
        foreach (var (key, value) in message.Attributes)
        {
            if (key == name)
            {
                return value;
            }
        }

        return null;
    }
}
