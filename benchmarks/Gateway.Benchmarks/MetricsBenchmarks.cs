using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using Gateway.Beam;
using Gateway.Funnel;
using Gateway.Metrics;
using OpenTelemetry;
using OpenTelemetry.Metrics;

namespace Gateway.Benchmarks;

/// <summary>
/// What one record costs on the data path: a request-duration histogram (with its Stopwatch read), the Funnel
/// delivery histogram and a two-tag counter, with no listener (<c>Exported=false</c>: metrics off) and with the
/// gateway's meter provider and Prometheus exporter attached (<c>Exported=true</c>: what <c>/metrics</c> costs).
/// Target: tens of nanoseconds, no allocation.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 3, iterationCount: 8)]
public class MetricsBenchmarks
{
    private static readonly KeyValuePair<string, object?> s_destination = FunnelMetrics.Destination("kafka/kafka");
    private static readonly KeyValuePair<string, object?> s_delivered = FunnelMetrics.Outcome("delivered");

    private MeterProvider? _provider;
    private long _started;

    [Params(false, true)]
    public bool Exported { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _started = Stopwatch.GetTimestamp();
        if (Exported)
        {
            _provider = Sdk.CreateMeterProviderBuilder()
                .AddMeter(GatewayMeters.Own)
                .AddView(static i => i.Unit == "s" ? new ExplicitBucketHistogramConfiguration { Boundaries = GatewayMeters.SecondsBuckets } : null)
                .AddPrometheusExporter()
                .Build();
        }
    }

    [GlobalCleanup]
    public void Cleanup() => _provider?.Dispose();

    [Benchmark]
    public void RequestDuration() => BeamMetrics.RequestDuration(UdpEntryPoint.Name, _started);

    [Benchmark]
    public void FunnelDeliveryDuration() => FunnelMetrics.Duration.Record(0.0042, s_destination, s_delivered);

    [Benchmark]
    public void CounterTwoTags() => BeamMetrics.Count(UdpEntryPoint.Name, "ok");
}
