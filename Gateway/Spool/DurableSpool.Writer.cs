using System.Buffers;
using System.Globalization;

namespace Gateway.Spool;

/// <summary>The one writer: group commit of whatever appends gathered, one write and one fsync per group.</summary>
internal sealed partial class DurableSpool
{
    private async Task WriteLoopAsync()
    {
        var batch = new List<Append>();
        var buffer = new ArrayBufferWriter<byte>(256 * 1024);
        var interval = TimeSpan.FromMilliseconds(_options.FsyncIntervalMilliseconds);
        var lastSync = _time.GetTimestamp();
        while (await _appends.Reader.WaitToReadAsync())
        {
            if (_fsync == SpoolFsync.Interval && interval - _time.GetElapsedTime(lastSync) is { Ticks: > 0 } wait)
            {
                // Appends arriving meanwhile join this group: one fsync for all of them.
                await Task.Delay(wait, _time);
            }

            batch.Clear();
            while (batch.Count < MaxBatch && _appends.Reader.TryRead(out var append))
            {
                batch.Add(append);
            }

            var result = SpoolAppend.Stored;
            try
            {
                WriteBatch(batch, buffer);
                SpoolMetrics.Appended.Add(batch.Count, _tag);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                result = SpoolAppend.Failed;
                Abandon(batch, buffer, e);
            }

            lastSync = _time.GetTimestamp();
            foreach (var append in batch)
            {
                append.Done.TrySetResult(result);
            }

            Pulse();
        }

        lock (_gate)
        {
            if (_active is { } active)
            {
                active.Sealed = true;
                active.Writer?.Dispose();
                active.Writer = null;
            }
        }
    }

    private void WriteBatch(List<Append> batch, ArrayBufferWriter<byte> buffer)
    {
        var segment = _active ?? Roll();
        var records = 0;
        foreach (var append in batch)
        {
            var filled = segment.Length + buffer.WrittenCount;
            if (filled + append.Size > _options.SegmentBytes && filled > SegmentFormat.HeaderBytes)
            {
                Flush(segment, buffer, records);
                records = 0;
                Seal(segment);
                segment = Roll();
            }

            SegmentFormat.WriteRecord(buffer, append.Id, append.TimestampMs, append.Payload.Span);
            records++;
        }

        Flush(segment, buffer, records);
    }

    /// <summary>Writes the gathered records, syncs them as the policy says, and only then makes them visible to the reader.</summary>
    private void Flush(Segment segment, ArrayBufferWriter<byte> buffer, int records)
    {
        if (records == 0)
        {
            return;
        }

        segment.Writer!.Write(buffer.WrittenSpan);
        if (_fsync != SpoolFsync.None)
        {
            var started = _time.GetTimestamp();
            segment.Writer.Flush(flushToDisk: true);
            SpoolMetrics.FsyncDuration.Record(_time.GetElapsedTime(started).TotalSeconds, _tag);
        }

        lock (_gate)
        {
            segment.Length += buffer.WrittenCount;
            segment.Records += records;
        }

        buffer.Clear();
    }

    /// <summary>A new segment file, owner-only, with its magic; with fsync on, the directory is synced so the file's name is durable too.</summary>
    private Segment Roll()
    {
        var number = _nextNumber++;
        var path = Path.Combine(Directory, number.ToString("D12", CultureInfo.InvariantCulture) + Extension);
        var writer = SpoolFiles.OpenForWriting(path, FileMode.CreateNew);
        writer.Write(SegmentFormat.Magic);
        if (_fsync != SpoolFsync.None)
        {
            writer.Flush(flushToDisk: true);
            DirectorySync.Flush(Directory);
        }

        var segment = new Segment(number, path) { Length = SegmentFormat.HeaderBytes, Writer = writer };
        lock (_gate)
        {
            _segments.Add(segment);
            _bytes += SegmentFormat.HeaderBytes;
            _active = segment;
        }

        return segment;
    }

    private void Seal(Segment segment)
    {
        segment.Writer?.Dispose();
        lock (_gate)
        {
            segment.Writer = null;
            segment.Sealed = true;
            if (ReferenceEquals(_active, segment))
            {
                _active = null;
            }

            DeleteIfFinishedLocked(segment);
        }
    }

    /// <summary>
    /// A failed write or fsync: the group is refused (its devices get an error, not an acknowledgement), the segment is
    /// cut back to what was durable and sealed, and the next append starts a new one.
    /// </summary>
    private void Abandon(List<Append> batch, ArrayBufferWriter<byte> buffer, Exception e)
    {
        LogWriteFailed(_logger, Name, batch.Count, e.Message);
        SpoolMetrics.Refused.Add(batch.Count, _tag, SpoolMetrics.Reason("write_failed"));
        buffer.Clear();
        lock (_gate)
        {
            _bytes -= batch.Sum(static a => (long)a.Size);
            _depth -= batch.Count;
        }

        if (_active is { } active)
        {
            try
            {
                active.Writer?.SetLength(active.Length);
            }
            catch (IOException)
            {
                // The replay's CRC check cuts whatever is left past the last whole record.
            }

            Seal(active);
        }
    }

    private void Pulse()
    {
        lock (_gate)
        {
            var data = _data;
            _data = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            data.TrySetResult();
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Spool {Spool}: writing {Count} messages failed ({Reason}); their devices were refused")]
    private static partial void LogWriteFailed(ILogger logger, string spool, int count, string reason);
}
