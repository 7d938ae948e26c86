namespace Gateway.Beam;

/// <summary>
/// A device's request body as the upstream request's content, telling <see cref="OnProgress"/> each time bytes
/// arrive. The entry's timeout bounds waiting, not a healthy transfer: a cellular device sending 60 KB at 1 KB/s is
/// still talking after the timeout, and each read that brings bytes pushes the deadline out.
/// </summary>
internal sealed class ProgressReportingStream(Stream inner) : Stream
{
    /// <summary>Called after a read that brought at least one byte.</summary>
    public Action? OnProgress { get; set; }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Reported(inner.Read(buffer, offset, count));

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        Reported(await inner.ReadAsync(buffer, cancellationToken));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    private int Reported(int read)
    {
        if (read > 0)
        {
            OnProgress?.Invoke();
        }

        return read;
    }
}
