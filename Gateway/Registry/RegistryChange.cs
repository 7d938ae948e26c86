using System.Text.Json.Nodes;

namespace Gateway.Registry;

/// <summary>One element written or deleted: <see cref="Document"/> null means delete.</summary>
internal sealed record RegistryChange(RegistryElementKind Kind, string Id, JsonObject? Document);
