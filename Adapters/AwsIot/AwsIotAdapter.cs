using System.Net.Http.Headers;
using Gateway.Adapters.Aws;

namespace Gateway.Adapters.AwsIot;

/// <summary>
/// Publishes each message to AWS IoT Core over HTTPS (<c>POST /topics/&lt;topic&gt;?qos=1</c> on the account's data
/// endpoint, SigV4 service <c>iotdata</c>): one request per message, as the data plane has no batch publish; the
/// dispatcher runs several at once. 200 is delivered; AWS's errors map as <see cref="AwsErrors"/> says.
/// </summary>
internal sealed class AwsIotAdapter(AwsSettings settings, AwsHttp http) : IFunnelAdapter
{
    /// <summary>AWS IoT Core's limit on a message's payload.</summary>
    public const int MaxPayloadBytes = 128 * 1024;

    public int MaxBatchSize => 1;

    public int MaxMessageBytes => MaxPayloadBytes;

    public async Task SendAsync(IReadOnlyList<OutgoingMessage> batch, DeliveryResult[] results, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(results);
        for (var i = 0; i < batch.Count; i++)
        {
            results[i] = await PublishAsync(batch[i], cancellationToken);
        }
    }

    private async Task<DeliveryResult> PublishAsync(OutgoingMessage message, CancellationToken cancellationToken)
    {
        const string service = "aws-iot";
        if (message.Body.Length > MaxPayloadBytes)
        {
            return DeliveryResult.Permanent(413, $"{service}: the message is {message.Body.Length} bytes; AWS IoT takes at most {MaxPayloadBytes}");
        }

        var topic = settings.Endpoint.NameFor(message.Target, out var problem);
        if (topic is null)
        {
            return DeliveryResult.Permanent(400, $"{service}: {problem}");
        }

        if (message.Target is not null && AwsSettings.NameError(AwsService.Iot, topic) is { } error)
        {
            return DeliveryResult.Permanent(400, $"{service}: {error}");
        }

        // The topic is one path segment of the publish URL, so its slashes are escaped (%2F) as AWS's SDKs do.
        var uri = new Uri(http.BaseUri, "/topics/" + Uri.EscapeDataString(topic) + "?qos=1");
        using var request = new HttpRequestMessage(HttpMethod.Post, uri) { Content = new ReadOnlyMemoryContent(message.Body) };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(message.ContentType);
        var answer = await http.SendAsync(request, cancellationToken);
        if (answer.Failure is { } failure)
        {
            return failure;
        }

        return answer.IsSuccess ? DeliveryResult.Ok : AwsErrors.Map(AwsService.Iot, answer.ErrorCode, answer.Status, topic);
    }

    public ValueTask DisposeAsync()
    {
        http.Dispose();
        return ValueTask.CompletedTask;
    }
}
