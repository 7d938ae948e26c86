namespace Gateway.Devices;

/// <summary>
/// The device-service listeners that feed the message pipeline (section <c>Gateway:Devices</c>); they bind
/// <c>Gateway:Beam:ListenAddress</c> like every device listener. A port of 0 turns that listener off.
/// </summary>
internal sealed class DeviceEndpointOptions
{
    public const string Section = "Gateway:Devices";

    /// <summary>
    /// SORACOM's limit for one HTTP message to Funnel (and the unified endpoint): larger bodies get
    /// <c>413 Maximum content-length is: 800000</c>.
    /// </summary>
    public const int MaxHttpBodyBytes = 800_000;

    /// <summary>
    /// HTTP device services (<c>--device-http-port</c>), routed by Host: <c>funnel.</c>, <c>uni.</c>/<c>unified.</c>, and
    /// MQTT over WebSocket at <c>/mqtt</c>. Default 8080: SORACOM serves these on port 80, which an unprivileged
    /// process cannot bind; 8080 is the usual stand-in and does not clash with Beam's 8888/18080.
    /// </summary>
    public int HttpPort { get; set; } = 8080;

    /// <summary>
    /// MQTT into the pipeline (<c>--mqtt-pipeline-port</c>), terminated here rather than relayed. Default 1884: next to
    /// the Beam relay's 1883, which stays a byte-level relay to the customer's broker.
    /// </summary>
    public int MqttPort { get; set; } = 1884;

    /// <summary>Whether the MQTT server runs at all: for its own port or for WebSocket on the HTTP listener.</summary>
    public bool MqttServerNeeded => MqttPort != 0 || HttpPort != 0;

    /// <summary>
    /// Binds the section and checks it against the other listeners' ports (the admin port, Beam's device ports and the
    /// LPWA port, 0 for off), adding one message per problem that names the setting.
    /// </summary>
    public static DeviceEndpointOptions Bind(IConfiguration configuration, List<string> errors, int adminPort, IReadOnlyCollection<int> otherDevicePorts, int lpwaPort)
    {
        var options = new DeviceEndpointOptions();
        configuration.GetSection(Section).Bind(options);
        errors.AddRange(options.Validate(adminPort, otherDevicePorts, lpwaPort));
        return options;
    }

    public IReadOnlyList<string> Validate(int adminPort, IReadOnlyCollection<int> otherDevicePorts, int lpwaPort)
    {
        var errors = new List<string>();
        foreach (var (name, port) in new[] { ("HttpPort", HttpPort), ("MqttPort", MqttPort) })
        {
            if (port is < 0 or > 65535)
            {
                errors.Add($"{Section}:{name} must be between 0 (off) and 65535 (was {port}).");
                continue;
            }

            if (port == 0)
            {
                continue;
            }

            if (port == adminPort)
            {
                errors.Add($"{Section}:{name} {port} is also Gateway:AdminPort.");
            }

            if (otherDevicePorts.Contains(port))
            {
                errors.Add($"{Section}:{name} {port} is also a Gateway:Beam device port.");
            }

            if (port == lpwaPort)
            {
                errors.Add($"{Section}:{name} {port} is also Gateway:Lpwa:Port.");
            }
        }

        if (HttpPort != 0 && HttpPort == MqttPort)
        {
            errors.Add($"{Section}:HttpPort and {Section}:MqttPort must differ (both {HttpPort}).");
        }

        return errors;
    }
}
