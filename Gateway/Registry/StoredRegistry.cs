using System.Text.Json.Nodes;

namespace Gateway.Registry;

/// <summary>What a store holds: the seed-shaped JSON of every element, and its change counter.</summary>
internal sealed record StoredRegistry(JsonObject Document, long Version);
