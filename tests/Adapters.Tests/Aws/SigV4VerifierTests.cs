using System.Text;

namespace Gateway.Adapters.Tests.Aws;

/// <summary>
/// The test verifier checked on AWS's published Signature Version 4 test-suite examples (the <c>.sreq</c> files of
/// "Signature Version 4 Test Suite": key AKIDEXAMPLE, 2015-08-30, us-east-1, service "service"), before it is trusted
/// to judge the adapters' requests.
/// </summary>
public sealed class SigV4VerifierTests
{
    private const string Secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    private const string Scope = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, ";
    private const string Token = "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==";

    private static readonly Dictionary<string, string> s_secrets = new() { ["AKIDEXAMPLE"] = Secret };

    public static TheoryData<string, string, string, string, string> Examples => new()
    {
        { "post-vanilla", "POST /", "", "", "SignedHeaders=host;x-amz-date, Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b" },
        { "get-utf8", "GET /\u1234", "", "", "SignedHeaders=host;x-amz-date, Signature=8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85" },
        { "get-vanilla-query-order-key", "GET /?Param1=value2&Param1=Value1", "", "", "SignedHeaders=host;x-amz-date, Signature=eedbc4e291e521cf13422ffca22be7d2eb8146eecf653089df300a15b2382bd1" },
        { "get-header-value-trim", "GET /", "My-Header1: value1\nMy-Header2: \"a   b   c\"", "", "SignedHeaders=host;my-header1;my-header2;x-amz-date, Signature=acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736" },
        { "post-x-www-form-urlencoded", "POST /", "Content-Type:application/x-www-form-urlencoded", "Param1=value1", "SignedHeaders=content-type;host;x-amz-date, Signature=ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a" },
        { "post-sts-header-before", "POST /", "X-Amz-Security-Token:" + Token, "", "SignedHeaders=host;x-amz-date;x-amz-security-token, Signature=85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead" },
    };

    [Theory]
    [MemberData(nameof(Examples))]
    public void Accepts_the_published_examples(string name, string line, string headers, string body, string authorization)
    {
        var request = Parse(line, headers, body, authorization);

        Assert.True(SigV4Verifier.Verify(request, s_secrets, "service", "us-east-1") is null, name);
    }

    [Theory]
    [MemberData(nameof(Examples))]
    public void Refuses_the_examples_altered(string name, string line, string headers, string body, string authorization)
    {
        var changedBody = Parse(line, headers, body + "x", authorization);
        var changedPath = Parse(line.Replace(" /", " /x", StringComparison.Ordinal), headers, body, authorization);
        var otherKey = new Dictionary<string, string> { ["AKIDEXAMPLE"] = Secret + "x" };

        Assert.NotNull(SigV4Verifier.Verify(changedBody, s_secrets, "service", "us-east-1"));
        Assert.NotNull(SigV4Verifier.Verify(changedPath, s_secrets, "service", "us-east-1"));
        Assert.NotNull(SigV4Verifier.Verify(Parse(line, headers, body, authorization), otherKey, "service", "us-east-1"));
        Assert.NotNull(SigV4Verifier.Verify(Parse(line, headers, body, authorization), s_secrets, "service", "eu-west-1"));
        Assert.True(name.Length > 0);
    }

    private static SigV4Verifier.Request Parse(string line, string headers, string body, string authorization)
    {
        var space = line.IndexOf(' ', StringComparison.Ordinal);
        var list = new List<KeyValuePair<string, string>> { new("Host", "example.amazonaws.com"), new("X-Amz-Date", "20150830T123600Z") };
        foreach (var header in headers.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var colon = header.IndexOf(':', StringComparison.Ordinal);
            list.Add(new(header[..colon], header[(colon + 1)..]));
        }

        list.Add(new("Authorization", Scope + authorization));
        return new SigV4Verifier.Request(line[..space], line[(space + 1)..], list, Encoding.UTF8.GetBytes(body));
    }
}
