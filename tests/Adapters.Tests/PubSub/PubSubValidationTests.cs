using Gateway.Adapters.PubSub;
using static Gateway.Adapters.Tests.PubSub.PubSubTestKit;

namespace Gateway.Adapters.Tests.PubSub;

/// <summary>The destination's and the credential type's checks at load: each problem with its path, no secret echoed.</summary>
public sealed class PubSubValidationTests
{
    private const string Path = "groups.g1.SoracomFunnel.destination";

    [Theory]
    [InlineData("projects/my-project/topics/my-topic")]
    [InlineData("my-topic")]
    [InlineData("projects/my-project/topics/dev-#{imsi}")]
    [InlineData("imsi#{imsi}")]
    [InlineData("projects/example.com:legacy/topics/t.x_y~z+%25")]
    [InlineData("http://127.0.0.1:8085/projects/p/topics/topic")]
    [InlineData("http://localhost:8085/v1/projects/p/topics/topic-#{imsi}")]
    [InlineData("https://europe-west1-pubsub.googleapis.com/v1/projects/p/topics/topic")]
    public void Accepts(string resourceUrl) => Assert.Empty(Validate(resourceUrl));

    [Theory]
    [InlineData("", "resourceUrl: names no topic")]
    [InlineData("ab", "resourceUrl: topic 'ab' must be 3-255 characters")]
    [InlineData("#{imsi}", "must start with a letter")]
    [InlineData("projects/p/topics/1abc", "must start with a letter")]
    [InlineData("projects/p/topics/goog-x", "must not start with 'goog'")]
    [InlineData("projects/p/topics/a b c", "may hold only letters")]
    [InlineData("projects/p/subscriptions/abc", "resourceUrl: must be a topic, projects/PROJECT/topics/TOPIC")]
    [InlineData("projects/p/topics/a/b", "resourceUrl: must be a topic")]
    [InlineData("projects/#{imsi}/topics/abc", "#{imsi} is allowed in the topic ID only, not in the project")]
    [InlineData("projects/p/topics/x-#{imsi}-#{imsi}", "#{imsi} may appear once")]
    [InlineData("http://user:secret@127.0.0.1:8085/projects/p/topics/abc", "user information does not belong")]
    [InlineData("ftp://127.0.0.1/projects/p/topics/abc", "resourceUrl: must be a topic")]
    [InlineData("http://127.0.0.1:8085?x=1/projects/p/topics/abc", "is not http(s)://host[:port]")]
    public void Refuses_with_the_path(string resourceUrl, string expected)
    {
        var error = Assert.Single(Validate(resourceUrl));
        Assert.StartsWith($"{Path}.", error, StringComparison.Ordinal);
        Assert.Contains(expected, error, StringComparison.Ordinal);
        Assert.DoesNotContain("secret", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(""","endpoint":42""", "destination.endpoint: must be a string")]
    [InlineData(""","endpoint":"ftp://x" """, "destination.endpoint: 'ftp://x' is not http(s)://host[:port]")]
    [InlineData(""","topic":"x" """, "destination.topic: unknown key for google/pubsub; known: provider, service, resourceUrl, payloadsOnly, endpoint, orderingKey")]
    [InlineData(""","orderingKey":"random" """, "destination.orderingKey: must be \"none\" (the default) or \"imsi\"")]
    public void Refuses_bad_keys(string extra, string expected) =>
        Assert.Contains(expected, Assert.Single(Validate("projects/p/topics/abc", extra)), StringComparison.Ordinal);

    [Fact]
    public void An_endpoint_in_both_places_is_refused() =>
        Assert.Contains("already names an endpoint", Assert.Single(Validate("http://127.0.0.1:1/projects/p/topics/abc", ""","endpoint":"127.0.0.1:2" """)), StringComparison.Ordinal);

    [Fact]
    public void Accepts_endpoint_forms()
    {
        Assert.Empty(Validate("projects/p/topics/abc", ""","endpoint":"127.0.0.1:8085" """));
        Assert.Empty(Validate("projects/p/topics/abc", ""","endpoint":"https://pubsub.example.com" """));
        Assert.Empty(Validate("projects/p/topics/abc", ""","orderingKey":"none" """));
    }

    [Fact]
    public void The_key_file_check_names_what_is_wrong_and_never_a_value()
    {
        Assert.Null(GoogleServiceAccountJson.Problem(ServiceAccounts.KeyFile(ServiceAccounts.NewKey(), "https://oauth2.googleapis.com/token")));
        Assert.Contains("not valid JSON", GoogleServiceAccountJson.Problem("{\"private_key\": \"SECRETSECRET"), StringComparison.Ordinal);
        Assert.DoesNotContain("SECRET", GoogleServiceAccountJson.Problem("{\"private_key\": \"SECRETSECRET"), StringComparison.Ordinal);
        Assert.Equal("has no client_email", GoogleServiceAccountJson.Problem("""{"type":"service_account","private_key":"-----BEGIN PRIVATE KEY-----"}"""));
        Assert.Equal("has no private_key", GoogleServiceAccountJson.Problem("""{"type":"service_account","client_email":"a@b"}"""));
        Assert.StartsWith("has a private_key that is not a PKCS#8 PEM", GoogleServiceAccountJson.Problem("""{"client_email":"a@b","private_key":"SECRETSECRET"}"""), StringComparison.Ordinal);
        Assert.StartsWith("holds a key of type 'authorized_user'", GoogleServiceAccountJson.Problem("""{"type":"authorized_user","client_email":"a@b"}"""), StringComparison.Ordinal);
        Assert.StartsWith("must be a JSON object", GoogleServiceAccountJson.Problem("[1]"), StringComparison.Ordinal);
        Assert.StartsWith("has a token_uri", GoogleServiceAccountJson.Problem("""{"client_email":"a@b","private_key":"-----BEGIN PRIVATE KEY-----","token_uri":"file:///x"}"""), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_bare_topic_without_a_project_from_the_credentials_refuses_every_message()
    {
        await using var adapter = Adapter("my-topic", ""","endpoint":"127.0.0.1:1" """);
        var results = await SendAsync(adapter, [Message("x")], TimeSpan.FromSeconds(5));
        Assert.Equal((DeliveryOutcome.Permanent, 400), (results[0].Outcome, results[0].Status));
        Assert.Contains("names no usable project_id", results[0].Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_credential_set_of_another_type_refuses_every_message()
    {
        var credentials = new AdapterCredentials { CredentialsId = "aws", Type = "aws-credentials", Values = [] };
        await using var adapter = Adapter("projects/p/topics/abc", credentials: credentials);
        var results = await SendAsync(adapter, [Message("x")], TimeSpan.FromSeconds(5));
        Assert.Equal((DeliveryOutcome.Permanent, 401), (results[0].Outcome, results[0].Status));
        Assert.Equal("google/pubsub: credential set aws: type aws-credentials is not google-service-account-json", results[0].Reason);
    }
}
