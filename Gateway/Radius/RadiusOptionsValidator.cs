using System.Net;
using Microsoft.Extensions.Options;

namespace Gateway.Radius;

/// <summary>
/// Checks <see cref="RadiusOptions"/> at start; every message names the setting by its configuration path and says
/// what is allowed. Nothing is checked while the listener is disabled, since nothing of it is used.
/// </summary>
internal sealed class RadiusOptionsValidator(string sectionPath = RadiusOptions.SectionName) : IValidateOptions<RadiusOptions>
{
    public ValidateOptionsResult Validate(string? name, RadiusOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!options.Enabled)
        {
            return ValidateOptionsResult.Success;
        }

        var errors = new List<string>();
        if (!IPEndPoint.TryParse(options.Listen ?? "", out var listen) || !options.Listen!.Contains(':', StringComparison.Ordinal))
        {
            errors.Add($"{sectionPath}:Listen must be an address and port such as 127.0.0.1:1813 or [::1]:1813 (was '{options.Listen}').");
        }
        else if (listen.Port is < 0 or > 65535)
        {
            errors.Add($"{sectionPath}:Listen port must be between 0 (any free port) and 65535 (was {listen.Port}).");
        }

        if (options.Clients.Count == 0)
        {
            errors.Add($"{sectionPath}:Clients must list at least one client (Address and Secret) when {sectionPath}:Enabled is true.");
        }

        var seen = new HashSet<IPNetwork>();
        for (var i = 0; i < options.Clients.Count; i++)
        {
            var client = options.Clients[i];
            var path = $"{sectionPath}:Clients:{i}";
            if (client is null)
            {
                errors.Add($"{path} must have an Address and a Secret.");
                continue;
            }

            if (!RadiusClientTable.TryParseRange(client.Address, out var range))
            {
                errors.Add($"{path}:Address must be an IP address or a CIDR range with no bits set past the prefix, such as 10.0.0.0/8 (was '{client.Address}').");
            }
            else if (!seen.Add(range))
            {
                errors.Add($"{path}:Address {range} is listed twice; each client needs exactly one secret.");
            }

            // The secret's value is never echoed: it would end up in the start-up error output.
            if (string.IsNullOrEmpty(client.Secret))
            {
                errors.Add($"{path}:Secret must not be empty.");
            }
        }

        if (options.DuplicateWindow <= TimeSpan.Zero || options.DuplicateWindow > TimeSpan.FromMinutes(10))
        {
            errors.Add($"{sectionPath}:DuplicateWindow must be more than 0 and at most 00:10:00 (was {options.DuplicateWindow}).");
        }

        if (options.QueueCapacity is < 1 or > 1_000_000)
        {
            errors.Add($"{sectionPath}:QueueCapacity must be between 1 and 1000000 (was {options.QueueCapacity}).");
        }

        if (options.Concurrency is < 1 or > 1024)
        {
            errors.Add($"{sectionPath}:Concurrency must be between 1 and 1024 (was {options.Concurrency}).");
        }

        if (options.SinkTimeout <= TimeSpan.Zero || options.SinkTimeout > TimeSpan.FromMinutes(5))
        {
            errors.Add($"{sectionPath}:SinkTimeout must be more than 0 and at most 00:05:00 (was {options.SinkTimeout}).");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
