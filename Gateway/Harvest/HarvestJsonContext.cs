using System.Text.Json.Serialization;

namespace Gateway.Harvest;

/// <summary>Source-generated JSON for the few shapes Harvest serialises itself (the stored attribute names).</summary>
[JsonSerializable(typeof(string[]))]
internal sealed partial class HarvestJsonContext : JsonSerializerContext;
