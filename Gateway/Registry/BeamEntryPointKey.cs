namespace Gateway.Registry;

/// <summary>
/// A parsed <c>SoracomBeam</c> key. The host is ignored (configuration exported from SORACOM names
/// <c>beam.soracom.io</c>); scheme, port and, for the HTTP entry point, path select the local entry point.
/// </summary>
internal readonly record struct BeamEntryPointKey(BeamEntryPoint Kind, string Path)
{
    public static bool TryParse(string key, out BeamEntryPointKey entryPoint, out string error)
    {
        entryPoint = default;
        if (!Uri.TryCreate(key, UriKind.Absolute, out var uri) || uri.Host.Length == 0)
        {
            error = "not an entry-point URL such as http://beam.soracom.io:8888/path or tcp://beam.soracom.io:8023";
            return false;
        }

        if (uri.Query.Length > 0 || uri.Fragment.Length > 0 || uri.UserInfo.Length > 0)
        {
            error = "an entry-point key has no query, fragment or user";
            return false;
        }

        var path = uri.AbsolutePath;
        var explicitPort = uri.IsDefaultPort && key.IndexOf(':', uri.Scheme.Length + 3) < 0 ? -1 : uri.Port;
        BeamEntryPoint? kind = (uri.Scheme, explicitPort) switch
        {
            ("http", 8888) => BeamEntryPoint.Http,
            ("http", 18080) or ("http", 80) or ("http", -1) => BeamEntryPoint.Website,
            ("tcp", 23080) => BeamEntryPoint.TcpToHttp,
            ("udp", 23080) => BeamEntryPoint.UdpToHttp,
            ("tcp", 8023) => BeamEntryPoint.TcpToTcp,
            ("mqtt", 1883) => BeamEntryPoint.Mqtt,
            ("lorawan", -1) => BeamEntryPoint.LoraToHttp,
            ("sigfox", -1) => BeamEntryPoint.SigfoxToHttp,
            _ => null,
        };
        if (kind is null)
        {
            error = "not a Beam entry point: use http://…:8888/<path>, http://…:18080, tcp://…:23080, udp://…:23080, tcp://…:8023, mqtt://…:1883, lorawan://… or sigfox://…";
            return false;
        }

        if (kind != BeamEntryPoint.Http && path is not ("" or "/"))
        {
            error = $"a {kind} entry point takes no path";
            return false;
        }

        entryPoint = new BeamEntryPointKey(kind.Value, kind == BeamEntryPoint.Http ? path : "/");
        error = string.Empty;
        return true;
    }

    /// <summary>The destination schemes an entry point accepts, for validation messages.</summary>
    public IReadOnlyList<string> DestinationSchemes => Kind switch
    {
        BeamEntryPoint.TcpToTcp => ["tcp", "tcps"],
        BeamEntryPoint.Mqtt => ["mqtt", "mqtts"],
        BeamEntryPoint.Website => ["http", "https", "ws", "wss"],
        _ => ["http", "https"],
    };
}
