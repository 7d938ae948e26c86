using System.Globalization;
using System.Text;

namespace Gateway.Signing.MessageSignatures;

/// <summary>What a signature covers and its metadata: the value of one <c>Signature-Input</c> member.</summary>
internal sealed record SignatureParameters(IReadOnlyList<string> Components, long? Created, long? Expires, string? KeyId, string? Algorithm, string? Nonce, string? Tag)
{
    /// <summary>The serialized inner list with parameters, as it appears on the <c>@signature-params</c> line.</summary>
    public string Serialize()
    {
        var sb = new StringBuilder("(");
        for (var i = 0; i < Components.Count; i++)
        {
            sb.Append(i == 0 ? string.Empty : " ").Append(StructuredFieldParser.Quote(Components[i]));
        }

        sb.Append(')');
        if (Created is { } c)
        {
            sb.Append(CultureInfo.InvariantCulture, $";created={c}");
        }

        if (Expires is { } e)
        {
            sb.Append(CultureInfo.InvariantCulture, $";expires={e}");
        }

        if (KeyId is not null)
        {
            sb.Append(";keyid=").Append(StructuredFieldParser.Quote(KeyId));
        }

        if (Algorithm is not null)
        {
            sb.Append(";alg=").Append(StructuredFieldParser.Quote(Algorithm));
        }

        if (Nonce is not null)
        {
            sb.Append(";nonce=").Append(StructuredFieldParser.Quote(Nonce));
        }

        if (Tag is not null)
        {
            sb.Append(";tag=").Append(StructuredFieldParser.Quote(Tag));
        }

        return sb.ToString();
    }

    /// <summary>
    /// Builds the signature base (RFC 9421 §2.5): one <c>"name": value</c> line per component, then the
    /// <c>@signature-params</c> line, joined with LF and no trailing newline.
    /// </summary>
    /// <returns>False, with the missing component named, when the message lacks a covered component.</returns>
    public bool TryBuildBase(HttpMessageComponents message, string serializedParams, out string signatureBase, out string? missing)
    {
        var sb = new StringBuilder();
        foreach (var component in Components)
        {
            var value = message.GetValue(component);
            if (value is null)
            {
                signatureBase = string.Empty;
                missing = component;
                return false;
            }

            if (value.Contains('\n', StringComparison.Ordinal) || value.Contains('\r', StringComparison.Ordinal))
            {
                // A line break in a value would let one component impersonate another line of the base.
                signatureBase = string.Empty;
                missing = component;
                return false;
            }

            sb.Append(StructuredFieldParser.Quote(component)).Append(": ").Append(value).Append('\n');
        }

        sb.Append("\"@signature-params\": ").Append(serializedParams);
        signatureBase = sb.ToString();
        missing = null;
        return true;
    }
}
