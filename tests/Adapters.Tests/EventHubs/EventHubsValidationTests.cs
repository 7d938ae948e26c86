using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using EventHubsPeer;

namespace Gateway.Adapters.Tests.EventHubs;

/// <summary>The destination's checks at load, and the test peer's own signature check against a token built by hand.</summary>
public sealed class EventHubsValidationTests
{
    private const string Path = "groups.g1.SoracomFunnel.destination";

    [Theory]
    [InlineData("https://my-ns.servicebus.windows.net/my-hub/messages")]
    [InlineData("https://my-ns.servicebus.windows.net/my-hub")]
    [InlineData("https://my-ns.servicebus.windows.net/dev-#{imsi}/messages")]
    [InlineData("sb://my-ns.servicebus.chinacloudapi.cn/hub.1_a")]
    [InlineData("amqp://127.0.0.1:5672/hub")]
    [InlineData("amqp://localhost/hub")]
    [InlineData("http://127.0.0.1:5672/hub/messages")]
    public void Accepts(string url) => Assert.Empty(EventHubsTestKit.Validate(url));

    [Theory]
    [InlineData("ftp://my-ns.servicebus.windows.net/hub", "is not an Event Hubs URL")]
    [InlineData("not a url", "is not an Event Hubs URL")]
    [InlineData("https://my-ns.servicebus.windows.net/", "hub '' is empty")]
    [InlineData("https://my-ns.servicebus.windows.net/-hub/messages", "must start and end with a letter or digit")]
    [InlineData("https://my-ns.servicebus.windows.net/a/b/messages", "may hold only letters")]
    [InlineData("https://my-ns.servicebus.windows.net/hub?x=1", "takes no query")]
    [InlineData("http://my-ns.servicebus.windows.net/hub", "Azure is reached over TLS only")]
    [InlineData("https://my-ns.servicebus.windows.net:8443/hub", "takes no port")]
    [InlineData("https://example.com/hub", "is not supported; a local peer is plain TCP")]
    [InlineData("http://127.0.0.1/hub", "a local peer needs its port")]
    [InlineData("https://#{imsi}.servicebus.windows.net/hub", "allowed in the hub name only")]
    public void Refuses_with_the_path(string url, string expected)
    {
        var error = Assert.Single(EventHubsTestKit.Validate(url));
        Assert.StartsWith($"{Path}.resourceUrl: ", error, StringComparison.Ordinal);
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }

    [Fact]
    public void User_information_is_refused_and_not_echoed()
    {
        var error = Assert.Single(EventHubsTestKit.Validate("https://policy:s3cr3t@my-ns.servicebus.windows.net/hub"));
        Assert.DoesNotContain("s3cr3t", error, StringComparison.Ordinal);
    }

    [Fact]
    public void PartitionKey_must_be_a_boolean()
    {
        Assert.Empty(EventHubsTestKit.Validate("https://my-ns.servicebus.windows.net/hub", ""","partitionKey":false"""));
        Assert.Equal([$"{Path}.partitionKey: must be true (the IMSI, the default) or false (none)"],
            EventHubsTestKit.Validate("https://my-ns.servicebus.windows.net/hub", ""","partitionKey":"imsi" """));
    }

    [Fact]
    public void The_factory_names_its_destination_and_credential_type()
    {
        Assert.Equal(("azure", "eventhubs"), (EventHubsTestKit.Factory.Provider, EventHubsTestKit.Factory.Service));
        Assert.Equal(["azure-credentials"], EventHubsTestKit.Factory.CredentialTypes);
    }

    [Fact]
    public void The_peer_checks_a_token_signed_by_hand()
    {
        // Built here from the documented format, not by the SDK: sig = Base64(HMAC-SHA256(key, urlencode(uri) + "\n" + expiry)).
        const string KeyName = "send", Key = "abc+/=";
        var now = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000);
        var expiry = (now.ToUnixTimeSeconds() + 3600).ToString(CultureInfo.InvariantCulture);
        string Token(string resource, string key, string expires)
        {
            var sr = WebUtility.UrlEncode(resource);
            var sig = Convert.ToBase64String(HMACSHA256.HashData(Encoding.UTF8.GetBytes(key), Encoding.UTF8.GetBytes(sr + "\n" + expires)));
            return $"SharedAccessSignature sr={sr}&sig={WebUtility.UrlEncode(sig)}&se={expires}&skn={KeyName}";
        }

        Assert.Null(SasTokenCheck.Problem(Token("amqps://ns.servicebus.windows.net/hub", Key, expiry), KeyName, Key, "hub", now));
        Assert.Null(SasTokenCheck.Problem(Token("amqps://ns.servicebus.windows.net/", Key, expiry), KeyName, Key, "hub", now));
        Assert.Equal("signature does not match the key", SasTokenCheck.Problem(Token("amqps://ns.servicebus.windows.net/hub", "other", expiry), KeyName, Key, "hub", now));
        Assert.Equal("token is for 'hub', not 'other'", SasTokenCheck.Problem(Token("amqps://ns.servicebus.windows.net/hub", Key, expiry), KeyName, Key, "other", now));
        Assert.Equal("token expired", SasTokenCheck.Problem(Token("amqps://ns.servicebus.windows.net/hub", Key, "1699999999"), KeyName, Key, "hub", now));
        Assert.Equal("unknown key name", SasTokenCheck.Problem(Token("amqps://ns.servicebus.windows.net/hub", Key, expiry), "listen", Key, "hub", now));
    }
}
