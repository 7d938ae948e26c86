using System.Text;
using Gateway.Pipeline;

namespace Gateway.Tests.Pipeline;

/// <summary>The TCP/UDP text of a pipeline result: one service's own reply, or the Unified form for several.</summary>
public sealed class UnifiedReplyTests
{
    private static readonly byte[] s_lf = [0x0a];

    private static string Text(params ServiceResult[] results) => Encoding.UTF8.GetString(UnifiedReply.Text(new PipelineResult(results), s_lf));

    [Fact]
    public void One_service_answers_with_its_own_bytes_unchanged()
    {
        var native = "200 pong\r\n"u8.ToArray();
        var result = new PipelineResult([new ServiceResult { Service = "beam", Status = 200, Body = "pong"u8.ToArray(), NativeText = native }]);

        Assert.Same(native, UnifiedReply.Text(result, s_lf));
    }

    [Fact]
    public void One_service_with_nothing_to_say_sends_nothing()
    {
        var result = new PipelineResult([new ServiceResult { Service = "beam", Status = 200 }]);
        Assert.Empty(UnifiedReply.Text(result, s_lf));
    }

    [Fact]
    public void Several_services_that_all_succeeded_are_200_ok_with_each_status_and_body()
    {
        var text = Text(
            new ServiceResult { Service = "beam", Status = 200, Body = "pong"u8.ToArray(), NativeText = "200 pong\n"u8.ToArray() },
            new ServiceResult { Service = "funnel", Status = 204 });

        Assert.Equal("200 {\"result\":\"ok\",\"detail\":{\"beam\":{\"statusCode\":200,\"body\":\"pong\"},\"funnel\":{\"statusCode\":204,\"body\":\"\"}}}\n", text);
    }

    [Fact]
    public void A_failed_service_makes_it_207_ng_with_the_failure_as_its_body()
    {
        var text = Text(
            new ServiceResult { Service = "beam", Status = 502, Body = "x"u8.ToArray(), Failure = "upstream refused the connection" },
            new ServiceResult { Service = "harvest", Status = 201, Body = "{}"u8.ToArray() });

        Assert.Equal("207 {\"result\":\"ng\",\"detail\":{\"beam\":{\"statusCode\":502,\"body\":\"upstream refused the connection\"},\"harvest\":{\"statusCode\":201,\"body\":\"{}\"}}}\n", text);
    }

    [Fact]
    public void Bodies_are_escaped_only_as_json_requires()
    {
        var text = Text(
            new ServiceResult { Service = "beam", Status = 200, Body = Encoding.UTF8.GetBytes("{\"t\":\"<25°C>\"}") },
            new ServiceResult { Service = "funnel", Status = 204 });

        Assert.Equal("200 {\"result\":\"ok\",\"detail\":{\"beam\":{\"statusCode\":200,\"body\":\"{\\\"t\\\":\\\"<25°C>\\\"}\"},\"funnel\":{\"statusCode\":204,\"body\":\"\"}}}\n", text);
    }

    [Fact]
    public void An_upstream_error_status_without_a_failure_is_not_a_success()
    {
        var text = Text(
            new ServiceResult { Service = "beam", Status = 200 },
            new ServiceResult { Service = "funnel", Status = 400, Body = "bad"u8.ToArray() });

        Assert.StartsWith("207 {\"result\":\"ng\"", text, StringComparison.Ordinal);
    }

    [Fact]
    public void The_end_of_data_bytes_follow_the_unified_form()
    {
        var result = new PipelineResult([new ServiceResult { Service = "a", Status = 200 }, new ServiceResult { Service = "b", Status = 200 }]);
        var bytes = UnifiedReply.Text(result, [0x0d, 0x0a]);
        Assert.Equal("\r\n"u8.ToArray(), bytes[^2..]);
        Assert.Equal((byte)'}', bytes[^3]);

        Assert.EndsWith("}}}", Encoding.UTF8.GetString(UnifiedReply.Text(result, [])), StringComparison.Ordinal);
    }
}
