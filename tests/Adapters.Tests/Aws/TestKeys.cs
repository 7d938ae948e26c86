using System.Text.Json.Nodes;

namespace Gateway.Adapters.Tests.Aws;

/// <summary>The access key the in-test peers accept, in AWS's documented example form (no real account's).</summary>
internal static class TestKeys
{
    public const string AccessKeyId = "AKIAIOSFODNN7EXAMPLE";
    public const string Secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

    public static IReadOnlyDictionary<string, string> Secrets { get; } = new Dictionary<string, string> { [AccessKeyId] = Secret };

    public static AdapterCredentials Credentials(string secret = Secret, string? region = null)
    {
        var values = new JsonObject { ["accessKeyId"] = AccessKeyId, ["secretAccessKey"] = secret };
        if (region is not null)
        {
            values["region"] = region;
        }

        return new AdapterCredentials { CredentialsId = "my-aws", Type = "aws-credentials", Values = values };
    }
}
