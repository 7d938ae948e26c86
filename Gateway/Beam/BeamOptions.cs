using System.Net;

namespace Gateway.Beam;

/// <summary>Device-facing listeners (section <c>Gateway:Beam</c>). A port of 0 turns that listener off.</summary>
internal sealed class BeamOptions
{
    /// <summary>The address device listeners bind to (<c>--listen-address</c>). Default all IPv4 interfaces.</summary>
    public string ListenAddress { get; set; } = "0.0.0.0";

    /// <summary>HTTP entry point (<c>--http-port</c>), SORACOM's <c>http://beam.soracom.io:8888/&lt;path&gt;</c>.</summary>
    public int HttpPort { get; set; } = 8888;

    /// <summary>Website entry point (<c>--website-port</c>), SORACOM's <c>http://beam.soracom.io:18080</c>.</summary>
    public int WebsitePort { get; set; } = 18080;

    /// <summary>TCP→HTTP and UDP→HTTP (<c>--unified-port</c>), SORACOM's <c>tcp|udp://beam.soracom.io:23080</c>.</summary>
    public int UnifiedPort { get; set; } = 23080;

    /// <summary>
    /// Harvest's own TCP and UDP port (<c>--harvest-port</c>, off by default; SORACOM's is
    /// <c>harvest.soracom.io:8514</c>): what arrives there goes to Harvest alone, as on a unified-port address given
    /// to <c>harvest</c>. Off by default because the unified port already reaches Harvest, and a port nobody asked for
    /// should not be open; <c>--harvest-port 8514</c> gives devices written for SORACOM's address their port.
    /// </summary>
    public int HarvestPort { get; set; }

    /// <summary>TCP→TCP/TLS (<c>--tcp-port</c>), SORACOM's <c>tcp://beam.soracom.io:8023</c>.</summary>
    public int TcpPort { get; set; } = 8023;

    /// <summary>MQTT relay (<c>--mqtt-port</c>), SORACOM's <c>mqtt://beam.soracom.io:1883</c>.</summary>
    public int MqttPort { get; set; } = 1883;

    /// <summary>
    /// HTTPS entry point (<c>--https-port</c>, off by default): the HTTP entry point's paths over TLS, where a
    /// device is recognised by its client certificate (SHA-256 thumbprint in <c>certificateThumbprints</c>).
    /// </summary>
    public int HttpsPort { get; set; }

    /// <summary>PEM file of the HTTPS entry point's server certificate (chain).</summary>
    public string? TlsCertificateFile { get; set; }

    /// <summary>PEM file of the HTTPS entry point's private key.</summary>
    public string? TlsKeyFile { get; set; }

    /// <summary>
    /// PEM file of the CA that issues device certificates. With it, a device whose certificate chains to this CA is
    /// recognised by subject (<c>certificateSubjects</c>); without it, only by thumbprint.
    /// </summary>
    public string? ClientCaFile { get; set; }

    /// <summary>Open connections the whole process accepts, device and admin listeners together (Kestrel's limit). Default 20,000.</summary>
    public long MaxConnections { get; set; } = 20_000;

    /// <summary>Open TCP connections (TCP→HTTP, TCP→TCP and MQTT together) one subscriber may hold. Default 64.</summary>
    public int MaxConnectionsPerDevice { get; set; } = 64;

    /// <summary>
    /// UDP datagrams of one device (an IMSI; an anonymous device by address) handled at once on the unified port;
    /// past it the device's datagrams are refused (<c>device_busy</c>) while other devices are served. Default 64.
    /// </summary>
    public int UdpMaxInFlightPerDevice { get; set; } = 64;

    /// <summary>
    /// UDP datagrams per second one device may send to the unified port, sustained (a token bucket); past it they
    /// are refused (<c>device_rate_limited</c>). 0 turns the rate limit off. Default 1000.
    /// </summary>
    public int UdpRatePerDevice { get; set; } = 1000;

    /// <summary>UDP datagrams one device may send at once above <see cref="UdpRatePerDevice"/> (the bucket's size). Default 1000.</summary>
    public int UdpBurstPerDevice { get; set; } = 1000;

    /// <summary>
    /// Devices the UDP admission table tracks at most (about 100 bytes each); when it is full of active devices a
    /// new device is refused (<c>device_table_full</c>). Default 65,536.
    /// </summary>
    public int UdpMaxTrackedDevices { get; set; } = 65_536;

    /// <summary>
    /// Seconds a device's HTTP connection may stay open with no request in progress before the gateway closes it
    /// (HTTP, website and HTTPS ports, relay and Kestrel alike). Default 130, Kestrel's own default.
    /// </summary>
    public int KeepAliveSeconds { get; set; } = 130;

    /// <summary>
    /// Seconds a device has, from the first byte of a request, to send the whole request head before the gateway
    /// answers <c>408 Request Timeout</c> and closes the connection (HTTP, website and HTTPS ports, relay and Kestrel
    /// alike). Default 30, Kestrel's own default: a device trickling a head byte by byte cannot hold a connection.
    /// </summary>
    public int RequestHeadersTimeoutSeconds { get; set; } = 30;

    /// <summary>
    /// Seconds a TCP→HTTP or TCP→TCP connection may stay open with nothing moving before the gateway closes it: on
    /// TCP→TCP no byte either way, on TCP→HTTP no message from the device (and no reply taken) while no POST is under
    /// way. Default 1800 (30 min, SORACOM's documented MQTT idle cut for keepalive 0).
    /// </summary>
    public int TcpIdleSeconds { get; set; } = 1800;

    /// <summary>
    /// Seconds a WebSocket relayed by the website entry point may pass without a message either way before both
    /// sides are dropped. Default 300, SORACOM's documented WebSocket idle time.
    /// </summary>
    public int WebSocketIdleSeconds { get; set; } = 300;

    /// <summary>Largest request body the HTTP and website entry points accept. Default 16 MiB.</summary>
    public long MaxBodyBytes { get; set; } = 16 * 1024 * 1024;

    /// <summary>
    /// Run socket completions and Kestrel's request processing on the I/O threads instead of handing each one to
    /// the thread pool. Default true: a forwarder does little work per event, and the hand-offs were a third of its
    /// CPU per request (benchmarks/README.md). Turn off only if an extension does blocking work in a handler.
    /// </summary>
    public bool InlineIoCompletions { get; set; } = true;

    /// <summary>
    /// Whether the HTTP and website ports relay plain requests at the byte level (<c>Relay/HttpRelay</c>) rather
    /// than through Kestrel's HTTP layer and HttpClient. Replies are the same either way; this only trades speed.
    /// </summary>
    public bool DirectRelay { get; set; } = true;

    /// <summary>
    /// Whether the relay runs on its own epoll event loops, one per core (<c>Relay/Loop</c>), instead of on
    /// Kestrel's socket transport. Default true on Linux (elsewhere the loops cannot run and this is ignored); only
    /// with <see cref="DirectRelay"/>. Requests the relay hands over reach Kestrel's HTTP layer either way.
    /// </summary>
    public bool EventLoopRelay { get; set; } = true;

    /// <summary>
    /// Unified port (TCP and UDP): an address of the gateway per service (<c>beam</c>, <c>funnel</c>, <c>harvest</c>),
    /// each bound besides <see cref="ListenAddress"/>; a device that sends to one of them reaches that service alone,
    /// as one sending to <c>funnel.soracom.io:23080</c> does. Empty (default): one address, the unified endpoint.
    /// </summary>
    public Dictionary<string, string> UnifiedServiceAddresses { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Every device TCP port as configured, 0 (off) included.</summary>
    public int[] DevicePorts => [HttpPort, WebsitePort, UnifiedPort, TcpPort, MqttPort, HttpsPort, HarvestPort];

    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (!IPAddress.TryParse(ListenAddress, out _))
        {
            errors.Add($"Gateway:Beam:ListenAddress must be an IP address (was '{ListenAddress}').");
        }

        foreach (var (name, port) in new[] { ("HttpPort", HttpPort), ("WebsitePort", WebsitePort), ("UnifiedPort", UnifiedPort), ("TcpPort", TcpPort), ("MqttPort", MqttPort), ("HttpsPort", HttpsPort), ("HarvestPort", HarvestPort) })
        {
            if (port is < 0 or > 65535)
            {
                errors.Add($"Gateway:Beam:{name} must be between 0 (off) and 65535 (was {port}).");
            }
        }

        var used = DevicePorts.Where(static p => p != 0).ToList();
        if (used.Count != used.Distinct().Count())
        {
            errors.Add("Gateway:Beam: HttpPort, WebsitePort, UnifiedPort, TcpPort, MqttPort, HttpsPort and HarvestPort must differ.");
        }

        if (HttpsPort != 0)
        {
            foreach (var (name, file) in new[] { ("TlsCertificateFile", TlsCertificateFile), ("TlsKeyFile", TlsKeyFile) }.Concat(ClientCaFile is null ? [] : new[] { ("ClientCaFile", (string?)ClientCaFile) }))
            {
                if (string.IsNullOrWhiteSpace(file) || !File.Exists(file))
                {
                    errors.Add($"Gateway:Beam:{name} must name an existing PEM file when HttpsPort is set (was '{file}').");
                }
            }
        }

        if (MaxConnections < 1)
        {
            errors.Add($"Gateway:Beam:MaxConnections must be positive (was {MaxConnections}).");
        }

        if (MaxConnectionsPerDevice < 1)
        {
            errors.Add($"Gateway:Beam:MaxConnectionsPerDevice must be positive (was {MaxConnectionsPerDevice}).");
        }

        foreach (var (name, value, min) in new[] { ("UdpMaxInFlightPerDevice", UdpMaxInFlightPerDevice, 1), ("UdpRatePerDevice", UdpRatePerDevice, 0), ("UdpBurstPerDevice", UdpBurstPerDevice, 1), ("UdpMaxTrackedDevices", UdpMaxTrackedDevices, 1) })
        {
            if (value < min)
            {
                errors.Add($"Gateway:Beam:{name} must be at least {min}{(min == 0 ? " (0: off)" : "")} (was {value}).");
            }
        }

        if (KeepAliveSeconds < 1)
        {
            errors.Add($"Gateway:Beam:KeepAliveSeconds must be positive (was {KeepAliveSeconds}).");
        }

        if (RequestHeadersTimeoutSeconds < 1)
        {
            errors.Add($"Gateway:Beam:RequestHeadersTimeoutSeconds must be positive (was {RequestHeadersTimeoutSeconds}).");
        }

        if (TcpIdleSeconds < 1)
        {
            errors.Add($"Gateway:Beam:TcpIdleSeconds must be positive (was {TcpIdleSeconds}).");
        }

        if (WebSocketIdleSeconds < 1)
        {
            errors.Add($"Gateway:Beam:WebSocketIdleSeconds must be positive (was {WebSocketIdleSeconds}).");
        }

        ValidateUnifiedServiceAddresses(errors);
        if (MaxBodyBytes < 1)
        {
            errors.Add($"Gateway:Beam:MaxBodyBytes must be positive (was {MaxBodyBytes}).");
        }

        return errors;
    }

    private void ValidateUnifiedServiceAddresses(List<string> errors)
    {
        if (UnifiedServiceAddresses.Count == 0)
        {
            return;
        }

        // A wildcard listener would already hold the port on every address, so the per-service sockets could not bind.
        if (IPAddress.TryParse(ListenAddress, out var listen) && (listen.Equals(IPAddress.Any) || listen.Equals(IPAddress.IPv6Any)))
        {
            errors.Add($"Gateway:Beam:ListenAddress must be a specific address (not {ListenAddress}) when UnifiedServiceAddresses are set.");
        }

        var seen = new HashSet<IPAddress>();
        foreach (var (service, address) in UnifiedServiceAddresses)
        {
            var key = $"Gateway:Beam:UnifiedServiceAddresses:{service}";
            if (!Pipeline.UnifiedAddresses.KnownServices.Contains(service))
            {
                errors.Add($"{key}: unknown service; known: {string.Join(", ", Pipeline.UnifiedAddresses.KnownServices)}.");
            }

            if (!IPAddress.TryParse(address, out var ip) || ip.Equals(IPAddress.Any) || ip.Equals(IPAddress.IPv6Any))
            {
                errors.Add($"{key} must be a specific IP address (was '{address}').");
            }
            else if (!seen.Add(ip) || ip.Equals(listen))
            {
                errors.Add($"{key}: {address} is already the listen address or another service's.");
            }
        }
    }
}
