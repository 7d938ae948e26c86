using System.Buffers;
using System.IO.Pipelines;

namespace Gateway.Beam.Relay.Loop;

/// <summary>
/// The device's bytes as a <see cref="PipeReader"/>, read from its loop socket only when the relay asks (so TCP's
/// own flow control holds the device back), into one pooled buffer that is handed back whenever it is empty: an
/// idle kept-alive connection holds no buffer. On the loop's thread only; <see cref="CancelPendingRead"/> too.
/// </summary>
internal sealed class LoopDeviceReader : PipeReader
{
    private const int MinimumRead = 4096;

    private readonly LoopSocket _socket;
    private readonly LoopCompletion<ReadResult> _pending = new();
    private byte[]? _buffer;
    private int _start;
    private int _end;
    private bool _examinedAll;
    private bool _ended;
    private bool _cancelNext;

    public LoopDeviceReader(LoopSocket socket)
    {
        _socket = socket;
        socket.Readable = OnReadable;
    }

    /// <summary>What has been read and not consumed: handed to Kestrel with the connection.</summary>
    public ReadOnlySpan<byte> Unconsumed => _buffer is null ? default : _buffer.AsSpan(_start, _end - _start);

    public override ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
    {
        if (_cancelNext)
        {
            _cancelNext = false;
            return new ValueTask<ReadResult>(Result(canceled: true));
        }

        if ((_end > _start && !_examinedAll) || _ended)
        {
            _examinedAll = false;
            return new ValueTask<ReadResult>(Result(canceled: false));
        }

        if (TryFill())
        {
            return new ValueTask<ReadResult>(Result(canceled: false));
        }

        ReleaseIfEmpty();
        return _pending.Wait();
    }

    public override bool TryRead(out ReadResult result)
    {
        if (_cancelNext || (_end > _start && !_examinedAll) || _ended || TryFill())
        {
            result = Result(canceled: _cancelNext);
            _cancelNext = false;
            _examinedAll = false;
            return true;
        }

        result = default;
        return false;
    }

    public override void AdvanceTo(SequencePosition consumed) => AdvanceTo(consumed, consumed);

    public override void AdvanceTo(SequencePosition consumed, SequencePosition examined)
    {
        // Positions of a single-array sequence carry the index (the top bit may flag the sequence's end).
        _start = consumed.GetInteger() & int.MaxValue;
        _examinedAll = (examined.GetInteger() & int.MaxValue) >= _end;
        if (_start == _end)
        {
            _start = _end = 0;
        }
    }

    public override void CancelPendingRead()
    {
        if (_pending.IsPending)
        {
            _pending.SetResult(Result(canceled: true));
        }
        else
        {
            _cancelNext = true;
        }
    }

    public override void Complete(Exception? exception = null) => Release();

    /// <summary>Gives the buffer back to the pool.</summary>
    public void Release() => PooledBuffer.Return(ref _buffer, ref _start, ref _end);

    private ReadResult Result(bool canceled) =>
        new(_buffer is null ? default : new ReadOnlySequence<byte>(_buffer, _start, _end - _start), canceled, _ended);

    /// <summary>Reads what the socket has; true when that is something or the end (errors count as the end, as a reset does).</summary>
    private bool TryFill()
    {
        PooledBuffer.Reserve(ref _buffer, ref _start, ref _end, MinimumRead, MinimumRead * 4);

        int n;
        try
        {
            n = _socket.Receive(_buffer.AsSpan(_end));
        }
        catch (Exception e) when (e is System.Net.Sockets.SocketException or ObjectDisposedException)
        {
            n = 0;
        }

        if (n < 0)
        {
            return false;
        }

        if (n == 0)
        {
            _ended = true;
        }

        _end += n;
        _examinedAll = false;
        return true;
    }

    private void ReleaseIfEmpty()
    {
        if (_buffer is not null && _end == _start)
        {
            Release();
        }
    }

    private void OnReadable()
    {
        if (_pending.IsPending && TryFill())
        {
            _pending.SetResult(Result(canceled: false));
        }
    }
}
