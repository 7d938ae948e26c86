namespace Gateway.Tests;

public sealed class VerifyCommandTests
{
    private const string Vector1 =
        "x-soracom-imei: 860000012345678\n"
        + "x-soracom-imsi: 295000012345678\n"
        + "x-soracom-signature: 95c8e34d68e2bd76502c1e403108dc1bd7008964c31081d0415adb9f21a721a5\n"
        + "x-soracom-signature-version: 20151001\n"
        + "x-soracom-timestamp: 1445587157992\n";

    [Fact]
    public async Task Verify_accepts_the_documented_headers_with_the_skew_check_off()
    {
        var (exit, output, _) = await CliRunner.RunAsync(Vector1, "verify", "--psk", "mysecretkey", "--max-skew", "0");
        Assert.Equal(0, exit);
        Assert.Equal("ok\n", output.ReplaceLineEndings("\n"));
    }

    [Fact]
    public async Task Verify_with_default_skew_refuses_a_2015_timestamp()
    {
        var (exit, output, _) = await CliRunner.RunAsync(Vector1, "verify", "--psk", "mysecretkey");
        Assert.Equal(1, exit);
        Assert.StartsWith("stale timestamp: 1445587157992 is ", output, StringComparison.Ordinal);
        Assert.Contains("allowed skew is 300 s", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_accepts_crlf_header_lines_and_any_header_case()
    {
        var input = Vector1.ToUpperInvariant().Replace("X-SORACOM-SIGNATURE: 95C8", "X-SORACOM-SIGNATURE: 95c8", StringComparison.Ordinal).Replace("\n", "\r\n", StringComparison.Ordinal);
        var (exit, output, _) = await CliRunner.RunAsync(input, "verify", "--psk", "mysecretkey", "--max-skew", "0");
        Assert.Equal(0, exit);
        Assert.Equal("ok", output.Trim());
    }

    [Fact]
    public async Task Verify_reports_a_mismatch_with_exit_1()
    {
        var (exit, output, _) = await CliRunner.RunAsync(Vector1, "verify", "--psk", "wrong", "--max-skew", "0");
        Assert.Equal(1, exit);
        Assert.Equal("signature mismatch: no configured key produces this signature", output.Trim());
    }

    [Fact]
    public async Task Verify_tries_every_psk_given()
    {
        var (exit, _, _) = await CliRunner.RunAsync(Vector1, "verify", "--psk", "new", "--psk", "mysecretkey", "--max-skew", "0");
        Assert.Equal(0, exit);
    }

    [Fact]
    public async Task Verify_reads_a_tcp_first_line()
    {
        var line = "imsi=440101234567890 timestamp=1608251959862;signature=9b7c3587a10b94453127aa614bac55ca0d953f4a98f428a086114f67120a850b version=20150901\n";
        var (exit, output, _) = await CliRunner.RunAsync(line, "verify", "--psk", "topsecret", "--max-skew", "0");
        Assert.Equal(0, exit);
        Assert.Equal("ok", output.Trim());
    }

    [Theory]
    [InlineData("x-soracom-imsi: 1\n", "missing header x-soracom-signature")]
    [InlineData("garbage\n", "not a header line: 'garbage'")]
    [InlineData("", "missing header x-soracom-signature")]
    [InlineData("imsi=1 timestamp=1;signature=zz\n", "signature= is not 64 hex characters")]
    public async Task Verify_explains_bad_input(string input, string reason)
    {
        var (exit, output, _) = await CliRunner.RunAsync(input, "verify", "--psk", "k", "--max-skew", "0");
        Assert.Equal(1, exit);
        Assert.Equal(reason, output.Trim());
    }

    [Fact]
    public async Task Verify_refuses_oversized_input()
    {
        var (exit, output, _) = await CliRunner.RunAsync(new string('x', (1 << 20) + 1), "verify", "--psk", "k");
        Assert.Equal(1, exit);
        Assert.Equal("input is larger than 1048576 characters", output.Trim());
    }

    [Fact]
    public async Task Verify_negative_skew_is_a_usage_error()
    {
        var (exit, _, _) = await CliRunner.RunAsync(Vector1, "verify", "--psk", "k", "--max-skew", "-1");
        Assert.Equal(2, exit);
    }

    [Fact]
    public async Task Sign_piped_into_verify_round_trips_as_real_processes()
    {
        var signed = await CliRunner.RunProcessAsync("", "sign", "--psk", "topsecret", "--imsi", "440101234567890", "--sim-id", "8981100024620429680");
        Assert.Equal(0, signed.Exit);

        var verified = await CliRunner.RunProcessAsync(signed.Out, "verify", "--psk", "topsecret");
        Assert.Equal(0, verified.Exit);
        Assert.Equal("ok", verified.Out.Trim());

        var tcp = await CliRunner.RunProcessAsync("", "sign", "--tcp", "--psk", "topsecret", "--imsi", "440101234567890");
        var tcpVerified = await CliRunner.RunProcessAsync(tcp.Out, "verify", "--psk", "other");
        Assert.Equal(1, tcpVerified.Exit);
        Assert.Equal("signature mismatch: no configured key produces this signature", tcpVerified.Out.Trim());
    }
}
