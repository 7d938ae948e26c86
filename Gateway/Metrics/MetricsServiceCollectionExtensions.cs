using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

namespace Gateway.Metrics;

/// <summary>Registration of the metrics export (its scrape endpoint is <see cref="MetricsEndpoint.MapMetrics"/>).</summary>
internal static class MetricsServiceCollectionExtensions
{
    /// <summary>
    /// One OpenTelemetry meter provider over every gateway meter, read by the Prometheus exporter at scrape time and,
    /// when configured, pushed to an OTLP collector. Nothing is registered when both are off, so no instrument has a
    /// listener and recording stays a no-op.
    /// </summary>
    public static IServiceCollection AddGatewayMetrics(this IServiceCollection services, MetricsOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        services.AddSingleton(options);
        if (!options.Enabled && options.OtlpEndpoint is null)
        {
            return services;
        }

        services.AddHostedService<GcPauseRecording>();
        services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService("gateway", serviceInstanceId: Environment.MachineName))
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(GatewayMeters.Own).AddMeter(GatewayMeters.Platform);
                if (options.HttpServerRequests)
                {
                    metrics.AddMeter(GatewayMeters.AspNetCoreHosting);
                }

                metrics.AddView(static instrument =>
                    instrument.Meter.Name.StartsWith("Gateway.", StringComparison.Ordinal) && instrument.Unit == "s"
                        ? new ExplicitBucketHistogramConfiguration { Boundaries = GatewayMeters.SecondsBuckets }
                        : null);
                if (options.Enabled)
                {
                    // The response is built per scrape: caching it would show a counter that just moved as unchanged.
                    metrics.AddPrometheusExporter(o => o.ScrapeResponseCacheDurationMilliseconds = 0);
                }

                if (options.OtlpEndpoint is { } endpoint)
                {
                    metrics.AddOtlpExporter((exporter, reader) =>
                    {
                        exporter.Protocol = options.OtlpProtocol == "grpc" ? OtlpExportProtocol.Grpc : OtlpExportProtocol.HttpProtobuf;
                        exporter.Endpoint = OtlpEndpoint(endpoint, exporter.Protocol);
                        reader.PeriodicExportingMetricReaderOptions.ExportIntervalMilliseconds = options.OtlpIntervalSeconds * 1000;
                    });
                }
            });
        return services;
    }

    /// <summary>
    /// The exporter posts http/protobuf to an endpoint set in code exactly as given, so a collector's base address
    /// (<c>http://collector:4318</c>, what people write) would be posted to at <c>/</c>: the signal's path is added then.
    /// </summary>
    internal static Uri OtlpEndpoint(Uri configured, OtlpExportProtocol protocol) =>
        protocol == OtlpExportProtocol.HttpProtobuf && configured.AbsolutePath == "/" ? new Uri(configured, "v1/metrics") : configured;
}
