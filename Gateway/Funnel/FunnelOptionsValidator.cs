using Microsoft.Extensions.Options;

namespace Gateway.Funnel;

/// <summary>Names each setting that is out of range, with the range.</summary>
internal sealed class FunnelOptionsValidator : IValidateOptions<FunnelOptions>
{
    public ValidateOptionsResult Validate(string? name, FunnelOptions options)
    {
        var errors = new List<string>();
        void Range(string setting, double value, double min, double max)
        {
            if (value < min || value > max || double.IsNaN(value))
            {
                errors.Add($"{FunnelOptions.SectionName}:{setting} must be between {min} and {max} (was {value}).");
            }
        }

        Range(nameof(options.DeliveryTimeoutSeconds), options.DeliveryTimeoutSeconds, 1, 300);
        Range(nameof(options.MaxConcurrencyPerDestination), options.MaxConcurrencyPerDestination, 1, 4096);
        Range(nameof(options.QueueCapacityPerDestination), options.QueueCapacityPerDestination, 1, 1_000_000);
        Range(nameof(options.BatchWindowMilliseconds), options.BatchWindowMilliseconds, 0, 100);
        Range(nameof(options.RetryBaseDelayMilliseconds), options.RetryBaseDelayMilliseconds, 1, 60_000);
        Range(nameof(options.RetryMaxDelayMilliseconds), options.RetryMaxDelayMilliseconds, options.RetryBaseDelayMilliseconds, 60_000);
        Range(nameof(options.ErrorLogCapacity), options.ErrorLogCapacity, 0, 1_000_000);
        Range(nameof(options.ErrorLogRetentionMinutes), options.ErrorLogRetentionMinutes, 1, 60 * 24 * 32);
        if (options.OperatorId is { Length: 0 })
        {
            errors.Add($"{FunnelOptions.SectionName}:OperatorId may not be empty.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
