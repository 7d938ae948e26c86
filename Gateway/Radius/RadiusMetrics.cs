using System.Diagnostics.Metrics;

namespace Gateway.Radius;

/// <summary>RADIUS counters: one per received datagram, tagged with what became of it.</summary>
internal static class RadiusMetrics
{
    public const string MeterName = "Gateway.Radius";
    public const string RequestsName = "gateway.radius.accounting.requests";

    public const string Ok = "ok";
    public const string UnknownClient = "unknown_client";
    public const string BadAuthenticator = "bad_authenticator";
    public const string Malformed = "malformed";
    public const string SinkFailed = "sink_failed";
    public const string Overloaded = "overloaded";
    public const string Duplicate = "duplicate";

    private static readonly Meter s_meter = new(MeterName);
    private static readonly Counter<long> s_requests = s_meter.CreateCounter<long>(
        RequestsName, description: "Accounting datagrams received, by result: ok, unknown_client, bad_authenticator, malformed, sink_failed, overloaded, duplicate.");

    public static void Count(string result) => s_requests.Add(1, new KeyValuePair<string, object?>("result", result));
}
