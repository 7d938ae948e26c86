using Gateway.Registry;

namespace Gateway.Pipeline;

/// <summary>
/// A service a group can enable for device messages (Beam, Funnel, Harvest): the deliver stage. The pipeline asks
/// each registered service whether the message's group enables it for the message's protocol, and hands it the
/// message; the service answers with one <see cref="ServiceResult"/>, which also carries its own reply for the
/// entry point's form. A service never throws for a delivery failure: it reports it in the result.
/// </summary>
internal interface IDeviceService
{
    /// <summary>The service's name in the unified reply's <c>detail</c> and in <see cref="DeviceMessage.OnlyService"/>: <c>beam</c>, <c>funnel</c>, <c>harvest</c>.</summary>
    string Name { get; }

    /// <summary>
    /// True when the device's group enables this service for messages arriving over <paramref name="protocol"/>.
    /// Cheap (compiled configuration only); asked per message, and by connection-oriented entry points when a
    /// device connects, before it has sent anything.
    /// </summary>
    bool Accepts(DeviceIdentity device, SourceProtocol protocol);

    /// <summary>
    /// Delivers the message. Returns once the destination accepted or refused it (or it was stored durably), so a
    /// reply the device gets always follows the delivery.
    /// </summary>
    ValueTask<ServiceResult> DeliverAsync(DeviceMessage message, CancellationToken cancellationToken);
}
