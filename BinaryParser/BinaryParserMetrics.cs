using System.Diagnostics.Metrics;

namespace Gateway.BinaryParser;

/// <summary>
/// The library's meter. Static because a decoder is a pure function of its format and has no host to receive an
/// <see cref="IMeterFactory"/>; listeners subscribe by the meter name.
/// </summary>
internal static class BinaryParserMetrics
{
    public const string MeterName = "Gateway.BinaryParser";
    public const string FieldsOmittedName = "binaryparser.fields_omitted";

    private static readonly Meter Meter = new(MeterName);

    /// <summary>Fields left out of an output because the payload was shorter than the format.</summary>
    public static readonly Counter<long> FieldsOmitted = Meter.CreateCounter<long>(
        FieldsOmittedName,
        unit: "{field}",
        description: "Fields of a binary parser format left out because the payload was too short to hold them.");
}
