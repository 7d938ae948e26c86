using System.Text.Json.Nodes;
using Gateway.Beam;
using Gateway.Registry;

namespace Gateway.Tests.Registry;

/// <summary>
/// Configuration text that ends up in a request head, a first line or an MQTT CONNECT is checked where it is loaded
/// (seed file, store, every admin write: all go through <see cref="RegistryParser"/>), and again where it is written.
/// </summary>
public sealed class WireValueValidationTests
{
    private const string Entry = "groups[g1].configuration.SoracomBeam[\"http://beam.soracom.io:8888/\"]";

    private static List<string> ParseEntry(string entryJson)
    {
        var group = $$"""{ "groupId": "g1", "configuration": { "SoracomBeam": { "http://beam.soracom.io:8888/": {{entryJson}} } } }""";
        var errors = new List<string>();
        RegistryParser.Parse(JsonNode.Parse(RegistryParserTests.Seed(group: group, subscribers: "").Replace("\"groupId\": \"12345678-abcd-9012-efab-345678901234\", ", string.Empty, StringComparison.Ordinal)), errors);
        return errors;
    }

    public static TheoryData<string, string> Injections => new()
    {
        { """{ "destination": "http://127.0.0.1:9000/", "authorization": "Bearer a\r\nX-Injected: yes" }""", $"{Entry}.authorization: a header value: not empty, no control characters (CR, LF, NUL, …)" },
        { """{ "destination": "http://127.0.0.1:9000/", "authorization": "Bearer a\nb" }""", $"{Entry}.authorization: a header value: not empty, no control characters (CR, LF, NUL, …)" },
        { """{ "destination": "http://127.0.0.1:9000/", "customHeaders": { "X-A": { "action": "replace", "headerKey": "X-A\r\nX-B", "headerValue": "v" } } }""", $"{Entry}.customHeaders.X-A.headerKey: 'X-A\\u000d\\u000aX-B' is not a valid header name" },
        { """{ "destination": "http://127.0.0.1:9000/", "customHeaders": { "X-A": { "action": "append", "headerValue": "v\u0000" } } }""", $"{Entry}.customHeaders.X-A.headerValue: may not contain control characters (CR, LF, NUL, …)" },
        { """{ "destination": "http://127.0.0.1:9000/", "name": "n\r\nforged log line" }""", $"{Entry}.name: may not contain control characters (CR, LF, NUL, …)" },
        { """{ "destination": "http://127.0.0.1:9000/", "messageSignature": { "keyId": "k\"1", "key": "secret" } }""", $"{Entry}.messageSignature.keyId: printable ASCII without \" or \\ (it is written into Signature-Input)" },
    };

    [Theory]
    [MemberData(nameof(Injections))]
    public void Values_that_would_break_a_head_are_refused_with_their_path(string entry, string expected)
    {
        Assert.Equal(expected, Assert.Single(ParseEntry(entry)));
    }

    [Fact]
    public void Mqtt_credentials_with_control_characters_are_refused_without_echoing_them()
    {
        var group = """{ "groupId": "g1", "configuration": { "SoracomBeam": { "mqtt://beam.soracom.io:1883": { "destination": "mqtt://127.0.0.1:1883", "username": "u\u0000ser", "password": "p\r\nw" } } } }""";
        var errors = new List<string>();
        RegistryParser.Parse(JsonNode.Parse(RegistryParserTests.Seed(group: group).Replace("\"groupId\": \"12345678-abcd-9012-efab-345678901234\", ", string.Empty, StringComparison.Ordinal)), errors);

        const string mqtt = "groups[g1].configuration.SoracomBeam[\"mqtt://beam.soracom.io:1883\"]";
        Assert.Equal([$"{mqtt}.username: may not contain control characters (CR, LF, NUL, …)", $"{mqtt}.password: may not contain control characters (CR, LF, NUL, …)"], errors);
    }

    [Fact]
    public void A_destination_with_user_info_is_refused_and_the_password_is_not_repeated()
    {
        var error = Assert.Single(ParseEntry("""{ "destination": "http://user:hunter2@127.0.0.1:9000/" }"""));

        Assert.Equal($"{Entry}.destination: may not carry user-info (user:password@); give credentials with authorization, username/password or a credential set", error);
        Assert.DoesNotContain("hunter2", error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_clean_authorization_and_tabbed_header_value_load()
    {
        Assert.Empty(ParseEntry("""{ "destination": "http://127.0.0.1:9000/", "authorization": "Bearer abc", "customHeaders": { "X-A": { "action": "append", "headerValue": "a\tb" } } }"""));
    }

    [Fact]
    public void The_writer_refuses_a_line_break_that_got_past_validation()
    {
        Assert.True(BeamEntryPointKey.TryParse("http://beam.soracom.io:8888/", out var key, out _));
        var entry = new BeamEntry
        {
            Key = key,
            Destination = new Uri("http://127.0.0.1:9000/"),
            CustomHeaders = [new CustomHeader(HeaderAction.Append, "X-Injected", "a\r\nX-Second: yes")],
        };
        using var request = new HttpRequestMessage(HttpMethod.Post, entry.Destination);

        var e = Assert.Throws<InvalidOperationException>(() => BeamHeaders.ApplyCustomHeaders(request, entry));
        Assert.DoesNotContain("X-Second", e.Message, StringComparison.Ordinal);
        Assert.False(request.Headers.Contains("X-Injected"));
    }

    [Theory]
    [InlineData("ok value", false)]
    [InlineData("tab\tok", false)]
    [InlineData("cr\r", true)]
    [InlineData("lf\n", true)]
    [InlineData("nul\0", true)]
    public void Head_check_matches_line_breaks_and_nul(string value, bool breaks)
    {
        Assert.Equal(breaks, WireText.BreaksHead(value));
        if (breaks)
        {
            Assert.Throws<InvalidOperationException>(() => WireText.EnsureSafeInHead("a value", value));
        }
    }
}
