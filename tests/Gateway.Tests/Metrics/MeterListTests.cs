using System.Diagnostics.Metrics;
using System.Reflection;
using Gateway.Metrics;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Metrics;

/// <summary>Every meter in the gateway's code is exported, and every instrument is described in docs/metrics.md.</summary>
public sealed class MeterListTests
{
    private static readonly Assembly[] s_assemblies = [typeof(GatewayMeters).Assembly, typeof(Gateway.BinaryParser.BinaryFormat).Assembly];

    // Meters a gateway instance makes from its IMeterFactory (one per instance, told apart by scope) are made here too.
    private static readonly ServiceProvider s_services = new ServiceCollection().AddMetrics().BuildServiceProvider();

    [Fact]
    public void Every_meter_in_the_code_is_exported()
    {
        var meters = AllMeters().Select(static m => m.Name).ToHashSet();
        Assert.NotEmpty(meters);
        Assert.Equal(meters.Order(), GatewayMeters.Own.Order());
    }

    [Fact]
    public void Every_instrument_is_in_the_docs()
    {
        var names = new List<string>();
        var meters = AllMeters().ToHashSet();
        using (var listener = new MeterListener())
        {
            listener.InstrumentPublished = (instrument, _) =>
            {
                if (meters.Contains(instrument.Meter))
                {
                    lock (names)
                    {
                        names.Add(instrument.Name);
                    }
                }
            };
            listener.Start();
        }

        Assert.NotEmpty(names);
        var docs = File.ReadAllText(Path.Combine(RepositoryRoot(), "docs", "metrics.md"));
        foreach (var name in names)
        {
            // As it is exported: dots to underscores, the unit or _total suffix after it.
            Assert.Contains("`" + name.Replace('.', '_'), docs, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void The_dashboard_queries_only_documented_metrics()
    {
        var root = RepositoryRoot();
        var docs = File.ReadAllText(Path.Combine(root, "docs", "metrics.md"));
        using var dashboard = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(root, "docs", "grafana-dashboard.json")));
        var exprs = dashboard.RootElement.GetProperty("panels").EnumerateArray()
            .SelectMany(static p => p.GetProperty("targets").EnumerateArray())
            .Select(static t => t.GetProperty("expr").GetString()!)
            .ToList();
        Assert.NotEmpty(exprs);
        var names = exprs.SelectMany(static e => System.Text.RegularExpressions.Regex.Matches(e, "\\b(gateway|binaryparser)_[a-z_]+").Select(static m => m.Value)).ToHashSet();
        Assert.Contains("gateway_funnel_delivery_duration_seconds_bucket", names);
        foreach (var name in names)
        {
            var family = System.Text.RegularExpressions.Regex.Replace(name, "_(bucket|count|sum)$", string.Empty);
            Assert.True(docs.Contains("`" + family + "`", StringComparison.Ordinal), $"{name} (from the dashboard) is not in docs/metrics.md");
        }
    }

    /// <summary>
    /// The meters held in static fields of the gateway's types, and those its types make from an
    /// <see cref="IMeterFactory"/> (a constructor taking only one), made here from a factory of the test's own.
    /// </summary>
    private static IEnumerable<Meter> AllMeters()
    {
        var types = s_assemblies.SelectMany(static a => a.GetTypes()).Where(static t => !t.ContainsGenericParameters).ToList();
        var statics = types
            .SelectMany(static t => t.GetFields(BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic))
            .Where(static f => f.FieldType == typeof(Meter))
            .Select(static f => (Meter)f.GetValue(null)!);
        var factory = s_services.GetRequiredService<IMeterFactory>();
        var scoped = new List<Meter>();
        using (var listener = new MeterListener())
        {
            listener.InstrumentPublished = (instrument, _) =>
            {
                if (ReferenceEquals(instrument.Meter.Scope, factory))
                {
                    scoped.Add(instrument.Meter);
                }
            };
            listener.Start();
            foreach (var constructor in types.SelectMany(static t => t.GetConstructors(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic)))
            {
                if (constructor.GetParameters() is [{ ParameterType: var p }] && p == typeof(IMeterFactory))
                {
                    constructor.Invoke([factory]);
                }
            }
        }

        return statics.Concat(scoped).Distinct();
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Gateway.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Gateway.sln not found above " + AppContext.BaseDirectory);
    }
}
