using static Gateway.BinaryParser.Tests.SpecVectorTests;

namespace Gateway.BinaryParser.Tests;

public sealed class GrammarTests
{
    [Fact]
    public void Empty_index_after_a_partial_byte_skips_the_rest_of_that_byte()
    {
        // The doc's own example: value1 reads the top 6 bits of byte 0, value2 reads byte 1.
        Assert.Equal("""{"value1":-1,"value2":18,"binaryParserEnabled":true}""", Decode("value1::int:6 value2::int:8", "FC12"));
    }

    [Fact]
    public void Empty_index_follows_the_previous_field_not_the_furthest_one()
    {
        // "The byte after the last byte read": after a field at byte 0, the next empty index is byte 1 even though
        // an earlier field read byte 4.
        Assert.Equal("""{"a":5,"b":1,"c":2,"binaryParserEnabled":true}""", Decode("a:4:uint:8 b:0:uint:8 c::uint:8", "0102030405"));
    }

    [Fact]
    public void Empty_index_counts_a_byte_touched_by_a_bit_offset_field()
    {
        // x covers bits 3..0 of byte 0 and bits 7..4 of byte 1, so y starts at byte 2.
        Assert.Equal("""{"x":171,"y":205,"binaryParserEnabled":true}""", Decode("x:0:uint:8:3 y::uint:8", "0ABFCD"));
    }

    [Fact]
    public void Consecutive_empty_index_bools_read_consecutive_bytes()
    {
        Assert.Equal("""{"a":true,"b":true,"c":false,"binaryParserEnabled":true}""", Decode("a::bool:0 b::bool:0 c::bool:0", "010100"));
    }

    [Theory]
    [InlineData("big-endian:3:/2")]
    [InlineData("3:big-endian:/2")]
    [InlineData("/2:3")]
    [InlineData("3:/2:big-endian")]
    public void Endian_offset_and_operations_come_in_any_order(string parameters)
    {
        Assert.Equal("""{"t":-0.5,"binaryParserEnabled":true}""", Decode($"t:0:int:12:{parameters}", "0FFF"));
    }

    [Fact]
    public void Operations_may_be_split_over_several_tokens_and_use_decimals_and_signs()
    {
        Assert.Equal("""{"v":-7.5,"binaryParserEnabled":true}""", Decode("v:0:uint:8:/100:+5:*-1.5", "00"));
        Assert.Equal("""{"v":15,"binaryParserEnabled":true}""", Decode("v:0:uint:8:*0.5/2+10:-0", "14"));
    }

    [Fact]
    public void Five_operations_are_allowed()
    {
        Assert.Equal("""{"v":2,"binaryParserEnabled":true}""", Decode("v:0:uint:8:+1+1+1+1/2", "00"));
    }

    [Fact]
    public void Fields_may_be_separated_by_runs_of_whitespace_and_line_breaks()
    {
        Assert.Equal("""{"a":1,"b":2,"binaryParserEnabled":true}""", Decode("  a:0:uint:8 \r\n\t b:1:uint:8  ", "0102"));
    }

    [Fact]
    public void A_stray_trailing_colon_is_ignored()
    {
        Assert.Equal("""{"a":1,"binaryParserEnabled":true}""", Decode("a:0:uint:8:", "01"));
    }

    [Theory]
    [InlineData("v:0:int:8", "80", "-128")]
    [InlineData("v:0:uint:8", "80", "128")]
    [InlineData("v:0:int:1", "80", "-1")]
    [InlineData("v:0:int:16:little-endian", "FEFF", "-2")]
    [InlineData("v:0:uint:24:little-endian", "010203", "197121")]
    [InlineData("v:0:int:64", "8000000000000000", "-9223372036854775808")]
    [InlineData("v:0:uint:64", "FFFFFFFFFFFFFFFF", "18446744073709551615")]
    [InlineData("v:0:uint:64:little-endian", "0100000000000080", "9223372036854775809")]
    [InlineData("v:0:uint:64:3", "0123456789ABCDEFF0", "1311768467463790335")]
    [InlineData("v:0:int:4:3", "0F", "-1")]
    [InlineData("v:0:int:4:3", "07", "7")]
    public void Integers_are_exact_and_sign_extended(string format, string hex, string value)
    {
        Assert.Equal($$"""{"v":{{value}},"binaryParserEnabled":true}""", Decode(format, hex));
    }

    [Theory]
    [InlineData("v:0:float:64", "400921FB54442D18", "3.141592653589793")]
    [InlineData("v:0:float:64:little-endian", "182D4454FB210940", "3.141592653589793")]
    [InlineData("v:0:float:32", "00000000", "0")]
    [InlineData("v:0:float:32:*2", "3F800000", "2")]
    [InlineData("v:0:float:32", "7FC00000", "null")]
    [InlineData("v:0:float:32", "7F800000", "null")]
    [InlineData("v:0:uint:8:/0", "01", "null")]
    [InlineData("v:0:uint:8:/0", "00", "null")]
    [InlineData("v:0:uint:8:/100", "11", "0.17")]
    [InlineData("v:0:uint:16:/100", "06A4", "17")]
    [InlineData("v:0:uint:8:*-1", "00", "0")]
    [InlineData("v:0:uint:64:*1", "FFFFFFFFFFFFFFFF", "1.8446744073709552E+19")]
    [InlineData("v:0:uint:56:*1", "20000000000001", "9007199254740992")]
    [InlineData("v:0:int:16:*1000000", "8000", "-32768000000")]
    public void Floats_and_results_are_shortest_round_trip_and_non_finite_is_null(string format, string hex, string value)
    {
        Assert.Equal($$"""{"v":{{value}},"binaryParserEnabled":true}""", Decode(format, hex));
    }

    [Fact]
    public void Char_reads_one_character_per_byte_and_escapes_for_json()
    {
        Assert.Equal("""{"id":"AB\"\\","binaryParserEnabled":true}""", Decode("id:0:char:4", "4142225C"));
        Assert.Equal("""{"id":"\u0000é","binaryParserEnabled":true}""", Decode("id:0:char:2", "00E9"));
        Assert.Equal("""{"n":1,"s":"hi","binaryParserEnabled":true}""", Decode("n::uint:8 s::char:2", "016869"));
    }

    [Fact]
    public void Long_char_fields_with_non_ascii_bytes_are_decoded()
    {
        var payload = new byte[1000];
        Array.Fill(payload, (byte)0xE9);
        var json = BinaryFormat.Compile("s:0:char:1000").DecodeToString(payload);
        Assert.Equal($$"""{"s":"{{new string('é', 1000)}}","binaryParserEnabled":true}""", json);
    }

    [Fact]
    public void Names_may_use_the_documented_characters()
    {
        Assert.Equal("""{"a-b_c#$1":1,"binaryParserEnabled":true}""", Decode("a-b_c#$1:0:uint:8", "01"));
    }

    [Theory]
    [InlineData("", 1, 1, "empty")]
    [InlineData("   ", 1, 1, "empty")]
    [InlineData("temp", 1, 5, "no index and type")]
    [InlineData("a:0:uint:8 temp:1:flaot:13", 2, 19, "unknown type 'flaot'")]
    [InlineData("a:0:uint:8  b:x:uint:8", 2, 15, "byte index must be a number")]
    [InlineData(":0:uint:8", 1, 1, "no name")]
    [InlineData("a.b:0:uint:8", 1, 2, "'.' may not appear in a name")]
    [InlineData("a:0", 1, 4, "no type")]
    [InlineData("a:0:", 1, 5, "no type")]
    [InlineData("a:0:bool", 1, 9, "bool needs a bit position")]
    [InlineData("a:0:bool:8", 1, 10, "bool needs a bit position")]
    [InlineData("a:0:bool:7:/2", 1, 12, "bool takes only a bit position")]
    [InlineData("a:0:int", 1, 8, "int needs a bit length from 1 to 64")]
    [InlineData("a:0:uint:65", 1, 10, "uint needs a bit length from 1 to 64")]
    [InlineData("a:0:uint:0", 1, 10, "bit length")]
    [InlineData("a:0:uint:8:9", 1, 12, "bit offset must be from 0 to 7")]
    [InlineData("a:0:uint:8:3:4", 1, 14, "bit offset is given twice")]
    [InlineData("a:0:uint:8:middle-endian", 1, 12, "unexpected 'middle-endian'")]
    [InlineData("a:0:uint:8:big-endian:little-endian", 1, 23, "byte order is given twice")]
    [InlineData("a:0:uint:12:little-endian", 1, 13, "little-endian needs a whole number of bytes")]
    [InlineData("a:0:uint:16:3:little-endian", 1, 13, "little-endian values must start at a byte boundary")]
    [InlineData("a:0:uint:8:/x", 1, 13, "'/' must be followed by a number")]
    [InlineData("a:0:uint:8:/1.2.3", 1, 13, "must be followed by a number")]
    [InlineData("a:0:uint:8:/10%", 1, 15, "expected an operator")]
    [InlineData("a:0:uint:8:+1+1+1+1+1+1", 1, 22, "at most 5 operations")]
    [InlineData("a:0:uint:8:+1+1+1:+1+1:+1", 1, 24, "at most 5 operations")]
    [InlineData("a:0:float:16", 1, 11, "float needs a size of 32 or 64")]
    [InlineData("a:0:float:32:7", 1, 14, "unexpected '7' after float:32")]
    [InlineData("a:0:char", 1, 9, "char needs a length")]
    [InlineData("a:0:char:0", 1, 10, "char needs a length")]
    [InlineData("a:0:char:2:big-endian", 1, 12, "char takes only a length")]
    [InlineData("a:0:uint:8 a:1:uint:8", 2, 12, "already used")]
    [InlineData("binaryParserEnabled:0:bool:7", 1, 1, "taken")]
    [InlineData("a:99999999999:uint:8", 1, 3, "too large")]
    [InlineData("a:2147483647:uint:16", 1, 1, "beyond the largest supported payload")]
    [InlineData("@nosuchformat", 1, 1, "unknown predefined format '@nosuchformat'")]
    [InlineData("  @nosuchformat", 1, 3, "known: @button")]
    public void Broken_formats_report_field_column_and_reason(string format, int field, int column, string reason)
    {
        Assert.False(BinaryFormat.TryCompile(format, out var decoder, out var error));
        Assert.Null(decoder);
        Assert.Equal(field, error.FieldNumber);
        Assert.Equal(column, error.Column);
        Assert.Contains(reason, error.Reason, StringComparison.Ordinal);

        var exception = Assert.Throws<BinaryFormatException>(() => BinaryFormat.Compile(format));
        Assert.Equal(error, exception.Error);
        Assert.Equal(field, exception.FieldNumber);
        Assert.Equal(column, exception.Column);
        Assert.Contains($"field {field}, column {column}: ", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Type_keywords_are_case_sensitive_as_documented()
    {
        Assert.False(BinaryFormat.TryCompile("a:0:UINT:8", out _, out var error));
        Assert.Contains("unknown type 'UINT'", error.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Reserved_names_are_allowed_by_the_compiler_and_listed_for_sigfox_and_lorawan_sources()
    {
        // Cellular users do use "lat"; the gateway checks FieldNames against these sets only for Sigfox and LoRaWAN.
        var decoder = BinaryFormat.Compile("lat:0:uint:8 data:1:uint:8");
        Assert.Equal(["lat", "data"], decoder.FieldNames);
        Assert.Contains("lat", ReservedFieldNames.Sigfox);
        Assert.Contains("deveui", ReservedFieldNames.LoRaWan);
        Assert.DoesNotContain("lat", ReservedFieldNames.LoRaWan);
    }
}
