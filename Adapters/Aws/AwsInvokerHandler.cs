namespace Gateway.Adapters.Aws;

/// <summary>
/// Puts the gateway's pooled <see cref="HttpMessageInvoker"/> under AWSSDK.Core's <c>SigV4SigningHandler</c>, which
/// wants an <see cref="HttpMessageHandler"/>: every AWS destination then shares the gateway's connection pool and TLS
/// rules. The invoker is lent, so disposing this handler leaves it alone.
/// </summary>
internal sealed class AwsInvokerHandler(HttpMessageInvoker inner) : HttpMessageHandler
{
    /// <summary>Set on a request once it is signed and on its way: a timeout before then was spent obtaining credentials.</summary>
    public static readonly HttpRequestOptionsKey<bool> Signed = new("Gateway.Aws.Signed");

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        request.Options.Set(Signed, true);
        return inner.SendAsync(request, cancellationToken);
    }
}
