using Gateway.Beam;

namespace Gateway.Delivery;

/// <summary>
/// How <see cref="MessageHttpSender"/> sends one request: over which TLS profile, within what time, named how in
/// logs and metrics, and whether the reply body matters to the caller.
/// </summary>
/// <param name="Service">The service's name in logs (<c>Beam</c>, <c>Funnel</c>).</param>
/// <param name="EntryPoint">The entry point's metric and log name (<c>udp</c>, <c>tcp</c>, <c>chirpstack</c>, …).</param>
/// <param name="Device">Who sent the message, for logs (<see cref="Registry.DeviceIdentity.Label"/>).</param>
/// <param name="Tls">The TLS profile (private CA, client certificate, per SIM where the entry has one); null for the defaults.</param>
/// <param name="Timeout">Connect to the last byte of the reply body read.</param>
/// <param name="ReadBody">False when only the status matters (LPWA network servers): the body is then not read at all.</param>
internal readonly record struct HttpSendOptions(string Service, string EntryPoint, string Device, UpstreamTls? Tls, TimeSpan Timeout, bool ReadBody = true);
