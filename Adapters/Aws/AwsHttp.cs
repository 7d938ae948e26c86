using System.Globalization;
using System.Net.Sockets;
using Amazon;
using Amazon.Runtime;
using Amazon.Runtime.Signing;
using Microsoft.Extensions.Logging;

namespace Gateway.Adapters.Aws;

/// <summary>
/// Sends requests to one AWS endpoint, signed with SigV4 by AWSSDK.Core's <see cref="SigV4SigningHandler"/> over the
/// gateway's pooled HTTP client, each bounded by the destination's timeout. One per adapter. Failures to ask (the
/// peer unreachable or slow, credentials not obtainable) come back as results with reasons that name the host and
/// port and the error's kind, never a URL path or a secret.
/// </summary>
internal sealed class AwsHttp : IDisposable
{
    /// <summary>More than any answer of these APIs (500 records' results are under 100 KiB).</summary>
    private const int MaxAnswerBytes = 1 << 20;

    private readonly HttpMessageInvoker _signed;
    private readonly AwsService _service;
    private readonly AwsEndpoint _endpoint;
    private readonly TimeSpan _timeout;
    private readonly ILogger _logger;

    public AwsHttp(AwsService service, AwsEndpoint endpoint, AWSCredentials credentials, string region, TimeSpan timeout, AdapterContext context)
    {
        _service = service;
        _endpoint = endpoint;
        _timeout = timeout;
        _logger = context.LoggerFactory.CreateLogger<AwsHttp>();
        var signer = new SigV4SigningHandler(credentials, RegionEndpoint.GetBySystemName(region), service.SigningName, new AwsInvokerHandler(context.Http));
        _signed = new HttpMessageInvoker(signer, disposeHandler: true);
    }

    public Uri BaseUri => _endpoint.BaseUri;

    public async Task<AwsAnswer> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_timeout);
        try
        {
            using var response = await SendBoundedAsync(request, timeout.Token);
            var body = await ReadAsync(response.Content, timeout.Token);
            var status = (int)response.StatusCode;
            if (status is >= 200 and < 300)
            {
                return new AwsAnswer(status, body, null, null);
            }

            var header = response.Headers.TryGetValues("x-amzn-ErrorType", out var values) ? values.FirstOrDefault() : null;
            return new AwsAnswer(status, body, AwsErrors.Code(header, body), null);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && !request.Options.TryGetValue(AwsInvokerHandler.Signed, out _))
        {
            return Failed(DeliveryResult.Transient(504, $"{_service.Name}: could not obtain AWS credentials within {_timeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s (STS or the default chain was slow)"));
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return Failed(DeliveryResult.Transient(504, $"{_service.Name}: {_endpoint.Label} did not answer within {_timeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s"));
        }
        catch (HttpRequestException e)
        {
            // The exception's message can carry the whole URL; the error kind and socket error are enough to act on.
            var detail = e.InnerException is SocketException s ? s.SocketErrorCode.ToString() : e.HttpRequestError.ToString();
            return Failed(request.Options.TryGetValue(AwsInvokerHandler.Signed, out _)
                ? DeliveryResult.Transient(502, $"{_service.Name}: could not reach {_endpoint.Label} ({detail})")
                : DeliveryResult.Transient(503, $"{_service.Name}: could not obtain AWS credentials (STS unreachable: {detail})"));
        }
        catch (AmazonClientException e)
        {
            // Obtaining credentials failed while signing. The SDK wraps STS's refusal of AssumeRole; an AmazonClientException
            // alone means no identity for the default chain, or STS unreachable. Neither message goes to a reason.
            var refusal = Refusal(e);
            AwsLog.CredentialsFailed(_logger, _service.Name, _endpoint.Label, refusal is null ? "client" : "sts", refusal?.ErrorCode);
            if (refusal is null)
            {
                return Failed(DeliveryResult.Transient(503, $"{_service.Name}: could not obtain AWS credentials (no identity for the gateway's default chain, or STS unreachable)"));
            }

            var code = AwsErrors.Code(refusal.ErrorCode, default) ?? "unknown";
            return Failed((int)refusal.StatusCode is >= 400 and < 500 and not 429 && code is not ("Throttling" or "ThrottlingException")
                ? DeliveryResult.Permanent(401, $"{_service.Name}: STS refused to assume the credential set's role ({code})")
                : DeliveryResult.Transient(503, $"{_service.Name}: STS could not be asked for the role's credentials ({code})"));
        }
    }

    /// <summary>
    /// Sends, giving up when <paramref name="cancellationToken"/> fires even while the signer is still obtaining
    /// credentials: AssumeRole's STS call takes no cancellation token and retries on its own, so a slow STS would
    /// otherwise hold the device's reply past the destination's timeout. The abandoned send is left to finish; its
    /// response or failure is disposed or observed.
    /// </summary>
    private async Task<HttpResponseMessage> SendBoundedAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var sending = _signed.SendAsync(request, cancellationToken);
        try
        {
            return await sending.WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException) when (!sending.IsCompleted)
        {
            _ = sending.ContinueWith(
                static t =>
                {
                    if (t.IsCompletedSuccessfully)
                    {
                        t.Result.Dispose();
                    }
                    else
                    {
                        _ = t.Exception;
                    }
                },
                CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);
            throw;
        }
    }

    /// <summary>STS's answer inside a credentials failure, if STS answered at all.</summary>
    private static AmazonServiceException? Refusal(Exception e)
    {
        for (Exception? inner = e; inner is not null; inner = inner.InnerException)
        {
            if (inner is AmazonServiceException service)
            {
                return service;
            }
        }

        return null;
    }

    private static AwsAnswer Failed(DeliveryResult result) => new(0, [], null, result);

    private static async Task<byte[]> ReadAsync(HttpContent content, CancellationToken cancellationToken)
    {
        await using var stream = await content.ReadAsStreamAsync(cancellationToken);
        using var copy = new MemoryStream();
        var buffer = new byte[16 * 1024];
        int read;
        while ((read = await stream.ReadAsync(buffer, cancellationToken)) > 0)
        {
            if (copy.Length + read > MaxAnswerBytes)
            {
                break; // an answer this large is not one of AWS's; what was read decides
            }

            copy.Write(buffer, 0, read);
        }

        return copy.ToArray();
    }

    public void Dispose() => _signed.Dispose();
}
