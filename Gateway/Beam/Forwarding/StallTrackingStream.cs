using System.Diagnostics;

namespace Gateway.Beam.Forwarding;

/// <summary>
/// The device's response body as the forwarder writes it, remembering how long a write that failed had been waiting.
/// YARP's forwarder cancels a write the device has not taken within the activity timeout, and by then Kestrel may
/// already have aborted the request: the error it reports cannot tell a device that stopped reading from one that went
/// away. A write that failed after waiting the whole entry timeout can (the <c>device_write_timeout</c> metric).
/// </summary>
internal sealed class StallTrackingStream(Stream inner) : Stream
{
    private long _failedAfterTicks = -1;

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    /// <summary>Whether a write failed after waiting at least <paramref name="timeout"/>.</summary>
    public bool StalledFor(TimeSpan timeout) => _failedAfterTicks >= 0 && Stopwatch.GetElapsedTime(0, _failedAfterTicks) >= timeout * 0.9;

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            await inner.WriteAsync(buffer, cancellationToken);
        }
        catch
        {
            _failedAfterTicks = Stopwatch.GetTimestamp() - started;
            throw;
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    public override void Flush() => inner.Flush();

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();
}
