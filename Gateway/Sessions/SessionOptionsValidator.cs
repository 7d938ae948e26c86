using Microsoft.Extensions.Options;

namespace Gateway.Sessions;

/// <summary>Refuses a start with an online window outside 1 s … 1 day, naming the setting.</summary>
internal sealed class SessionOptionsValidator : IValidateOptions<SessionOptions>
{
    public ValidateOptionsResult Validate(string? name, SessionOptions options) =>
        options.OnlineWindowSeconds is < 1 or > 86_400
            ? ValidateOptionsResult.Fail($"{SessionOptions.SectionName}:OnlineWindowSeconds must be between 1 and 86400 (was {options.OnlineWindowSeconds}).")
            : ValidateOptionsResult.Success;
}
