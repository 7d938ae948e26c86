using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Gateway.Admin;

/// <summary>
/// A permission document in SORACOM SAM's syntax: <c>{"statements":[{"effect":"allow|deny","api":[…],"condition":"…"}]}</c>.
/// <c>api</c> entries are <c>Service:operation</c> with <c>*</c> wildcards. Conditions support the documented
/// subset: <c>ipAddress('cidr', …)</c>, <c>currentDate &lt;op&gt; date(y, m, d)</c>, joined with <c>and</c>. An explicit deny
/// beats any allow; anything not allowed is denied.
/// </summary>
internal sealed partial class SamPermission
{
    private readonly List<Statement> _statements;

    private SamPermission(List<Statement> statements) => _statements = statements;

    /// <summary>Allows everything: the root auth key.</summary>
    public static SamPermission AllowAll { get; } = new([new Statement(true, [new Regex("^.*$", RegexOptions.None, TimeSpan.FromMilliseconds(50))], [])]);

    public static SamPermission? Parse(JsonNode? document, string path, List<string> errors)
    {
        if (document is JsonValue v && v.GetValueKind() == JsonValueKind.String)
        {
            // SORACOM embeds the document as a JSON string.
            try
            {
                document = JsonNode.Parse(v.GetValue<string>());
            }
            catch (JsonException e)
            {
                errors.Add($"{path}: not valid JSON: {e.Message}");
                return null;
            }
        }

        if (document is not JsonObject o || o["statements"] is not JsonArray statements)
        {
            errors.Add($"{path}: must be {{\"statements\": [...]}}");
            return null;
        }

        var result = new List<Statement>();
        for (var i = 0; i < statements.Count; i++)
        {
            var sPath = $"{path}.statements[{i}]";
            if (statements[i] is not JsonObject s)
            {
                errors.Add($"{sPath}: must be an object");
                continue;
            }

            var effect = (s["effect"] as JsonValue)?.GetValueKind() == JsonValueKind.String ? s["effect"]!.GetValue<string>() : null;
            if (effect is not ("allow" or "deny"))
            {
                errors.Add($"{sPath}.effect: must be allow or deny");
            }

            var apis = s["api"] switch
            {
                JsonValue one when one.GetValueKind() == JsonValueKind.String => [one.GetValue<string>()],
                JsonArray many => many.Select(static a => a is JsonValue av && av.GetValueKind() == JsonValueKind.String ? av.GetValue<string>() : null).ToList(),
                _ => null,
            };
            if (apis is null || apis.Count == 0 || apis.Any(static a => a is null || !ApiPatternRegex().IsMatch(a)))
            {
                errors.Add($"{sPath}.api: a string or list of strings such as \"Subscriber:list*\", \"Group:*\" or \"*\"");
                continue;
            }

            var conditions = new List<Func<RequestFacts, bool>>();
            if (s["condition"] is { } condition)
            {
                var text = condition is JsonValue cv && cv.GetValueKind() == JsonValueKind.String ? cv.GetValue<string>() : null;
                if (text is null)
                {
                    errors.Add($"{sPath}.condition: must be a string");
                    continue;
                }

                if (!TryParseCondition(text, conditions, out var reason))
                {
                    errors.Add($"{sPath}.condition: {reason}");
                    continue;
                }
            }

            result.Add(new Statement(effect == "allow", [.. apis.Select(static a => ToRegex(a!))], conditions));
        }

        return result.Count == statements.Count ? new SamPermission(result) : null;
    }

    /// <summary>Whether the operation is allowed for a request with these facts.</summary>
    public bool Allows(string operation, RequestFacts facts)
    {
        var allowed = false;
        foreach (var statement in _statements)
        {
            if (!statement.Apis.Any(r => r.IsMatch(operation)) || !statement.Conditions.All(c => c(facts)))
            {
                continue;
            }

            if (!statement.Allow)
            {
                return false;
            }

            allowed = true;
        }

        return allowed;
    }

    private static Regex ToRegex(string pattern) =>
        new("^" + Regex.Escape(pattern).Replace("\\*", ".*", StringComparison.Ordinal) + "$", RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(50));

    private static bool TryParseCondition(string text, List<Func<RequestFacts, bool>> conditions, out string reason)
    {
        foreach (var raw in AndRegex().Split(text))
        {
            var term = raw.Trim();
            if (IpAddressRegex().Match(term) is { Success: true } ip)
            {
                var networks = new List<IPNetwork>();
                foreach (Capture c in ip.Groups["cidr"].Captures)
                {
                    if (!IPNetwork.TryParse(c.Value.Contains('/', StringComparison.Ordinal) ? c.Value : c.Value + (c.Value.Contains(':', StringComparison.Ordinal) ? "/128" : "/32"), out var n))
                    {
                        reason = $"'{c.Value}' is not an address or CIDR range";
                        return false;
                    }

                    networks.Add(n);
                }

                var ranges = networks.ToArray();
                conditions.Add(f => f.RemoteAddress is { } a && Net.AddressRanges.Contains(ranges, a));
                continue;
            }

            if (DateRegex().Match(term) is { Success: true } date)
            {
                if (!DateOnly.TryParseExact(
                    $"{date.Groups["y"].Value}-{int.Parse(date.Groups["m"].Value, CultureInfo.InvariantCulture):00}-{int.Parse(date.Groups["d"].Value, CultureInfo.InvariantCulture):00}",
                    "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
                {
                    reason = $"'{term}' has an impossible date";
                    return false;
                }

                var op = date.Groups["op"].Value;
                conditions.Add(f =>
                {
                    var today = DateOnly.FromDateTime(f.Now.UtcDateTime);
                    return op switch
                    {
                        ">=" => today >= day,
                        ">" => today > day,
                        "<=" => today <= day,
                        "<" => today < day,
                        "==" => today == day,
                        _ => today != day,
                    };
                });
                continue;
            }

            reason = $"'{term}' is not supported; use ipAddress('cidr', …) or currentDate >= date(y, m, d), joined with and";
            return false;
        }

        reason = string.Empty;
        return true;
    }

    [GeneratedRegex(@"^(\*|[A-Za-z]+:[A-Za-z*]+|[A-Za-z*]+)$")]
    private static partial Regex ApiPatternRegex();

    [GeneratedRegex(@"\s+and\s+")]
    private static partial Regex AndRegex();

    [GeneratedRegex(@"^ipAddress\(\s*'(?<cidr>[^']+)'(\s*,\s*'(?<cidr>[^']+)')*\s*\)$")]
    private static partial Regex IpAddressRegex();

    [GeneratedRegex(@"^currentDate\s*(?<op>>=|<=|==|!=|>|<)\s*date\(\s*(?<y>\d{4})\s*,\s*(?<m>\d{1,2})\s*,\s*(?<d>\d{1,2})\s*\)$")]
    private static partial Regex DateRegex();

    private sealed record Statement(bool Allow, IReadOnlyList<Regex> Apis, IReadOnlyList<Func<RequestFacts, bool>> Conditions);
}
