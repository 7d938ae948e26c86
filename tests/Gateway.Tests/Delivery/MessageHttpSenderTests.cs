using System.Text;
using Gateway.Beam;
using Gateway.Delivery;
using Gateway.Tests.Admin;
using Gateway.Tests.Beam;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gateway.Tests.Delivery;

/// <summary>The one HTTP sender of message deliveries: the bounded reply read, and its answers from a real loopback upstream.</summary>
public sealed class MessageHttpSenderTests : IAsyncLifetime
{
    private readonly BeamHttpClient _client = new();
    private RecordingUpstream _upstream = null!;

    private MessageHttpSender Sender => new(_client, NullLogger<MessageHttpSender>.Instance);

    public async ValueTask InitializeAsync() => _upstream = await RecordingUpstream.StartAsync();

    public async ValueTask DisposeAsync()
    {
        await _upstream.DisposeAsync();
        _client.Dispose();
    }

    private static HttpSendOptions Options(double timeoutSeconds = 5, bool readBody = true) =>
        new("Test", "test", "440101234567001", null, TimeSpan.FromSeconds(timeoutSeconds), readBody);

    private static HttpRequestMessage Post(Uri uri) => new(HttpMethod.Post, uri) { Content = new ByteArrayContent("{}"u8.ToArray()) };

    /// <summary>Hands out at most one byte per read, as a slow network does.</summary>
    private sealed class TrickleStream(byte[] data) : MemoryStream(data)
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(1, buffer.Length)], cancellationToken);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(4096)]
    [InlineData(MessageHttpSender.MaxReplyBytes)]
    public async Task Bodies_up_to_the_limit_are_read_whole_at_their_real_length(int length)
    {
        var data = Enumerable.Range(0, length).Select(static i => (byte)i).ToArray();
        var read = await MessageHttpSender.ReadBoundedAsync(new MemoryStream(data), MessageHttpSender.MaxReplyBytes, TestContext.Current.CancellationToken);
        Assert.Equal(data, read);
    }

    [Fact]
    public async Task A_body_over_the_limit_is_cut_at_the_limit_and_the_rest_left_unread()
    {
        var data = Enumerable.Range(0, 100).Select(static i => (byte)i).ToArray();
        using var stream = new MemoryStream(data);
        var read = await MessageHttpSender.ReadBoundedAsync(stream, 64, TestContext.Current.CancellationToken);
        Assert.Equal(data[..64], read);
        Assert.Equal(64, stream.Position);
    }

    [Fact]
    public async Task A_body_arriving_byte_by_byte_is_gathered()
    {
        var read = await MessageHttpSender.ReadBoundedAsync(new TrickleStream("200 pong"u8.ToArray()), 5, TestContext.Current.CancellationToken);
        Assert.Equal("200 p"u8.ToArray(), read);
    }

    [Fact]
    public void A_small_body_does_not_cost_a_limit_sized_buffer()
    {
        var data = "pong"u8.ToArray();
        for (var i = 0; i < 3; i++)
        {
            // Warm up: the pool's first rent on this thread makes the buffer it then hands out again.
            _ = ReadMeasured(data);
        }

        var (read, allocated) = ReadMeasured(data);

        Assert.Equal(data, read);
        Assert.InRange(allocated, 0, 1024);
    }

    /// <summary>A read from a memory stream completes at once, on this thread, so the thread's allocations are the read's.</summary>
    private static (byte[] Read, long Allocated) ReadMeasured(byte[] data)
    {
        var stream = new MemoryStream(data);
        var before = GC.GetAllocatedBytesForCurrentThread();
        var pending = MessageHttpSender.ReadBoundedAsync(stream, MessageHttpSender.MaxReplyBytes, CancellationToken.None);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        var done = pending.AsTask();
        Assert.True(done.IsCompletedSuccessfully);
        return (done.Result, allocated);
    }

    [Fact]
    public async Task Upstream_status_and_body_come_back()
    {
        _upstream.Reply = (201, "created");
        using var request = Post(new Uri(_upstream.BaseUri, "/x"));
        var result = await Sender.SendAsync(request, Options(), TestContext.Current.CancellationToken);

        Assert.Equal(201, result.Status);
        Assert.Equal("created", Encoding.UTF8.GetString(result.Body));
        Assert.Null(result.Failure);
        Assert.Equal("ok", result.Outcome);
        Assert.Equal("/x", _upstream.Single().Path);
    }

    [Fact]
    public async Task A_large_reply_is_cut_at_64_KiB()
    {
        _upstream.Reply = (200, new string('x', 100 * 1024));
        using var request = Post(_upstream.BaseUri);
        var result = await Sender.SendAsync(request, Options(), TestContext.Current.CancellationToken);

        Assert.Equal(200, result.Status);
        Assert.Equal(MessageHttpSender.MaxReplyBytes, result.Body.Length);
    }

    [Fact]
    public async Task Without_ReadBody_only_the_status_comes_back()
    {
        _upstream.Reply = (503, "busy");
        using var request = Post(_upstream.BaseUri);
        var result = await Sender.SendAsync(request, Options(readBody: false), TestContext.Current.CancellationToken);

        Assert.Equal(503, result.Status);
        Assert.Empty(result.Body);
        Assert.Equal("upstream_error_status", result.Outcome);
    }

    [Fact]
    public async Task A_refused_connection_is_502_with_the_reason()
    {
        using var request = Post(new Uri($"http://127.0.0.1:{GatewayProcess.ClosedPort()}/"));
        var result = await Sender.SendAsync(request, Options(), TestContext.Current.CancellationToken);

        Assert.Equal(502, result.Status);
        Assert.Equal("upstream refused the connection", result.Failure?.Reason);
        Assert.Equal("upstream_refused", result.Outcome);
    }

    [Fact]
    public async Task A_slow_upstream_is_504_after_the_timeout()
    {
        _upstream.Delay = TimeSpan.FromSeconds(3);
        using var request = Post(_upstream.BaseUri);
        var result = await Sender.SendAsync(request, Options(timeoutSeconds: 0.3), TestContext.Current.CancellationToken);

        Assert.Equal(504, result.Status);
        Assert.Equal("upstream timed out after 0.3 s", result.Failure?.Reason);
    }
}
