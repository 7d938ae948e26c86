namespace Gateway.Metrics;

/// <summary>Metrics export settings (section <c>Gateway:Metrics</c>).</summary>
internal sealed class MetricsOptions
{
    public const string Section = "Gateway:Metrics";

    /// <summary>Serve the Prometheus scrape endpoint on the admin port.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Where the scrape endpoint is served on the admin port.</summary>
    public string Path { get; set; } = "/metrics";

    /// <summary>
    /// Ask scrapers for an auth key (HTTP Basic with the auth key ID and secret, or the API key and token headers)
    /// whose permission allows <c>Metrics:getMetrics</c>. Off by default: the admin port binds to loopback unless
    /// <c>Gateway:AdminAddress</c> says otherwise, and metrics carry no secret.
    /// </summary>
    public bool RequireAuth { get; set; }

    /// <summary>An OTLP collector (e.g. <c>http://127.0.0.1:4317</c>) to push the same metrics to; none by default.</summary>
    public Uri? OtlpEndpoint { get; set; }

    /// <summary><c>grpc</c> (default) or <c>http/protobuf</c>.</summary>
    public string OtlpProtocol { get; set; } = "grpc";

    /// <summary>How often metrics are pushed to <see cref="OtlpEndpoint"/>, in seconds.</summary>
    public int OtlpIntervalSeconds { get; set; } = 15;

    /// <summary>
    /// ASP.NET Core's own per-request instruments (<c>http.server.request.duration</c>, meter
    /// <c>Microsoft.AspNetCore.Hosting</c>). Off by default: they cost on every device request and the entry points'
    /// own histograms already measure them.
    /// </summary>
    public bool HttpServerRequests { get; set; }

    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (string.IsNullOrEmpty(Path) || Path[0] != '/' || Path.StartsWith("/v1/", StringComparison.Ordinal) || Path == "/healthz")
        {
            errors.Add($"{Section}:Path must start with '/' and not be an admin API path (was '{Path}').");
        }

        if (OtlpEndpoint is { } otlp && (!otlp.IsAbsoluteUri || otlp.Scheme is not ("http" or "https")))
        {
            errors.Add($"{Section}:OtlpEndpoint must be an absolute http:// or https:// URL (was '{otlp}').");
        }

        if (OtlpProtocol is not ("grpc" or "http/protobuf"))
        {
            errors.Add($"{Section}:OtlpProtocol must be grpc or http/protobuf (was '{OtlpProtocol}').");
        }

        if (OtlpIntervalSeconds is < 1 or > 3600)
        {
            errors.Add($"{Section}:OtlpIntervalSeconds must be between 1 and 3600 (was {OtlpIntervalSeconds}).");
        }

        return errors;
    }
}
