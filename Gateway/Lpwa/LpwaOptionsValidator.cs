using Microsoft.Extensions.Options;

namespace Gateway.Lpwa;

/// <summary>
/// Checks <see cref="LpwaOptions"/> at start; every message names the setting and what is allowed. Integrations are
/// checked only when the listener is on, since nothing of them is used otherwise. Secrets are never echoed.
/// </summary>
internal sealed class LpwaOptionsValidator : IValidateOptions<LpwaOptions>
{
    private const string Section = LpwaOptions.SectionName;

    public ValidateOptionsResult Validate(string? name, LpwaOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        if (options.Port is < 0 or > 65535)
        {
            errors.Add($"{Section}:Port (--lpwa-port) must be between 0 (off) and 65535 (was {options.Port}).");
        }

        if (options.Port == 0)
        {
            return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
        }

        if (string.IsNullOrWhiteSpace(options.OperatorId) || options.OperatorId.Any(static c => c < 0x21 || c > 0x7e))
        {
            errors.Add($"{Section}:OperatorId must be printable ASCII without spaces, such as OP0012345678 (was '{options.OperatorId}').");
        }

        if (options.Integrations.Count == 0)
        {
            errors.Add($"{Section}:Integrations must list at least one integration (Name, Type, Secret) when {Section}:Port is set.");
        }

        var seen = new HashSet<(LpwaNetwork, string)>();
        for (var i = 0; i < options.Integrations.Count; i++)
        {
            var integration = options.Integrations[i];
            var path = $"{Section}:Integrations:{i}";
            if (integration is null)
            {
                errors.Add($"{path} must have a Name, a Type and a Secret.");
                continue;
            }

            var nameOk = IsValidName(integration.Name);
            if (!nameOk)
            {
                errors.Add($"{path}:Name must be 1 to 64 letters, digits, '.', '_' or '-' (was '{integration.Name}').");
            }

            var typeOk = TryParseNetwork(integration.Type, out var network);
            if (!typeOk)
            {
                errors.Add($"{path}:Type must be chirpstack, tts or sigfox (was '{integration.Type}').");
            }

            if (nameOk && typeOk && !seen.Add((network, integration.Name!)))
            {
                errors.Add($"{path}:Name '{integration.Name}' is used twice for type {integration.Type}; each integration needs a name of its own.");
            }

            if (integration.Secret is not { Length: >= 16 })
            {
                errors.Add($"{path}:Secret must be at least 16 characters.");
            }
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    public static bool TryParseNetwork(string? type, out LpwaNetwork network)
    {
        switch (type?.ToUpperInvariant())
        {
            case "CHIRPSTACK": network = LpwaNetwork.ChirpStack; return true;
            case "TTS": network = LpwaNetwork.Tts; return true;
            case "SIGFOX": network = LpwaNetwork.Sigfox; return true;
            default: network = default; return false;
        }
    }

    private static bool IsValidName(string? name) =>
        name is { Length: > 0 and <= 64 } && name.All(static c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-');
}
