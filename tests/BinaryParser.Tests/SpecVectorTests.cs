namespace Gateway.BinaryParser.Tests;

/// <summary>Every test vector of section 2.5 of the spec.</summary>
public sealed class SpecVectorTests
{
    [Fact]
    public void T1_official_doc_format()
    {
        Assert.Equal(
            """{"flag":true,"temp":25.5,"humid":0.95,"lat":35.669918060302734,"long":139.74423217773438,"binaryParserEnabled":true}""",
            Decode("flag:0:bool:7 temp:1:int:13:/10 humid:3:uint:8:/100 lat::float:32 long::float:32", "8007F85F420EADFF430BBE86"));
    }

    [Fact]
    public void T1_as_the_doc_writes_it_with_the_index_colon_missing()
    {
        Assert.Equal(
            """{"flag":true,"temp":25.5,"humid":0.95,"lat":35.669918060302734,"long":139.74423217773438,"binaryParserEnabled":true}""",
            Decode("flag:0:bool:7 temp:1:int:13:/10 humid:3:uint:8:/100 lat::float:32 long:float:32", "8007F85F420EADFF430BBE86"));
    }

    [Fact]
    public void T4_little_endian_with_operations()
    {
        Assert.Equal(
            """{"head":2,"lat":35.692704,"lon":138.466096,"alt":20,"binaryParserEnabled":true}""",
            Decode("head::uint:8 lat::int:32:little-endian:/1000000 lon::int:32:little-endian:/1000000 alt::int:16:little-endian", "02a0a0200230d340081400"));
    }

    [Fact]
    public void T4_first_format_compiles_and_reads_little_endian_float_and_integers()
    {
        // 25.5f little-endian, 3300 mV little-endian, 123456 ms little-endian.
        Assert.Equal(
            """{"temp":25.5,"vcc":3.3,"time":123.456,"binaryParserEnabled":true}""",
            Decode("temp::float:32:little-endian vcc::uint:16:little-endian:/1000 time::uint:32:little-endian:/1000", "0000cc41e40c40e20100"));
    }

    [Theory]
    [InlineData("8FFF3210", """{"frameType":1,"batLow":false,"boot":false,"coSensor":false,"temp":-1,"hygro":50,"co":16,"binaryParserEnabled":true}""")]
    [InlineData("40193C05", """{"frameType":0,"batLow":true,"boot":false,"coSensor":false,"temp":25,"hygro":60,"co":5,"binaryParserEnabled":true}""")]
    public void T6_terraform_format_with_bit_offsets_and_sign_extension(string hex, string expected)
    {
        Assert.Equal(
            expected,
            Decode("frameType:0:uint:1:big-endian:7 batLow:0:bool:6 boot:0:bool:5 coSensor:0:bool:4 temp:0:int:12:big-endian:3 hygro:2:uint:8 co:3:uint:8", hex));
    }

    [Fact]
    public void T7_sensit_mode_1()
    {
        Assert.Equal(
            """{"mode":1,"modeText":"Temperature + Humidity","timeframe":0,"timeframeText":"10 mins","type":0,"typeText":"Regular, no alert","battery":4.1,"tempCLowPrecision":23,"tempFLowPrecision":73.4,"tempC":26.75,"tempF":80.15,"reedSwitchState":0,"humidity":56.5,"binaryParserEnabled":true}""",
            Decode("@sensit", "816c1e71"));
    }

    [Theory]
    [InlineData("4d010351", """{"clickType":1,"clickTypeName":"SINGLE","batteryLevel":1,"binaryParserEnabled":true}""")]
    [InlineData("4d020352", """{"clickType":2,"clickTypeName":"DOUBLE","batteryLevel":1,"binaryParserEnabled":true}""")]
    [InlineData("4d030353", """{"clickType":3,"clickTypeName":"LONG","batteryLevel":1,"binaryParserEnabled":true}""")]
    [InlineData("4d01004e", """{"clickType":1,"clickTypeName":"SINGLE","batteryLevel":0.25,"binaryParserEnabled":true}""")]
    public void T8_button(string hex, string expected)
    {
        Assert.Equal(expected, Decode("@button", hex));
        Assert.Equal(expected, Decode("@soracom.button", hex));
    }

    [Fact]
    public void T9_empty_index_after_a_bool_moves_to_the_next_byte()
    {
        // Pinned rule: an empty index is the byte after the last byte the previous field touched, for bool as for
        // every other type (the literal reading of SORACOM's documentation). So b2 reads bit 6 of byte 1 (0x12),
        // which is 0. Under Sigfox's rule (bools share the current byte) b2 would be true; that is not what we do.
        Assert.Equal(
            """{"b1":true,"b2":false,"i1":4660,"binaryParserEnabled":true}""",
            Decode("b1::bool:7 b2::bool:6 i1:1:uint:16", "C01234"));
    }

    [Fact]
    public void T10_gps_multiunit_json_text()
    {
        var payload = """{"lat":35.0,"lon":139.0,"bat":3,"rs":4,"temp":16.0,"humi":32.4,"x":0.0,"y":-64.0,"z":-960.0,"type":0}"""u8;
        Assert.Equal(
            """{"lat":35,"lon":139,"bat":3,"rs":4,"temp":16,"humi":32.4,"x":0,"y":-64,"z":-960,"type":0,"binaryParserEnabled":true}""",
            BinaryFormat.Compile("@gpsmultiunit").DecodeToString(payload));
    }

    [Fact]
    public void T10_real_harvest_record_round_trips()
    {
        var payload = """{"lat":38.370669,"lon":141.069288,"bat":3,"rs":0,"temp":21.1,"humi":88.4,"x":0,"y":64,"z":-960,"type":0}"""u8;
        Assert.Equal(
            """{"lat":38.370669,"lon":141.069288,"bat":3,"rs":0,"temp":21.1,"humi":88.4,"x":0,"y":64,"z":-960,"type":0,"binaryParserEnabled":true}""",
            BinaryFormat.Compile("@gpsmultiunit").DecodeToString(payload));
    }

    [Fact]
    public void T11_two_big_endian_floats()
    {
        Assert.Equal(
            """{"lng":139.72532653808594,"lat":35.627540588378906,"binaryParserEnabled":true}""",
            Decode("lng::float:32 lat::float:32", "430bb9af420e829a"));
    }

    [Fact]
    public void Ops_apply_left_to_right_without_precedence()
    {
        // S-MNL: raw 1484 with +100000/100 gave 1014.84 on the platform, i.e. (1484 + 100000) / 100.
        Assert.Equal("""{"p":1014.84,"binaryParserEnabled":true}""", Decode("p:0:int:16:7:+100000/100", "05CC"));
    }

    internal static string Decode(string format, string hex) =>
        BinaryFormat.Compile(format).DecodeToString(Convert.FromHexString(hex));
}
