using System.Net.Http.Headers;
using Gateway.Beam;
using Gateway.Registry;
using Gateway.Signing;
using Gateway.Signing.Soracom;

namespace Gateway.Lpwa;

/// <summary>
/// The request for an LPWA uplink to a group's <c>lorawan://</c> or <c>sigfox://</c> Beam entry, as SORACOM sends it
/// (spec §3, §10): <c>POST</c>, JSON, <c>Connection: close</c>, always <c>x-soracom-operator-id</c> and
/// <c>x-soracom-timestamp</c>; the device-ID header when the entry adds it or signs; with a signature, the SORACOM
/// <c>20151001</c> signature over the device ID and the timestamp (the operator ID is not signed); then the entry's
/// custom headers.
/// </summary>
internal static class LpwaRequest
{
    public const string OperatorIdHeader = "x-soracom-operator-id";

    private static readonly MediaTypeHeaderValue s_json = new("application/json");

    /// <summary>The LoRa or Sigfox device ID as the registry spells it (lowercase DevEUI, uppercase Sigfox ID): what goes into the header and the signature.</summary>
    public static SoracomIdentity IdentityFor(Subscriber subscriber, bool lora) =>
        lora ? new SoracomIdentity { LoraDeviceId = subscriber.LoraDeviceId } : new SoracomIdentity { SigfoxDeviceId = subscriber.SigfoxDeviceId };

    public static HttpRequestMessage Create(
        BeamEntry entry, BeamGroupConfig config, DeviceIdentity device, SoracomIdentity identity, string operatorId, ReadOnlyMemory<byte> body, long timestampMs)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, entry.Destination) { Version = System.Net.HttpVersion.Version11 };
        request.Content = new ReadOnlyMemoryContent(body);
        request.Content.Headers.ContentType = s_json;
        request.Headers.ConnectionClose = true;
        request.Headers.TryAddWithoutValidation(OperatorIdHeader, operatorId);

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

        // Last, so that they can replace or delete anything before them.
        BeamHeaders.ApplyCustomHeaders(request, entry);
        return request;
    }
}
