using System.Globalization;
using System.Text;
using Gateway.Pipeline;
using Gateway.Tests.Beam;

namespace Gateway.Tests.Devices;

/// <summary>
/// The HTTP device services listener driven by the real curl from chosen 127.0.0.N addresses: Host routing
/// (funnel., uni., unified., anything else), Funnel's request rules, the unified formats, and every refusal with its
/// status, text and metric.
/// </summary>
public sealed class DeviceHttpEndpointTests : IAsyncLifetime
{
    private DeviceFixture _f = null!;

    public async ValueTask InitializeAsync() => _f = await DeviceFixture.StartAsync();

    public ValueTask DisposeAsync() => _f.DisposeAsync();

    private string Url => $"http://127.0.0.1:{_f.Gateway.DeviceHttpPort.ToString(CultureInfo.InvariantCulture)}/";

    private Task<(int Status, string Body, string Headers)> PostAsync(string from, string host, string body, string contentType = "application/json", params string[] extra) =>
        Curl.RunAsync(from, ["-X", "POST", "-H", "Host: " + host, "-H", "Content-Type: " + contentType, "--data-binary", body, .. extra, Url]);

    [Fact]
    public async Task Funnel_host_delivers_to_Funnel_alone_and_answers_204_with_no_body()
    {
        var before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var (status, body, _) = await PostAsync(DeviceFixture.Both, "funnel.soracom.io", """{"t":"funnel-host-1"}""");

        Assert.Equal(204, status);
        Assert.Equal("", body);
        var message = Assert.Single(await _f.Funnel.WaitForAsync("funnel-host-1"));
        Assert.False(_f.Harvest.Has("funnel-host-1"));
        Assert.Equal(SourceProtocol.Http, message.Protocol);
        Assert.Equal("funnel-http", message.EntryPoint);
        Assert.Equal("funnel", message.OnlyService);
        Assert.Equal("application/json", message.ContentType);
        Assert.Equal("""{"t":"funnel-host-1"}""", Encoding.UTF8.GetString(message.Payload.Span));
        Assert.Equal("440109999000072", message.Subscriber.Imsi);
        Assert.Equal(DeviceFixture.Both, message.Source!.Address.ToString());
        Assert.InRange(message.ReceivedAtMs, before, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
    }

    [Fact]
    public async Task Funnel_host_passes_on_Funnels_own_failure_reply()
    {
        var (status, body, headers) = await PostAsync(DeviceFixture.FunnelOnly, "funnel.soracom.io", "fail-1", "text/plain");

        Assert.Equal(400, status);
        Assert.Equal("""{"message":"destination refused the message"}""", body);
        Assert.Contains("Content-Type: application/json", headers, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("uni.soracom.io")]
    [InlineData("unified.soracom.io")]
    [InlineData("gateway.example.org")]
    [InlineData("10.0.0.1:8080")]
    public async Task Unified_and_unknown_hosts_reach_every_service_and_answer_in_the_unified_form(string host)
    {
        var marker = "uni-" + host;
        var (status, body, headers) = await PostAsync(DeviceFixture.Both, host, marker, "text/plain");

        Assert.Equal(200, status);
        Assert.Equal("""{"result":"ok","detail":{"funnel":{"statusCode":204,"body":""},"harvest":{"statusCode":204,"body":""}}}""", body);
        Assert.Contains("Content-Type: application/json", headers, StringComparison.OrdinalIgnoreCase);
        Assert.Single(await _f.Funnel.WaitForAsync(marker));
        Assert.Single(await _f.Harvest.WaitForAsync(marker));
        Assert.Equal("unified-http", (await _f.Funnel.WaitForAsync(marker))[0].EntryPoint);
    }

    [Fact]
    public async Task Unified_endpoint_with_one_failing_service_answers_207_ng()
    {
        using var failed = new DeviceResultCounter("unified-http", "failed");
        var (status, body, _) = await PostAsync(DeviceFixture.Both, "uni.soracom.io", "<x>fail</x>", "application/xml");

        Assert.Equal(207, status);
        Assert.Equal("""{"result":"ng","detail":{"funnel":{"statusCode":400,"body":"destination refused the message"},"harvest":{"statusCode":400,"body":"destination refused the message"}}}""", body);
        Assert.Equal(1, failed.Count);
    }

    [Fact]
    public async Task Auto_with_one_service_is_that_service_reply_on_the_unified_host()
    {
        var (status, body, _) = await PostAsync(DeviceFixture.FunnelOnly, "uni.soracom.io", """{"auto":1}""");

        Assert.Equal(204, status);
        Assert.Equal("", body);
    }

    [Fact]
    public async Task The_Unified_format_answers_in_the_unified_form_even_for_one_service()
    {
        var (status, body, _) = await PostAsync(DeviceFixture.UnifiedFormat, "uni.soracom.io", """{"one":1}""");

        Assert.Equal(200, status);
        Assert.Equal("""{"result":"ok","detail":{"funnel":{"statusCode":204,"body":""}}}""", body);
    }

    [Fact]
    public async Task A_named_format_answers_with_that_service_reply_while_both_get_the_message()
    {
        var (status, body, _) = await PostAsync(DeviceFixture.HarvestFormat, "uni.soracom.io", "named-1", "text/plain; charset=utf-8");

        Assert.Equal(204, status);
        Assert.Equal("", body);
        Assert.Single(await _f.Funnel.WaitForAsync("named-1"));
        Assert.Single(await _f.Harvest.WaitForAsync("named-1"));
    }

    [Fact]
    public async Task An_unknown_device_is_refused_403_whatever_the_host()
    {
        using var refused = new DeviceResultCounter("funnel-http", "refused_unknown_device");
        var (status, body, _) = await PostAsync(DeviceFixture.Unknown, "funnel.soracom.io", """{"who":"me"}""", "application/json", "-H", "X-Soracom-Imsi: 440109999000071");

        Assert.Equal(403, status);
        Assert.Equal("device not recognised\n", body);
        Assert.Equal(1, refused.Count);
        Assert.False(_f.Funnel.Has("who"));
    }

    [Theory]
    [InlineData("GET")]
    [InlineData("PUT")]
    [InlineData("DELETE")]
    public async Task Other_methods_than_POST_get_405_with_Allow(string method)
    {
        using var counted = new DeviceResultCounter("funnel-http", "method_not_allowed");
        var (status, body, headers) = await Curl.RunAsync(DeviceFixture.FunnelOnly, "-X", method, "-H", "Host: funnel.soracom.io", Url);

        Assert.Equal(405, status);
        Assert.Equal("device services take POST only\n", body);
        Assert.Contains("Allow: POST", headers, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(1, counted.Count);
    }

    [Theory]
    [InlineData("application/octet-stream")]
    [InlineData("application/x-www-form-urlencoded")]
    [InlineData("image/png")]
    [InlineData("")]
    public async Task Other_content_types_get_415(string contentType)
    {
        using var counted = new DeviceResultCounter("funnel-http", "unsupported_media_type");
        var (status, body, _) = await PostAsync(DeviceFixture.FunnelOnly, "funnel.soracom.io", "ct-" + contentType, contentType);

        Assert.Equal(415, status);
        Assert.Equal("Content-Type must be application/json, text/plain or application/xml\n", body);
        Assert.Equal(1, counted.Count);
        Assert.False(_f.Funnel.Has("ct-" + contentType));
    }

    [Fact]
    public async Task A_body_of_800001_bytes_gets_413_with_SORACOMs_text_and_800000_bytes_are_delivered()
    {
        var over = Path.GetTempFileName();
        var limit = Path.GetTempFileName();
        try
        {
            await File.WriteAllTextAsync(over, "o" + new string('x', 800_000), TestContext.Current.CancellationToken);
            await File.WriteAllTextAsync(limit, "l" + new string('x', 799_999), TestContext.Current.CancellationToken);
            using var counted = new DeviceResultCounter("funnel-http", "too_large");

            var (status, body, _) = await PostAsync(DeviceFixture.FunnelOnly, "funnel.soracom.io", "@" + over, "text/plain");
            Assert.Equal(413, status);
            Assert.Equal("Maximum content-length is: 800000", body);
            Assert.Equal(1, counted.Count);

            // Sent chunked, the size is known only while reading: the same answer.
            (status, body, _) = await PostAsync(DeviceFixture.FunnelOnly, "funnel.soracom.io", "@" + over, "text/plain", "-H", "Transfer-Encoding: chunked");
            Assert.Equal(413, status);
            Assert.Equal("Maximum content-length is: 800000", body);

            (status, _, _) = await PostAsync(DeviceFixture.FunnelOnly, "funnel.soracom.io", "@" + limit, "text/plain");
            Assert.Equal(204, status);
            Assert.Equal(800_000, _f.Funnel.Messages.Single(m => m.Payload.Span[0] == (byte)'l').Payload.Length);
        }
        finally
        {
            File.Delete(over);
            File.Delete(limit);
        }
    }

    [Fact]
    public async Task A_device_whose_group_enables_no_service_gets_404_saying_so()
    {
        using var counted = new DeviceResultCounter("unified-http", "no_service");
        var (status, body, _) = await PostAsync(DeviceFixture.NoService, "uni.soracom.io", "{}");
        Assert.Equal(404, status);
        Assert.Equal("no service of this device's group takes HTTP messages\n", body);
        Assert.Equal(1, counted.Count);

        (status, body, _) = await PostAsync(DeviceFixture.NoService, "funnel.soracom.io", "{}");
        Assert.Equal(404, status);
        Assert.Equal("funnel is not enabled for this device's group\n", body);
    }

    [Fact]
    public async Task The_admin_api_is_not_reachable_on_the_device_port()
    {
        var (status, body, _) = await Curl.RunAsync(DeviceFixture.FunnelOnly, Url + "healthz");

        Assert.Equal(405, status);
        Assert.Equal("device services take POST only\n", body);
    }
}
