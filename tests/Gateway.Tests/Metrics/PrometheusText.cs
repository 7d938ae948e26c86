using System.Globalization;
using System.Text;

namespace Gateway.Tests.Metrics;

/// <summary>One sample line: <c>name{label="value",...} value [timestamp]</c>.</summary>
internal sealed record PrometheusSample(string Name, IReadOnlyDictionary<string, string> Labels, double Value)
{
    public bool Has(params (string Label, string Value)[] labels) =>
        labels.All(l => Labels.TryGetValue(l.Label, out var v) && v == l.Value);
}

/// <summary>A metric family: its <c># TYPE</c>, <c># HELP</c> and samples (for a histogram, its <c>_bucket</c>, <c>_sum</c> and <c>_count</c> lines).</summary>
internal sealed class PrometheusFamily(string name)
{
    public string Name { get; } = name;

    public string? Type { get; set; }

    public string? Help { get; set; }

    public List<PrometheusSample> Samples { get; } = [];
}

/// <summary>
/// A strict reader of the Prometheus text exposition format (version 0.0.4), enough to check what the gateway serves:
/// every line must be a comment, blank, or a well-formed sample that belongs to the family its <c># TYPE</c> declared.
/// </summary>
internal sealed class PrometheusText
{
    private readonly Dictionary<string, PrometheusFamily> _families = new(StringComparer.Ordinal);

    public IReadOnlyDictionary<string, PrometheusFamily> Families => _families;

    public static PrometheusText Parse(string text)
    {
        var result = new PrometheusText();
        PrometheusFamily? current = null;
        var lineNumber = 0;
        foreach (var raw in text.Split('\n'))
        {
            lineNumber++;
            var line = raw.TrimEnd('\r');
            if (line.Length == 0)
            {
                continue;
            }

            if (line.StartsWith("# TYPE ", StringComparison.Ordinal) || line.StartsWith("# HELP ", StringComparison.Ordinal))
            {
                var rest = line[7..];
                var space = rest.IndexOf(' ', StringComparison.Ordinal);
                Assert.True(space > 0, $"line {lineNumber}: {line}");
                var name = rest[..space];
                current = result.Family(name);
                if (line[2] == 'T')
                {
                    var type = rest[(space + 1)..];
                    Assert.Contains(type, (string[])["counter", "gauge", "histogram", "summary", "untyped"]);
                    Assert.True(current.Type is null, $"line {lineNumber}: a second # TYPE for {name}");
                    current.Type = type;
                }
                else
                {
                    current.Help = rest[(space + 1)..];
                }

                continue;
            }

            if (line[0] == '#')
            {
                continue;
            }

            var sample = ParseSample(line, lineNumber);
            Assert.True(current is not null && BelongsTo(sample.Name, current), $"line {lineNumber}: sample {sample.Name} outside its family's # TYPE");
            current!.Samples.Add(sample);
        }

        return result;
    }

    public PrometheusFamily this[string name] =>
        _families.TryGetValue(name, out var family) ? family : throw new KeyNotFoundException($"no metric family {name}; have: {string.Join(", ", _families.Keys)}");

    /// <summary>The value of the one sample of a counter or gauge family with these labels; 0 when there is none yet.</summary>
    public double Value(string family, params (string Label, string Value)[] labels) =>
        _families.TryGetValue(family, out var f) ? f.Samples.Where(s => s.Name == family && s.Has(labels)).Sum(static s => s.Value) : 0;

    /// <summary>A histogram's series with these labels: its buckets in order, the sum and the count.</summary>
    public Histogram HistogramOf(string family, params (string Label, string Value)[] labels)
    {
        if (!_families.TryGetValue(family, out var f))
        {
            return new Histogram([], 0, 0);
        }

        Assert.Equal("histogram", f.Type);
        var buckets = f.Samples.Where(s => s.Name == family + "_bucket" && s.Has(labels))
            .Select(static s => (Le: ParseValue(s.Labels["le"]), Count: s.Value))
            .ToList();
        var sums = f.Samples.Where(s => s.Name == family + "_sum" && s.Has(labels)).ToList();
        var counts = f.Samples.Where(s => s.Name == family + "_count" && s.Has(labels)).ToList();
        Assert.True(sums.Count == counts.Count && sums.Count <= 1, $"{family}: the labels must select one series ({counts.Count} found)");
        return new Histogram(buckets, sums.Count == 0 ? 0 : sums[0].Value, counts.Count == 0 ? 0 : counts[0].Value);
    }

    private PrometheusFamily Family(string name)
    {
        if (!_families.TryGetValue(name, out var family))
        {
            _families[name] = family = new PrometheusFamily(name);
        }

        return family;
    }

    private static bool BelongsTo(string sample, PrometheusFamily family) =>
        sample == family.Name
        || (family.Type is "histogram" && (sample == family.Name + "_bucket" || sample == family.Name + "_sum" || sample == family.Name + "_count"))
        || (family.Type is "summary" && (sample == family.Name + "_sum" || sample == family.Name + "_count"));

    private static PrometheusSample ParseSample(string line, int lineNumber)
    {
        var i = 0;
        while (i < line.Length && (char.IsAsciiLetterOrDigit(line[i]) || line[i] is '_' or ':'))
        {
            i++;
        }

        Assert.True(i > 0 && !char.IsAsciiDigit(line[0]), $"line {lineNumber}: bad metric name: {line}");
        var name = line[..i];
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        if (i < line.Length && line[i] == '{')
        {
            i++;
            while (line[i] != '}')
            {
                var start = i;
                while (char.IsAsciiLetterOrDigit(line[i]) || line[i] == '_')
                {
                    i++;
                }

                var label = line[start..i];
                Assert.True(label.Length > 0 && line[i] == '=' && line[i + 1] == '"', $"line {lineNumber}: bad label at {i}: {line}");
                i += 2;
                var value = new StringBuilder();
                while (line[i] != '"')
                {
                    if (line[i] == '\\')
                    {
                        i++;
                        value.Append(line[i] switch
                        {
                            'n' => '\n',
                            '\\' => '\\',
                            '"' => '"',
                            _ => throw new FormatException($"line {lineNumber}: bad escape \\{line[i]}"),
                        });
                    }
                    else
                    {
                        value.Append(line[i]);
                    }

                    i++;
                }

                Assert.True(labels.TryAdd(label, value.ToString()), $"line {lineNumber}: label {label} twice");
                i++;
                if (line[i] == ',')
                {
                    i++;
                }
            }

            i++;
        }

        Assert.True(i < line.Length && line[i] == ' ', $"line {lineNumber}: no value: {line}");
        var fields = line[(i + 1)..].Split(' ');
        Assert.True(fields.Length is 1 or 2, $"line {lineNumber}: value and at most a timestamp: {line}");
        if (fields.Length == 2)
        {
            Assert.True(long.TryParse(fields[1], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _), $"line {lineNumber}: bad timestamp");
        }

        return new PrometheusSample(name, labels, ParseValue(fields[0]));
    }

    private static double ParseValue(string text) => text switch
    {
        "+Inf" => double.PositiveInfinity,
        "-Inf" => double.NegativeInfinity,
        "NaN" => double.NaN,
        _ => double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture),
    };

    /// <summary>One histogram series.</summary>
    internal sealed record Histogram(IReadOnlyList<(double Le, double Count)> Buckets, double Sum, double Count)
    {
        /// <summary>Cumulative buckets in ascending bounds, ending at +Inf with the count; the sum fits the count.</summary>
        public void AssertConsistent(string what)
        {
            Assert.True(Buckets.Count > 1, $"{what}: no buckets");
            for (var i = 1; i < Buckets.Count; i++)
            {
                Assert.True(Buckets[i].Le > Buckets[i - 1].Le, $"{what}: bounds not ascending");
                Assert.True(Buckets[i].Count >= Buckets[i - 1].Count, $"{what}: buckets not cumulative");
            }

            Assert.Equal(double.PositiveInfinity, Buckets[^1].Le);
            Assert.Equal(Count, Buckets[^1].Count);
            Assert.True(Sum >= 0 && (Count > 0 || Sum == 0), $"{what}: sum {Sum} with count {Count}");
        }
    }
}
