using System.Text;
using Gateway.Delivery;
using Gateway.Lpwa;
using Gateway.Pipeline;
using Gateway.Registry;
using Microsoft.Extensions.Options;

namespace Gateway.Beam;

/// <summary>
/// Beam as a service of the message pipeline: a message goes to the group's HTTP entry for its protocol
/// (<c>udp://…:23080</c>, <c>tcp://…:23080</c>, <c>lorawan://</c>, <c>sigfox://</c>), with Beam's identity headers and
/// signature, through the shared <see cref="MessageHttpSender"/>. TCP and UDP devices get Beam's own reply text
/// (<see cref="DeviceReply"/>). HTTP and MQTT messages are not Beam's here: Beam relays those as streams.
/// </summary>
internal sealed class BeamService(IdentityResolver resolver, MessageHttpSender sender, IOptions<LpwaOptions> lpwaOptions) : IDeviceService
{
    public const string ServiceName = "beam";

    public string Name => ServiceName;

    public bool Accepts(DeviceIdentity device, SourceProtocol protocol) =>
        EntryFor(BeamGroupConfig.For(device.Group, resolver.Snapshot), protocol) is { Enabled: true };

    public async ValueTask<ServiceResult> DeliverAsync(DeviceMessage message, CancellationToken cancellationToken)
    {
        var config = BeamGroupConfig.For(message.Device.Group, resolver.Snapshot);
        if (EntryFor(config, message.Protocol) is not { Enabled: true } entry)
        {
            // The pipeline asked Accepts first, over the same group object; reached only by a caller that did not.
            return new ServiceResult { Service = ServiceName, Status = 404, Failure = "no Beam entry for this device's group", FailureMetric = "no_entry" };
        }

        var lpwa = message.Protocol is SourceProtocol.Lora or SourceProtocol.Sigfox;
        using var request = lpwa
            ? LpwaRequest.Create(entry, config, message.Device, LpwaRequest.IdentityFor(message.Subscriber, message.Protocol == SourceProtocol.Lora),
                OperatorId, message.Json ?? ReadOnlyMemory<byte>.Empty, message.ReceivedAtMs)
            : BeamPayloadRequest.Create(entry, config, message);

        // Only the status matters to a network server; its body is not read.
        var options = new HttpSendOptions("Beam", message.EntryPoint, message.Device.Label, config.TlsFor(entry, message.Subscriber.Imsi), entry.Timeout, ReadBody: !lpwa);
        var sent = await sender.SendAsync(request, options, cancellationToken);
        if (!lpwa)
        {
            // TCP/UDP outcomes are counted where they always were, beside the entry points' refusals.
            BeamMetrics.Count(message.EntryPoint, sent.Outcome);
        }

        return new ServiceResult
        {
            Service = ServiceName,
            Status = sent.Status,
            Body = sent.Failure is { } failure ? Encoding.UTF8.GetBytes(failure.Reason) : sent.Body,
            Failure = sent.Failure?.Reason,
            FailureMetric = sent.Failure?.Metric,
            NativeText = SourceProtocols.RepliesAsText(message.Protocol)
                ? DeviceReply.Format(entry, new UpstreamReply(sent.Status, sent.Body, sent.Failure?.Reason), tcp: message.Protocol == SourceProtocol.Tcp)
                : [],
        };
    }

    /// <summary>Read when the first LPWA uplink is delivered, not at construction: invalid options must surface as the start-up validation error.</summary>
    private string OperatorId => lpwaOptions.Value.OperatorId ?? "OP0000000000";

    private static BeamEntry? EntryFor(BeamGroupConfig config, SourceProtocol protocol) => protocol switch
    {
        SourceProtocol.Udp => config.UdpToHttp,
        SourceProtocol.Tcp => config.TcpToHttp,
        SourceProtocol.Lora => config.LoraToHttp,
        SourceProtocol.Sigfox => config.SigfoxToHttp,
        _ => null,
    };
}
