namespace Gateway.Tests;

public sealed class SignCommandTests
{
    [Fact]
    public async Task Sign_prints_the_documented_headers_for_vector_1()
    {
        var (exit, output, _) = await CliRunner.RunAsync("", "sign", "--psk", "mysecretkey", "--imei", "860000012345678", "--imsi", "295000012345678", "--timestamp", "1445587157992");

        Assert.Equal(0, exit);
        Assert.Equal(
            "x-soracom-imei: 860000012345678\n"
            + "x-soracom-imsi: 295000012345678\n"
            + "x-soracom-timestamp: 1445587157992\n"
            + "x-soracom-signature: 95c8e34d68e2bd76502c1e403108dc1bd7008964c31081d0415adb9f21a721a5\n"
            + "x-soracom-signature-version: 20151001\n",
            output.ReplaceLineEndings("\n"));
    }

    [Fact]
    public async Task Sign_orders_headers_as_the_string_to_sign_whatever_the_option_order()
    {
        var (exit, output, _) = await CliRunner.RunAsync("", "sign", "--sim-id", "8981100024620429680", "--msisdn", "8180123456780000", "--psk", "k", "--imsi", "440101234567890", "--imei", "1", "--timestamp", "1");
        Assert.Equal(0, exit);
        var names = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l[..l.IndexOf(':', StringComparison.Ordinal)]);
        Assert.Equal(
            ["x-soracom-imei", "x-soracom-imsi", "x-soracom-msisdn", "x-soracom-sim-id", "x-soracom-timestamp", "x-soracom-signature", "x-soracom-signature-version"],
            names);
    }

    [Theory]
    [InlineData("--sigfox-device-id", "FFFFFF", "f9e3364679192f572318101e7fea3186d01c2f751b661735875116463a2db466")]
    [InlineData("--lora-device-id", "0123456789abcdef", "4eed6b68e7ac8093c375ef6d2346e510ccaa08afc8292f5e613271aaa5b13a28")]
    [InlineData("--device-id", "d-0123456789acbdefghij", "ab59fbf1a5b68cf7d3547342c40f6f170ed5a2d07017d810e3a39ee4a654aa6d")]
    public async Task Sign_handles_device_id_forms(string option, string id, string signature)
    {
        var (exit, output, _) = await CliRunner.RunAsync("", "sign", "--psk", "secret", option, id, "--timestamp", "1443571200000");
        Assert.Equal(0, exit);
        Assert.Contains($"x-soracom-signature: {signature}\n", output.ReplaceLineEndings("\n"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sign_tcp_prints_the_first_line()
    {
        var (exit, output, _) = await CliRunner.RunAsync("", "sign", "--tcp", "--psk", "topsecret", "--imei", "123456789012345", "--imsi", "440101234567890",
            "--msisdn", "8180123456780000", "--sim-id", "8981100024620429680", "--timestamp", "1608251959862");
        Assert.Equal(0, exit);
        Assert.Equal(
            "imei=123456789012345 imsi=440101234567890 msisdn=8180123456780000 simId=8981100024620429680 timestamp=1608251959862"
            + ";signature=311ed53ec016d632bad45ce6da0872a9bcda86d1c96943b898d0ab250040e1f5 version=20150901\n",
            output);
    }

    [Fact]
    public async Task Sign_tcp_crlf_without_version()
    {
        var (_, output, _) = await CliRunner.RunAsync("", "sign", "--tcp", "--crlf", "--no-version", "--psk", "mysecretkey", "--imei", "860000012345678", "--imsi", "295000012345678", "--timestamp", "1445587157992");
        Assert.Equal("imei=860000012345678 imsi=295000012345678 timestamp=1445587157992;signature=80188d076747e6535d4e4a339dca3a8960dd6e2e24b8e28e8d8afef39655eca5\r\n", output);
    }

    [Fact]
    public async Task Sign_without_timestamp_uses_the_current_time()
    {
        var before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var (_, output, _) = await CliRunner.RunAsync("", "sign", "--psk", "k", "--imsi", "1");
        var after = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var ts = long.Parse(output.Split('\n').Single(l => l.StartsWith("x-soracom-timestamp: ", StringComparison.Ordinal))["x-soracom-timestamp: ".Length..], System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(ts, before, after);
    }

    [Theory]
    [InlineData(new[] { "sign", "--imsi", "1" }, "Option '--psk' is required.")]
    [InlineData(new[] { "sign", "--psk", "k" }, "give at least one identifier")]
    [InlineData(new[] { "sign", "--psk", "k", "--imsi", "1", "--timestamp", "soon" }, "soon")]
    [InlineData(new[] { "sign", "--psk", "k", "--imsi", "1", "--timestamp", "-5" }, "--timestamp must be a non-negative")]
    [InlineData(new[] { "sign", "--tcp", "--psk", "k", "--lora-device-id", "1" }, "a TCP first line carries only")]
    [InlineData(new[] { "sign", "--psk", "", "--imsi", "1" }, "--psk may not be empty")]
    public async Task Sign_usage_errors_exit_2_with_a_message(string[] args, string message)
    {
        var (exit, output, error) = await CliRunner.RunAsync("", args);
        Assert.Equal(2, exit);
        Assert.Equal("", output);
        Assert.Contains(message, error, StringComparison.Ordinal);
    }
}
