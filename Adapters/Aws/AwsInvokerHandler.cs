namespace Gateway.Adapters.Aws;

/// <summary>
/// Puts the gateway's pooled <see cref="HttpMessageInvoker"/> under AWSSDK.Core's <c>SigV4SigningHandler</c>, which
/// wants an <see cref="HttpMessageHandler"/>: every AWS destination then shares the gateway's connection pool and TLS
/// rules. The invoker is lent, so disposing this handler leaves it alone.
/// </summary>
internal sealed class AwsInvokerHandler(HttpMessageInvoker inner) : HttpMessageHandler
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
        inner.SendAsync(request, cancellationToken);
}
