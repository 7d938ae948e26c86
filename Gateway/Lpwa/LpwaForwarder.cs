using System.Diagnostics;
using System.Net.Http.Headers;
using Gateway.Beam;
using Gateway.Registry;
using Gateway.Signing;
using Gateway.Signing.Soracom;
using Microsoft.Extensions.Options;

namespace Gateway.Lpwa;

/// <summary>
/// Sends an LPWA uplink to a group's <c>lorawan://</c> or <c>sigfox://</c> Beam entry as SORACOM does (spec §3, §10):
/// <c>POST</c>, JSON, <c>Connection: close</c>, always <c>x-soracom-operator-id</c> and <c>x-soracom-timestamp</c>;
/// the device-ID header when the entry adds it or signs; with a signature, the SORACOM <c>20151001</c> signature over
/// the device ID and the timestamp (the operator ID is not signed); then the entry's custom headers.
/// </summary>
internal sealed partial class LpwaForwarder(BeamHttpClient client, IOptions<LpwaOptions> options, ILogger<LpwaForwarder> logger)
{
    public const string OperatorIdHeader = "x-soracom-operator-id";

    private static readonly MediaTypeHeaderValue s_json = new("application/json");
    private readonly string _operatorId = options.Value.OperatorId ?? "OP0000000000";

    public async Task<LpwaUpstreamResult> PostAsync(
        LpwaNetwork network, DeviceIdentity device, BeamGroupConfig config, BeamEntry entry, SoracomIdentity identity, ReadOnlyMemory<byte> body, long timestampMs, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, entry.Destination) { Version = System.Net.HttpVersion.Version11 };
        request.Content = new ReadOnlyMemoryContent(body);
        request.Content.Headers.ContentType = s_json;
        request.Headers.ConnectionClose = true;
        request.Headers.TryAddWithoutValidation(OperatorIdHeader, _operatorId);

        // SORACOM signs the device ID even when its header option is off; the header then goes along too, so that
        // a verifier has what was signed.
        var signer = entry.AddSignature ? config.SignerFor(entry, device.Subscriber!.Imsi) : null;
        if (signer is not null)
        {
            foreach (var (name, value) in signer.CreateHttpHeaders(identity, timestampMs))
            {
                request.Headers.TryAddWithoutValidation(name, value);
            }
        }
        else
        {
            if (entry.AddDeviceId || entry.AddSignature)
            {
                foreach (var (name, value) in SoracomSigner.CreateIdentityHeaders(identity))
                {
                    request.Headers.TryAddWithoutValidation(name, value);
                }
            }

            request.Headers.TryAddWithoutValidation(SoracomSignature.TimestampHeader, BeamHeaders.Timestamp(timestampMs));
        }

        BeamHeaders.ApplyCustomHeaders(request, entry);

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(entry.Timeout);
        var started = Stopwatch.GetTimestamp();
        try
        {
            // Only the status matters to a network server; the body is not read.
            using var response = await client.For(entry).SendAsync(request, timeout.Token);
            LpwaMetrics.UpstreamDuration(network, Stopwatch.GetElapsedTime(started));
            return new LpwaUpstreamResult((int)response.StatusCode, null);
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or IOException && !cancellationToken.IsCancellationRequested)
        {
            var failure = UpstreamFailure.Classify(e, entry.Timeout, timeout.IsCancellationRequested);
            LogUpstreamFailed(logger, LpwaMetrics.Tag(network), device.Subscriber!.Imsi, entry.Destination.GetLeftPart(UriPartial.Authority), failure.Reason);
            return new LpwaUpstreamResult(failure.Status, failure);
        }
    }

    /// <summary>The entry's custom header rules, last, so they can replace or delete anything before them.</summary>
    [LoggerMessage(Level = LogLevel.Warning, Message = "LPWA {Type}: subscriber {Imsi} → {Upstream}: {Reason}")]
    private static partial void LogUpstreamFailed(ILogger logger, string type, string imsi, string upstream, string reason);
}
