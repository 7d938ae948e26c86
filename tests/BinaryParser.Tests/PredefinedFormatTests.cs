using System.Text.Json;

namespace Gateway.BinaryParser.Tests;

public sealed class PredefinedFormatTests
{
    [Fact]
    public void The_default_registry_knows_the_soracom_names()
    {
        Assert.Equal(["@button", "@gpsmultiunit", "@json", "@sensit", "@soracom.button"], PredefinedFormatRegistry.Default.Names);
        Assert.Same(BinaryFormat.Compile("@button"), BinaryFormat.Compile(" @button\n"));
        Assert.Equal("@sensit", BinaryFormat.Compile("@sensit").Format);
    }

    [Fact]
    public void Button_battery_levels_and_unknown_click_types()
    {
        var button = BinaryFormat.Compile("@button");
        Assert.Equal("""{"clickType":2,"clickTypeName":"DOUBLE","batteryLevel":0.5,"binaryParserEnabled":true}""", button.DecodeToString([0x4d, 2, 1, 0x50]));
        Assert.Equal("""{"clickType":3,"clickTypeName":"LONG","batteryLevel":0.75,"binaryParserEnabled":true}""", button.DecodeToString([0x4d, 3, 2, 0x53]));
        Assert.Equal("""{"clickType":9,"clickTypeName":null,"batteryLevel":1,"binaryParserEnabled":true}""", button.DecodeToString([0x4d, 9, 3, 0x59]));
    }

    [Fact]
    public void Sensit_other_modes_write_the_common_fields()
    {
        // Mode 3, timeframe 2, type 1, battery high bit 0; battery low bits 0xF.
        var json = BinaryFormat.Compile("@sensit").DecodeToString([0b0011_0011, 0x0F, 0, 0], out var result);
        Assert.Equal(
            """{"mode":3,"modeText":"Door","timeframe":2,"timeframeText":"6 hours","type":1,"typeText":"Button call","battery":3.45,"binaryParserEnabled":true}""",
            json);
        Assert.Equal(new DecodeResult(7, 0), result);
    }

    [Fact]
    public void Sensit_negative_temperature()
    {
        // temp10 = 0 -> (0 - 200) / 8 = -25 C = -13 F.
        var json = BinaryFormat.Compile("@sensit").DecodeToString([0x01, 0x00, 0x40, 0x00]);
        Assert.Contains("\"tempC\":-25,\"tempF\":-13,\"reedSwitchState\":1,\"humidity\":0,", json, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"a":1}""", """{"a":1,"binaryParserEnabled":true}""")]
    [InlineData("""  {"a" : 1.50 , "b":"x\"y\u00e9", "c":[1,2.0,{"d":null}], "e":{"f":true}, "g":false}  """, """{"a":1.5,"b":"x\"y\u00e9","c":[1,2.0,{"d":null}],"e":{"f":true},"g":false,"binaryParserEnabled":true}""")]
    [InlineData("""{"big":123456789012345678901,"huge":1e400,"u":18446744073709551615,"n":-9223372036854775808}""", """{"big":1.2345678901234568E+20,"huge":1e400,"u":18446744073709551615,"n":-9223372036854775808,"binaryParserEnabled":true}""")]
    [InlineData("""{"a\u0062":1,"binaryParserEnabled":false}""", """{"ab":1,"binaryParserEnabled":true}""")]
    [InlineData("""{}""", """{"binaryParserEnabled":true}""")]
    public void Json_payloads_are_copied_with_top_level_numbers_reserialised(string payload, string expected)
    {
        Assert.Equal(expected, BinaryFormat.Compile("@json").DecodeToString(System.Text.Encoding.UTF8.GetBytes(payload)));
    }

    [Fact]
    public void Json_payload_with_bom_and_trailing_nul_is_accepted()
    {
        byte[] payload = [0xEF, 0xBB, 0xBF, .. """{"a":1}"""u8, 0, 0];
        Assert.Equal("""{"a":1,"binaryParserEnabled":true}""", BinaryFormat.Compile("@json").DecodeToString(payload));
    }

    [Theory]
    [InlineData("")]
    [InlineData("[1,2]")]
    [InlineData("42")]
    [InlineData("""{"a":1}{"b":2}""")]
    [InlineData("""{"a":1""")]
    [InlineData("""{"a":1,}""")]
    [InlineData("""{"\ud800":1}""")]
    [InlineData("not json")]
    public void Json_payloads_that_are_not_one_object_give_no_fields(string payload)
    {
        var json = BinaryFormat.Compile("@json").DecodeToString(System.Text.Encoding.UTF8.GetBytes(payload), out var result);
        Assert.Equal("""{"binaryParserEnabled":true}""", json);
        Assert.Equal(new DecodeResult(0, 1), result);
    }

    [Fact]
    public void A_custom_registry_adds_and_replaces_formats()
    {
        var registry = new PredefinedFormatRegistry(
        [
            new("@thermo", BinaryFormat.Compile("t:0:int:16:/100")),
            new("@button", BinaryFormat.Compile("raw:0:uint:32")),
        ]);

        Assert.Equal("""{"t":-1.5,"binaryParserEnabled":true}""", BinaryFormat.Compile("@thermo", registry).DecodeToString([0xFF, 0x6A]));
        Assert.Equal("""{"raw":1291911953,"binaryParserEnabled":true}""", BinaryFormat.Compile("@button", registry).DecodeToString([0x4d, 1, 3, 0x11]));
        Assert.False(BinaryFormat.TryCompile("@thermo", out _, out _));
        Assert.Throws<ArgumentException>(() => new PredefinedFormatRegistry([new("thermo", BinaryFormat.Compile("@json"))]));
    }

    [Fact]
    public void Json_decoder_output_parses()
    {
        var json = BinaryFormat.Compile("@gpsmultiunit").DecodeToString("""{"lat":35.0,"nested":{"x":[1,{"y":"z"}]}}"""u8);
        using var document = JsonDocument.Parse(json);
        Assert.Equal(35, document.RootElement.GetProperty("lat").GetDouble());
    }
}
