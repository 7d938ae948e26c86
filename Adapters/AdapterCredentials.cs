using System.Text.Json.Nodes;

namespace Gateway.Adapters;

/// <summary>
/// The credential set a Funnel destination uses (<c>SoracomFunnel.credentialsId</c>), as the registry holds it:
/// its SORACOM type (<c>aws-credentials</c>, <c>azure-credentials</c>, …) and its secret fields. Adapters read the
/// fields; nothing may log, count or return them.
/// </summary>
public sealed class AdapterCredentials
{
    /// <summary>The credential set's ID (safe to log).</summary>
    public required string CredentialsId { get; init; }

    /// <summary>The credential type.</summary>
    public required string Type { get; init; }

    /// <summary>The secret fields. Never modified.</summary>
    public required JsonObject Values { get; init; }

    /// <summary>A string field, or null.</summary>
    public string? Field(string name) => Values[name] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    /// <inheritdoc/>
    public override string ToString() => $"{Type} {CredentialsId}";
}
