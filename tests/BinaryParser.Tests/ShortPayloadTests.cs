using System.Diagnostics.Metrics;

namespace Gateway.BinaryParser.Tests;

public sealed class ShortPayloadTests
{
    private const string T1 = "flag:0:bool:7 temp:1:int:13:/10 humid:3:uint:8:/100 lat::float:32 long::float:32";

    [Fact]
    public void Fields_that_fit_are_written_and_the_rest_left_out_and_reported()
    {
        var decoder = BinaryFormat.Compile(T1);
        var json = decoder.DecodeToString(Convert.FromHexString("8007F85F420EAD"), out var result);

        Assert.Equal("""{"flag":true,"temp":25.5,"humid":0.95,"binaryParserEnabled":true}""", json);
        Assert.Equal(new DecodeResult(3, 2), result);
        Assert.False(result.IsComplete);
    }

    [Fact]
    public void A_later_field_that_fits_is_still_written_after_one_that_does_not()
    {
        var json = BinaryFormat.Compile("far:10:uint:8 near:0:uint:8").DecodeToString([7], out var result);
        Assert.Equal("""{"near":7,"binaryParserEnabled":true}""", json);
        Assert.Equal(new DecodeResult(1, 1), result);
    }

    [Fact]
    public void A_field_that_only_partly_fits_is_left_out()
    {
        var json = BinaryFormat.Compile("a:0:uint:8 b:1:uint:16").DecodeToString([1, 2], out var result);
        Assert.Equal("""{"a":1,"binaryParserEnabled":true}""", json);
        Assert.Equal(1, result.FieldsOmitted);
    }

    [Fact]
    public void An_empty_payload_gives_only_the_marker()
    {
        var json = BinaryFormat.Compile(T1).DecodeToString([], out var result);
        Assert.Equal("""{"binaryParserEnabled":true}""", json);
        Assert.Equal(new DecodeResult(0, 5), result);
    }

    [Fact]
    public void A_complete_payload_is_complete()
    {
        BinaryFormat.Compile(T1).DecodeToString(Convert.FromHexString("8007F85F420EADFF430BBE86"), out var result);
        Assert.Equal(new DecodeResult(5, 0), result);
        Assert.True(result.IsComplete);
    }

    [Theory]
    [InlineData("@button", "4d01", """{"clickType":1,"clickTypeName":"SINGLE","binaryParserEnabled":true}""", 1)]
    [InlineData("@button", "4d", """{"binaryParserEnabled":true}""", 3)]
    [InlineData("@sensit", "", """{"binaryParserEnabled":true}""", 7)]
    [InlineData("@sensit", "81", """{"mode":1,"modeText":"Temperature + Humidity","timeframe":0,"timeframeText":"10 mins","type":0,"typeText":"Regular, no alert","binaryParserEnabled":true}""", 7)]
    [InlineData("@sensit", "816c1e", """{"mode":1,"modeText":"Temperature + Humidity","timeframe":0,"timeframeText":"10 mins","type":0,"typeText":"Regular, no alert","battery":4.1,"tempCLowPrecision":23,"tempFLowPrecision":73.4,"tempC":26.75,"tempF":80.15,"reedSwitchState":0,"binaryParserEnabled":true}""", 1)]
    [InlineData("@json", "7b2261223a", """{"binaryParserEnabled":true}""", 1)]
    public void Predefined_formats_leave_out_what_does_not_fit(string format, string hex, string expected, int omitted)
    {
        var json = BinaryFormat.Compile(format).DecodeToString(Convert.FromHexString(hex), out var result);
        Assert.Equal(expected, json);
        Assert.Equal(omitted, result.FieldsOmitted);
    }

    [Fact]
    public void Omitted_fields_are_counted_on_the_meter()
    {
        long omitted = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "Gateway.BinaryParser" && instrument.Name == "binaryparser.fields_omitted")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };

        // Other tests decode in parallel on other threads; only this thread's measurements are ours.
        var thread = Environment.CurrentManagedThreadId;
        listener.SetMeasurementEventCallback<long>((_, value, _, _) =>
        {
            if (Environment.CurrentManagedThreadId == thread)
            {
                Interlocked.Add(ref omitted, value);
            }
        });
        listener.Start();

        var decoder = BinaryFormat.Compile(T1);
        decoder.DecodeToString(Convert.FromHexString("8007F85F420EAD"));
        decoder.DecodeToString(Convert.FromHexString("8007F85F420EADFF430BBE86"));
        decoder.DecodeToString([0x80]);

        Assert.Equal(2 + 0 + 4, Interlocked.Read(ref omitted));
    }
}
