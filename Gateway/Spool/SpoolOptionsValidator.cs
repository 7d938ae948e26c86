using Microsoft.Extensions.Options;

namespace Gateway.Spool;

/// <summary>Refuses a start with spool settings out of range, naming the setting and the allowed values.</summary>
internal sealed class SpoolOptionsValidator : IValidateOptions<SpoolOptions>
{
    private static readonly string[] s_fsync = ["always", "interval", "none"];
    private static readonly string[] s_whenFull = ["refuse", "drop-oldest"];

    public ValidateOptionsResult Validate(string? name, SpoolOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        void Range(string setting, long value, long min, long max)
        {
            if (value < min || value > max)
            {
                errors.Add($"{SpoolOptions.SectionName}:{setting} must be between {min} and {max} (was {value}).");
            }
        }

        if (!s_fsync.Contains(options.Fsync))
        {
            errors.Add($"{SpoolOptions.SectionName}:Fsync must be one of {string.Join(", ", s_fsync)} (was '{options.Fsync}').");
        }

        if (!s_whenFull.Contains(options.WhenFull))
        {
            errors.Add($"{SpoolOptions.SectionName}:WhenFull must be one of {string.Join(", ", s_whenFull)} (was '{options.WhenFull}').");
        }

        if (options.Directory is { } dir && string.IsNullOrWhiteSpace(dir))
        {
            errors.Add($"{SpoolOptions.SectionName}:Directory may not be empty (leave it out for <data directory>/spool).");
        }

        Range(nameof(options.FsyncIntervalMilliseconds), options.FsyncIntervalMilliseconds, 1, 1000);
        Range(nameof(options.SegmentBytes), options.SegmentBytes, 64 * 1024, 1024 * 1024 * 1024);
        Range(nameof(options.MaxBytes), options.MaxBytes, 2L * options.SegmentBytes, 1L << 40);
        Range(nameof(options.MaxAgeHours), options.MaxAgeHours, 1, 24 * 365);
        Range(nameof(options.MaxInFlight), options.MaxInFlight, 1, 65_536);
        Range(nameof(options.RetryBaseDelayMilliseconds), options.RetryBaseDelayMilliseconds, 1, 60_000);
        Range(nameof(options.RetryMaxDelayMilliseconds), options.RetryMaxDelayMilliseconds, options.RetryBaseDelayMilliseconds, 3_600_000);
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
