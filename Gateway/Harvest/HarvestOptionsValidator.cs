using Microsoft.Extensions.Options;

namespace Gateway.Harvest;

/// <summary>Refuses a start with Harvest settings out of range, naming the setting and the allowed values.</summary>
internal sealed class HarvestOptionsValidator : IValidateOptions<HarvestOptions>
{
    public ValidateOptionsResult Validate(string? name, HarvestOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        Range(errors, "RetentionDays", options.RetentionDays, 1, 3650);
        Range(errors, "MaxEntryBytes", options.MaxEntryBytes, 1, 800_000);
        Range(errors, "QueueCapacity", options.QueueCapacity, 1, 1_000_000);
        Range(errors, "MaxBatchSize", options.MaxBatchSize, 1, 10_000);
        Range(errors, "RetentionIntervalMinutes", options.RetentionIntervalMinutes, 1, 1440);
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static void Range(List<string> errors, string setting, int value, int min, int max)
    {
        if (value < min || value > max)
        {
            errors.Add($"{HarvestOptions.SectionName}:{setting} must be between {min} and {max} (was {value}).");
        }
    }
}
