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
        // IPEndPoint.TryParse takes "127.0.0.1" and "::1" as port 0; a listener whose port was forgotten should not
        // quietly land on a random one, so the port must be written out ("[::1]:1813" for IPv6).
        var listen = options.Listen ?? "";
        var hasPort = listen.StartsWith('[') ? listen.Contains("]:", StringComparison.Ordinal) : listen.Count(c => c == ':') == 1;
        if (!hasPort || !IPEndPoint.TryParse(listen, out _))
        {
            errors.Add($"{sectionPath}:Listen must be an address and a port from 0 (any free port) to 65535, such as 127.0.0.1:1813 or [::1]:1813 (was '{options.Listen}').");
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

            if (!Net.AddressRanges.TryParse(client.Address, out var range))
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
