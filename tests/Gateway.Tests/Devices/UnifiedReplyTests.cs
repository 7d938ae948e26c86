using System.Buffers;
using System.Text;
using System.Text.Json.Nodes;
using Gateway.Pipeline;
using Gateway.Registry;

namespace Gateway.Tests.Devices;

/// <summary>The unified endpoint's response formats (Auto, Unified, one named service) and the <c>UnifiedEndpoint</c> namespace.</summary>
public sealed class UnifiedReplyTests
{
    private static readonly byte[] s_eod = "\r\n"u8.ToArray();

    private static ServiceResult Ok(string service, int status = 204) =>
        new() { Service = service, Status = status, Body = Encoding.UTF8.GetBytes(service + "-body"), NativeText = Encoding.UTF8.GetBytes(service + "-native") };

    private static ServiceResult Failed(string service) =>
        new() { Service = service, Status = 400, Failure = "Invalid JSON is send to funnel.", NativeText = "400 Invalid JSON is send to funnel."u8.ToArray() };

    private static string Json(PipelineResult result)
    {
        var buffer = new ArrayBufferWriter<byte>();
        UnifiedReply.WriteJson(result, buffer);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    [Fact]
    public void Auto_with_one_service_is_that_service_reply_unchanged_both_through_the_old_and_the_new_overload()
    {
        var result = new PipelineResult([Ok("beam", 200)]);

        Assert.Equal("beam-native", Encoding.UTF8.GetString(UnifiedReply.Text(result, s_eod)));
        Assert.Equal("beam-native", Encoding.UTF8.GetString(UnifiedReply.Text(result, s_eod, UnifiedResponseFormat.Auto)));
        Assert.Same(result.Results[0], UnifiedReply.NativeReply(result, UnifiedResponseFormat.Auto));
    }

    [Fact]
    public void Auto_with_several_services_is_the_unified_form_200_ok_when_all_succeeded()
    {
        var result = new PipelineResult([Ok("beam", 200), Ok("funnel")]);

        Assert.Null(UnifiedReply.NativeReply(result, UnifiedResponseFormat.Auto));
        Assert.Equal(200, UnifiedReply.Status(result));
        Assert.Equal(
            "200 {\"result\":\"ok\",\"detail\":{\"beam\":{\"statusCode\":200,\"body\":\"beam-body\"},\"funnel\":{\"statusCode\":204,\"body\":\"funnel-body\"}}}\r\n",
            Encoding.UTF8.GetString(UnifiedReply.Text(result, s_eod)));
    }

    [Fact]
    public void Unified_with_one_failure_is_207_ng_with_the_failure_as_that_service_body()
    {
        var result = new PipelineResult([Ok("beam", 200), Failed("funnel")]);

        Assert.Equal(207, UnifiedReply.Status(result));
        Assert.Equal(
            "{\"result\":\"ng\",\"detail\":{\"beam\":{\"statusCode\":200,\"body\":\"beam-body\"},\"funnel\":{\"statusCode\":400,\"body\":\"Invalid JSON is send to funnel.\"}}}",
            Json(result));
        Assert.StartsWith("207 {\"result\":\"ng\"", Encoding.UTF8.GetString(UnifiedReply.Text(result, s_eod, UnifiedResponseFormat.Unified)), StringComparison.Ordinal);
    }

    [Fact]
    public void Unified_format_uses_the_unified_form_even_for_one_service()
    {
        var result = new PipelineResult([Ok("funnel")]);

        Assert.Null(UnifiedReply.NativeReply(result, UnifiedResponseFormat.Unified));
        Assert.Equal(
            "200 {\"result\":\"ok\",\"detail\":{\"funnel\":{\"statusCode\":204,\"body\":\"funnel-body\"}}}\r\n",
            Encoding.UTF8.GetString(UnifiedReply.Text(result, s_eod, UnifiedResponseFormat.Unified)));
    }

    [Fact]
    public void A_named_service_answers_alone_even_when_another_service_failed()
    {
        var result = new PipelineResult([Failed("beam"), Ok("funnel")]);

        Assert.Equal("funnel-native", Encoding.UTF8.GetString(UnifiedReply.Text(result, s_eod, UnifiedResponseFormat.Of("funnel"))));
        Assert.Same(result.Results[1], UnifiedReply.NativeReply(result, UnifiedResponseFormat.Of("funnel")));
    }

    [Fact]
    public void A_named_service_the_group_does_not_enable_answers_404_in_its_own_form()
    {
        var result = new PipelineResult([Ok("beam", 200)]);

        Assert.Equal("404 harvest is not enabled for this device's group\r\n", Encoding.UTF8.GetString(UnifiedReply.Text(result, s_eod, UnifiedResponseFormat.Of("harvest"))));
        var native = UnifiedReply.NativeReply(result, UnifiedResponseFormat.Of("harvest"));
        Assert.Equal(404, native!.Status);
        Assert.False(native.Succeeded);
    }

    [Theory]
    [InlineData(null, "Auto")]
    [InlineData("""{"enabled": true}""", "Auto")]
    [InlineData("""{"response": {"format": "Auto"}}""", "Auto")]
    [InlineData("""{"response": {"format": "Unified"}, "enabled": true}""", "Unified")]
    [InlineData("""{"response": {"format": "unified"}}""", "Unified")]
    [InlineData("""{"response": {"format": "SoracomHarvest"}, "enabled": true}""", "harvest")]
    [InlineData("""{"response": {"format": "SoracomBeam"}}""", "beam")]
    [InlineData("""{"response": {"format": "SoracomFunnel"}}""", "funnel")]
    [InlineData("""{"response": {"format": "funnel"}}""", "funnel")]
    public void The_group_format_is_read_from_UnifiedEndpoint_response_format(string? ns, string expected)
    {
        var group = new Group { GroupId = "g", Configuration = ns is null ? [] : new JsonObject { ["UnifiedEndpoint"] = JsonNode.Parse(ns) } };

        Assert.Equal(expected, UnifiedEndpointSettings.For(group).ToString());
        Assert.Same(UnifiedEndpointSettings.For(group), UnifiedEndpointSettings.For(group));
    }

    [Theory]
    [InlineData("""{"response": {"format": "Bogus"}}""", "groups[g].configuration.UnifiedEndpoint.response.format: 'Bogus' is not one of Auto, Unified, SoracomBeam, SoracomFunnel, SoracomHarvest")]
    [InlineData("""{"response": {"format": "Custom"}}""", "groups[g].configuration.UnifiedEndpoint.response.format: 'Custom' is not supported by this gateway; use one of Auto, Unified, SoracomBeam, SoracomFunnel, SoracomHarvest")]
    [InlineData("""{"response": {"format": "SoracomFunk"}}""", "groups[g].configuration.UnifiedEndpoint.response.format: 'SoracomFunk' is not supported by this gateway; use one of Auto, Unified, SoracomBeam, SoracomFunnel, SoracomHarvest")]
    [InlineData("""{"response": {"format": 3}}""", "groups[g].configuration.UnifiedEndpoint.response.format: must be a string, one of Auto, Unified, SoracomBeam, SoracomFunnel, SoracomHarvest")]
    [InlineData("""{"response": "Unified"}""", "groups[g].configuration.UnifiedEndpoint.response: must be an object {\"format\": \"…\"}")]
    [InlineData("""{"enabled": "yes"}""", "groups[g].configuration.UnifiedEndpoint.enabled: must be true or false")]
    [InlineData("""{"binaryFormatV1Enabled": "true"}""", "groups[g].configuration.UnifiedEndpoint.binaryFormatV1Enabled: must be true or false")]
    [InlineData("""[{"key": "response", "value": {"format": "Nope"}}]""", "groups[g].configuration.UnifiedEndpoint.response.format: 'Nope' is not one of Auto, Unified, SoracomBeam, SoracomFunnel, SoracomHarvest")]
    public void A_bad_UnifiedEndpoint_namespace_is_refused_with_its_path(string ns, string error)
    {
        var errors = new List<string>();
        var doc = new JsonObject { ["groups"] = new JsonArray(new JsonObject { ["groupId"] = "g", ["configuration"] = new JsonObject { ["UnifiedEndpoint"] = JsonNode.Parse(ns) } }) };

        Assert.Null(RegistryParser.Parse(doc, errors));
        Assert.Equal([error], errors);
    }

    [Fact]
    public void SORACOMs_own_UnifiedEndpoint_namespace_loads()
    {
        var errors = new List<string>();
        var doc = JsonNode.Parse("""
            {"groups": [{"groupId": "g", "configuration": {
              "SoracomHarvest": {"enabled": true},
              "UnifiedEndpoint": {"response": {"format": "SoracomHarvest"}, "enabled": true}}}]}
            """);

        Assert.NotNull(RegistryParser.Parse(doc, errors));
        Assert.Empty(errors);
    }
}
