using System.Buffers;
using System.Threading.Channels;
using Gateway.Registry.Stores;

namespace Gateway.Spool;

/// <summary>
/// An append-only spool on local disk: messages are appended to segment files (<see cref="SegmentFormat"/>) by one
/// writer that syncs each group of concurrent appends with one fsync (group commit), and read back in order by one
/// consumer, which completes each record when it is delivered or given up. Completions go to the segment's ack file;
/// a segment whose records are all done is deleted. After a restart (or a crash) the segments left are scanned, torn
/// tails cut off by their CRC, and the records not in an ack file are handed out again: at-least-once, with the
/// message ID unchanged so a consumer can drop duplicates. Bounded by <see cref="SpoolOptions.MaxBytes"/> (refuse new,
/// or drop the oldest segment) and <see cref="SpoolOptions.MaxAgeHours"/>; everything counted in <see cref="SpoolMetrics"/>.
/// </summary>
internal sealed partial class DurableSpool : IAsyncDisposable
{
    private const int MaxBatch = 8192;
    private readonly Lock _gate = new();
    private readonly List<Segment> _segments = [];
    private readonly Dictionary<(long Segment, long Offset), long> _outstanding = [];
    private readonly Channel<Append> _appends = Channel.CreateUnbounded<Append>(new UnboundedChannelOptions { SingleReader = true });
    private readonly SpoolOptions _options;
    private readonly SpoolFsync _fsync;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly KeyValuePair<string, object?> _tag;
    private readonly int _maxBody;
    private readonly long _maxAgeMs;
    private readonly Task _writer;
    private TaskCompletionSource _data = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Segment? _active;
    private Segment? _cursor;
    private long _cursorOffset;
    private long _nextNumber = 1;
    private long _bytes;
    private long _depth;
    private bool _closed;

    private readonly FileStream _lock;

    private DurableSpool(string directory, string name, SpoolOptions options, TimeProvider time, ILogger logger)
    {
        _lock = SpoolFiles.LockDirectory(directory);
        Directory = directory;
        Name = name;
        _options = options;
        _fsync = options.FsyncPolicy;
        _time = time;
        _logger = logger;
        _tag = SpoolMetrics.Tag(name);
        _maxBody = options.SegmentBytes - SegmentFormat.HeaderBytes - SegmentFormat.RecordHeaderBytes;
        _maxAgeMs = options.MaxAgeHours * 3_600_000L;
        try
        {
            Replay();
        }
        catch
        {
            _lock.Dispose();
            throw;
        }

        _writer = Task.Run(WriteLoopAsync);
        SpoolMetrics.Track(this);
    }

    public string Name { get; }

    public string Directory { get; }

    /// <summary>Records spooled and not yet done.</summary>
    public long Depth => Interlocked.Read(ref _depth);

    /// <summary>Bytes of segment files, plus appends on their way to one.</summary>
    public long Bytes => Interlocked.Read(ref _bytes);

    /// <summary>The largest payload a record takes.</summary>
    public int MaxPayloadBytes => _maxBody - SegmentFormat.FixedBodyBytes;

    /// <summary>Opens (creating it owner-only) the spool in <paramref name="directory"/> and scans what an earlier run left.</summary>
    public static DurableSpool Open(string directory, string name, SpoolOptions options, TimeProvider time, ILogger logger)
    {
        OwnerOnlyFiles.EnsureDirectory(directory);
        return new DurableSpool(directory, name, options, time, logger);
    }

    /// <summary>
    /// Appends a message; completes once it is written and synced as the fsync policy says (or refused). The payload
    /// must stay unchanged until then.
    /// </summary>
    public Task<SpoolAppend> AppendAsync(Guid id, ReadOnlyMemory<byte> payload)
    {
        if (payload.Length > MaxPayloadBytes)
        {
            return Task.FromResult(SpoolAppend.TooLarge);
        }

        var size = SegmentFormat.RecordBytes(payload.Length);
        lock (_gate)
        {
            if (_closed)
            {
                return Task.FromResult(SpoolAppend.Failed);
            }

            while (_bytes + size > _options.MaxBytes)
            {
                if (!_options.DropOldest || !DropOldestLocked())
                {
                    SpoolMetrics.Refused.Add(1, _tag, SpoolMetrics.Reason("full"));
                    return Task.FromResult(SpoolAppend.Full);
                }
            }

            _bytes += size;
            _depth++;
        }

        var append = new Append(id, _time.GetUtcNow().ToUnixTimeMilliseconds(), payload);
        _appends.Writer.TryWrite(append);
        return append.Done.Task;
    }

    /// <summary>The next record to deliver, waiting for one; null once the spool is closed.</summary>
    public async ValueTask<SpoolRecord?> ReadAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            Task wait;
            Segment segment;
            long offset;
            lock (_gate)
            {
                if (_closed)
                {
                    return null;
                }

                if (!PositionCursorLocked())
                {
                    wait = _data.Task;
                    segment = null!;
                    offset = 0;
                }
                else
                {
                    wait = Task.CompletedTask;
                    segment = _cursor!;
                    offset = _cursorOffset;
                }
            }

            if (!wait.IsCompleted)
            {
                await wait.WaitAsync(cancellationToken);
                continue;
            }

            if (TryReadAt(segment, offset) is { } record)
            {
                return record;
            }
        }
    }

    /// <summary>The record is done: delivered (<paramref name="dropReason"/> null) or given up for that reason.</summary>
    public void Complete(SpoolRecord record, string? dropReason = null)
    {
        ArgumentNullException.ThrowIfNull(record);
        lock (_gate)
        {
            _outstanding.Remove((record.Segment.Number, record.Offset));
            if (record.Segment.Gone)
            {
                return;
            }

            DoneLocked(record.Segment, record.Offset);
        }

        if (dropReason is null)
        {
            SpoolMetrics.Delivered.Add(1, _tag);
        }
        else
        {
            SpoolMetrics.Dropped.Add(1, _tag, SpoolMetrics.Reason(dropReason));
        }
    }

    /// <summary>True when a record spooled at <paramref name="timestampMs"/> is past <see cref="SpoolOptions.MaxAgeHours"/>.</summary>
    public bool Expired(long timestampMs) => _time.GetUtcNow().ToUnixTimeMilliseconds() - timestampMs > _maxAgeMs;

    /// <summary>Seconds since the oldest record not yet done was spooled (0 when none is): those being delivered, or the next to read.</summary>
    public double OldestAgeSeconds()
    {
        long? oldest = null;
        lock (_gate)
        {
            foreach (var ts in _outstanding.Values)
            {
                oldest = oldest is { } o ? Math.Min(o, ts) : ts;
            }

            if (!_closed && PositionCursorLocked() && PeekTimestampLocked() is { } next)
            {
                oldest = oldest is { } o ? Math.Min(o, next) : next;
            }
        }

        return oldest is { } t ? Math.Max(0, _time.GetUtcNow().ToUnixTimeMilliseconds() - t) / 1000.0 : 0;
    }

    /// <summary>Stops taking appends, writes what was accepted, and closes the files; what is not done stays for the next start.</summary>
    public async ValueTask DisposeAsync()
    {
        lock (_gate)
        {
            if (_closed)
            {
                return;
            }

            _closed = true;
        }

        _appends.Writer.TryComplete();
        await _writer;
        lock (_gate)
        {
            foreach (var segment in _segments)
            {
                segment.CloseFiles();
            }

            _data.TrySetResult();
        }

        SpoolMetrics.Untrack(this);
        await _lock.DisposeAsync();
    }

    /// <summary>Moves the cursor past finished or deleted segments; true when a record is there to read.</summary>
    private bool PositionCursorLocked()
    {
        while (true)
        {
            if (_cursor is null || _cursor.Gone)
            {
                var after = _cursor?.Number ?? 0;
                _cursor = _segments.FirstOrDefault(s => s.Number > after);
                _cursorOffset = SegmentFormat.HeaderBytes;
                if (_cursor is null)
                {
                    return false;
                }
            }

            if (_cursorOffset < _cursor.Length)
            {
                return true;
            }

            if (!_cursor.Sealed)
            {
                return false;
            }

            // Read to its end: a reader handle is no longer needed.
            _cursor.Reader?.Dispose();
            _cursor.Reader = null;
            var next = _segments.FirstOrDefault(s => s.Number > _cursor.Number);
            if (next is null)
            {
                return false;
            }

            (_cursor, _cursorOffset) = (next, SegmentFormat.HeaderBytes);
        }
    }

    private long? PeekTimestampLocked()
    {
        Span<byte> ts = stackalloc byte[8];
        try
        {
            _cursor!.Reader ??= File.OpenHandle(_cursor.DataPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            var at = _cursorOffset + SegmentFormat.RecordHeaderBytes + 16;
            return RandomAccess.Read(_cursor.Reader, ts, at) == 8 ? BitConverter.ToInt64(ts) : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>
    /// Reads the record at the cursor and moves past it. Null when it is not one to hand out: done before a restart,
    /// expired (dropped here), or corrupt (the rest of the segment is given up, counted).
    /// </summary>
    private SpoolRecord? TryReadAt(Segment segment, long offset)
    {
        byte[]? body;
        lock (_gate)
        {
            if (segment.Gone || !ReferenceEquals(segment, _cursor) || offset != _cursorOffset)
            {
                return null;
            }

            segment.Reader ??= File.OpenHandle(segment.DataPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            body = SegmentReader.ReadBody(segment.Reader, offset, segment.Length, _maxBody);
            if (body is null)
            {
                var lost = segment.Records - segment.Read;
                LogCorruptRecord(_logger, Name, segment.DataPath, offset, lost);
                SpoolMetrics.Dropped.Add(lost, _tag, SpoolMetrics.Reason("corrupt"));
                segment.Done += lost;
                segment.Read = segment.Records;
                _depth -= lost;
                _cursorOffset = segment.Length;
                DeleteIfFinishedLocked(segment);
                return null;
            }

            _cursorOffset = offset + SegmentFormat.RecordHeaderBytes + body.Length;
            segment.Read++;
            if (segment.DoneBeforeRestart?.Contains(offset) == true)
            {
                return null;
            }

            var timestamp = SegmentFormat.Timestamp(body);
            if (Expired(timestamp))
            {
                DoneLocked(segment, offset);
                SpoolMetrics.Dropped.Add(1, _tag, SpoolMetrics.Reason("expired"));
                return null;
            }

            _outstanding[(segment.Number, offset)] = timestamp;
            return new SpoolRecord(segment, offset, SegmentFormat.Id(body), timestamp, body.AsMemory(SegmentFormat.FixedBodyBytes));
        }
    }

    private void DoneLocked(Segment segment, long offset)
    {
        segment.Done++;
        _depth--;
        try
        {
            // Not synced: an ack lost to a power cut only means the record is delivered again, which at-least-once allows.
            segment.AckWriter ??= SpoolFiles.OpenForWriting(segment.AckPath, FileMode.Append);
            Span<byte> bytes = stackalloc byte[8];
            BitConverter.TryWriteBytes(bytes, offset);
            segment.AckWriter.Write(bytes);
        }
        catch (IOException e)
        {
            LogAckFailed(_logger, Name, segment.AckPath, e.Message);
        }

        DeleteIfFinishedLocked(segment);
    }

    private void DeleteIfFinishedLocked(Segment segment)
    {
        if (segment.Sealed && segment.Done >= segment.Records && !segment.Gone)
        {
            DeleteLocked(segment);
        }
    }

    private void DeleteLocked(Segment segment)
    {
        segment.Gone = true;
        _segments.Remove(segment);
        _bytes -= segment.Length;
        segment.CloseFiles();
        try
        {
            File.Delete(segment.DataPath);
            File.Delete(segment.AckPath);
        }
        catch (IOException e)
        {
            LogDeleteFailed(_logger, Name, segment.DataPath, e.Message);
        }
    }

    /// <summary>WhenFull=drop-oldest: gives up the oldest sealed segment's undelivered records to make room.</summary>
    private bool DropOldestLocked()
    {
        var oldest = _segments.FirstOrDefault(static s => s.Sealed);
        if (oldest is null)
        {
            return false;
        }

        var lost = oldest.Records - oldest.Done;
        _depth -= lost;
        SpoolMetrics.Dropped.Add(lost, _tag, SpoolMetrics.Reason("full"));
        LogDroppedOldest(_logger, Name, lost, oldest.DataPath);
        DeleteLocked(oldest);
        return true;
    }

    private sealed class Append(Guid id, long timestampMs, ReadOnlyMemory<byte> payload)
    {
        public Guid Id { get; } = id;

        public long TimestampMs { get; } = timestampMs;

        public ReadOnlyMemory<byte> Payload { get; } = payload;

        public int Size => SegmentFormat.RecordBytes(Payload.Length);

        public TaskCompletionSource<SpoolAppend> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Spool {Spool}: record at {Offset} of {File} is corrupt; {Lost} records of that segment are given up")]
    private static partial void LogCorruptRecord(ILogger logger, string spool, string file, long offset, int lost);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Spool {Spool}: writing to {File} failed ({Reason}); its records may be delivered again after a restart")]
    private static partial void LogAckFailed(ILogger logger, string spool, string file, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Spool {Spool}: deleting {File} failed ({Reason})")]
    private static partial void LogDeleteFailed(ILogger logger, string spool, string file, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Spool {Spool} is full: dropped its oldest segment {File} with {Lost} undelivered messages (WhenFull=drop-oldest)")]
    private static partial void LogDroppedOldest(ILogger logger, string spool, int lost, string file);
}
