using Microsoft.Extensions.Options;

namespace Gateway.Signing.AspNetCore;

/// <summary>Runs <see cref="SoracomVerificationOptions.Validate"/> when the options are first used, and at start.</summary>
internal sealed class SoracomVerificationOptionsValidator : IValidateOptions<SoracomVerificationOptions>
{
    public ValidateOptionsResult Validate(string? name, SoracomVerificationOptions options)
    {
        var errors = options.Validate();
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
