using Gateway.Cli;

namespace Gateway.Tests;

public sealed class ParseCommandTests
{
    private const string T1Format = "flag:0:bool:7 temp:1:int:13:/10 humid:3:uint:8:/100 lat::float:32 long::float:32";
    private const string T1Json = """{"flag":true,"temp":25.5,"humid":0.95,"lat":35.669918060302734,"long":139.74423217773438,"binaryParserEnabled":true}""";

    [Fact]
    public async Task Parse_hex_prints_the_json_and_a_newline()
    {
        var (exit, output, error) = await RunAsync("", "parse", "--format", T1Format, "--hex", "8007F85F420EADFF430BBE86");
        Assert.Equal(0, exit);
        Assert.Equal(T1Json + "\n", output.ReplaceLineEndings("\n"));
        Assert.Equal("", error);
    }

    [Fact]
    public async Task Predefined_format_may_follow_the_option_as_a_separate_argument()
    {
        // Response-file expansion is off, so '@button' is a format name, not a file.
        var (exit, output, _) = await RunAsync("", "parse", "--format", "@button", "--hex", "4d010351");
        Assert.Equal(0, exit);
        Assert.Equal("""{"clickType":1,"clickTypeName":"SINGLE","batteryLevel":1,"binaryParserEnabled":true}""" + "\n", output.ReplaceLineEndings("\n"));
    }

    [Fact]
    public async Task Parse_accepts_spaced_and_prefixed_hex()
    {
        var (exit, output, _) = await RunAsync("", "parse", "--format=@button", "--hex", "0x4d 01 03 51");
        Assert.Equal(0, exit);
        Assert.Equal("""{"clickType":1,"clickTypeName":"SINGLE","batteryLevel":1,"binaryParserEnabled":true}""" + "\n", output.ReplaceLineEndings("\n"));
    }

    [Fact]
    public async Task Parse_base64()
    {
        var payload = Convert.ToBase64String(Convert.FromHexString("816c1e71"));
        var (exit, output, _) = await RunAsync("", "parse", "--format=@sensit", "--base64", payload);
        Assert.Equal(0, exit);
        Assert.StartsWith("""{"mode":1,"modeText":"Temperature + Humidity",""", output, StringComparison.Ordinal);
        Assert.Contains("\"humidity\":56.5,\"binaryParserEnabled\":true}", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Parse_reads_the_payload_from_standard_input_when_no_option_gives_it()
    {
        var (exit, output, _) = await RunAsync("""{"lat":35.0,"lon":139.0,"bat":3}""", "parse", "--format=@gpsmultiunit");
        Assert.Equal(0, exit);
        Assert.Equal("""{"lat":35,"lon":139,"bat":3,"binaryParserEnabled":true}""" + "\n", output.ReplaceLineEndings("\n"));
    }

    [Fact]
    public async Task Parse_reports_fields_left_out_of_a_short_payload_and_still_succeeds()
    {
        var (exit, output, error) = await RunAsync("", "parse", "--format", T1Format, "--hex", "8007F85F");
        Assert.Equal(0, exit);
        Assert.Equal("""{"flag":true,"temp":25.5,"humid":0.95,"binaryParserEnabled":true}""" + "\n", output.ReplaceLineEndings("\n"));
        Assert.Contains("2 field(s) did not fit in the 4-byte payload", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Parse_a_bad_format_prints_the_position_and_exits_2()
    {
        var (exit, output, error) = await RunAsync("", "parse", "--format", "a:0:uint:8 temp:1:flaot:13", "--hex", "00");
        Assert.Equal(GatewayCommandLine.UsageError, exit);
        Assert.Equal("", output);
        Assert.Equal(
            "gateway parse: invalid format: field 2, column 19: unknown type 'flaot'; expected bool, int, uint, float or char\n"
            + "  a:0:uint:8 temp:1:flaot:13\n"
            + "                    ^\n",
            error.ReplaceLineEndings("\n"));
    }

    [Fact]
    public async Task Parse_an_unknown_predefined_format_exits_2()
    {
        var (exit, _, error) = await RunAsync("", "parse", "--format=@nope", "--hex", "00");
        Assert.Equal(GatewayCommandLine.UsageError, exit);
        Assert.Contains("field 1, column 1: unknown predefined format '@nope'", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--hex", "abc", "--hex is not hexadecimal")]
    [InlineData("--hex", "zz", "--hex is not hexadecimal")]
    [InlineData("--base64", "***", "--base64 is not Base64")]
    public async Task Parse_bad_payload_text_exits_2_with_a_message(string option, string value, string message)
    {
        var (exit, output, error) = await RunAsync("", "parse", "--format", "a:0:uint:8", option, value);
        Assert.Equal(GatewayCommandLine.UsageError, exit);
        Assert.Equal("", output);
        Assert.Contains(message, error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Parse_with_both_hex_and_base64_exits_2()
    {
        var (exit, _, error) = await RunAsync("", "parse", "--format", "a:0:uint:8", "--hex", "00", "--base64", "AA==");
        Assert.Equal(GatewayCommandLine.UsageError, exit);
        Assert.Contains("not both", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Parse_without_format_exits_2()
    {
        var (exit, _, error) = await RunAsync("", "parse", "--hex", "00");
        Assert.Equal(GatewayCommandLine.UsageError, exit);
        Assert.Contains("--format", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Parse_as_a_real_process_reads_raw_bytes_from_standard_input()
    {
        var (exit, output, _) = await CliRunner.RunProcessAsync("AB", "parse", "--format", "a:0:uint:8 b:1:char:1");
        Assert.Equal(0, exit);
        Assert.Equal("""{"a":65,"b":"B","binaryParserEnabled":true}""" + "\n", output.ReplaceLineEndings("\n"));
    }

    private static async Task<(int Exit, string Out, string Err)> RunAsync(string stdin, params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = await GatewayCommandLine.InvokeAsync(args, new StringReader(stdin), output, error, TestContext.Current.CancellationToken);
        return (exit, output.ToString(), error.ToString());
    }
}
