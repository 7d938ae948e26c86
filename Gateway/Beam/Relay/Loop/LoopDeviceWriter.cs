using System.Buffers;
using System.IO.Pipelines;

namespace Gateway.Beam.Relay.Loop;

/// <summary>
/// Bytes for the device as a <see cref="PipeWriter"/>: written into one pooled buffer, sent on flush. A flush waits
/// until the socket has taken everything, so a device that stops reading holds its flush (and the relay's deadline
/// ends it through <see cref="CancelPendingFlush"/>). A send error means the device is gone: the flush reports
/// completion, as Kestrel's does. On the loop's thread only.
/// </summary>
internal sealed class LoopDeviceWriter : PipeWriter
{
    private const int MinimumBuffer = 4096;

    private readonly LoopSocket _socket;
    private readonly LoopCompletion<FlushResult> _pending = new();
    private byte[]? _buffer;
    private int _start;
    private int _end;
    private bool _gone;
    private bool _cancelNext;

    public LoopDeviceWriter(LoopSocket socket)
    {
        _socket = socket;
        socket.Writable = OnWritable;
    }

    /// <summary>Nothing written is waiting to be sent.</summary>
    public bool IsEmpty => _end == _start;

    public override Memory<byte> GetMemory(int sizeHint = 0)
    {
        return Reserve(sizeHint).AsMemory(_end);
    }

    public override Span<byte> GetSpan(int sizeHint = 0)
    {
        return Reserve(sizeHint).AsSpan(_end);
    }

    public override void Advance(int bytes) => _end += bytes;

    public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
    {
        if (_cancelNext)
        {
            _cancelNext = false;
            return new ValueTask<FlushResult>(new FlushResult(isCanceled: true, isCompleted: _gone));
        }

        return TrySend() ? new ValueTask<FlushResult>(new FlushResult(false, _gone)) : _pending.Wait();
    }

    public override void CancelPendingFlush()
    {
        if (_pending.IsPending)
        {
            _pending.SetResult(new FlushResult(isCanceled: true, isCompleted: false));
        }
        else
        {
            _cancelNext = true;
        }
    }

    public override void Complete(Exception? exception = null) => Release();

    /// <summary>Gives the buffer back to the pool (what was not sent is dropped).</summary>
    public void Release() => PooledBuffer.Return(ref _buffer, ref _start, ref _end);

    /// <summary>Sends what is buffered; true when all of it went (or the device is gone), false when the socket is full.</summary>
    private bool TrySend()
    {
        while (_end > _start && !_gone)
        {
            int n;
            try
            {
                n = _socket.Send(_buffer.AsSpan(_start, _end - _start));
            }
            catch (Exception e) when (e is System.Net.Sockets.SocketException or ObjectDisposedException)
            {
                _gone = true;
                break;
            }

            if (n < 0)
            {
                return false;
            }

            _start += n;
        }

        // Empty: an idle connection holds no buffer.
        Release();
        return true;
    }

    private byte[] Reserve(int sizeHint)
    {
        PooledBuffer.Reserve(ref _buffer, ref _start, ref _end, Math.Max(sizeHint, 1), MinimumBuffer);
        return _buffer;
    }

    private void OnWritable()
    {
        if (_pending.IsPending && TrySend())
        {
            _pending.SetResult(new FlushResult(false, _gone));
        }
    }
}
