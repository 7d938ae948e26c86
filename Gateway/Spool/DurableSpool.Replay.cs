using System.Globalization;

namespace Gateway.Spool;

/// <summary>Start: what an earlier run (or a crash) left in the directory.</summary>
internal sealed partial class DurableSpool
{
    private const string Extension = ".seg";

    /// <summary>
    /// Scans every segment file, oldest first: counts its records up to the first torn or corrupt one (cutting the file
    /// there, logged and counted: that record's append never completed, or the disk lost it), reads its ack file, and
    /// deletes segments whose records are all done. Every old segment is sealed: new appends go to a new one.
    /// </summary>
    private void Replay()
    {
        var files = System.IO.Directory.GetFiles(Directory, "*" + Extension)
            .Select(static f => (Path: f, Number: long.TryParse(Path.GetFileNameWithoutExtension(f), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : -1))
            .Where(static f => f.Number > 0)
            .OrderBy(static f => f.Number)
            .ToList();
        var recovered = 0L;
        foreach (var (path, number) in files)
        {
            _nextNumber = Math.Max(_nextNumber, number + 1);
            var segment = Load(path, number);
            if (segment is null)
            {
                continue;
            }

            segment.Sealed = true;
            if (segment.Done >= segment.Records)
            {
                File.Delete(segment.DataPath);
                File.Delete(segment.AckPath);
                continue;
            }

            _segments.Add(segment);
            _bytes += segment.Length;
            _depth += segment.Records - segment.Done;
            recovered += segment.Records - segment.Done;
        }

        if (recovered > 0)
        {
            LogReplaying(_logger, Name, recovered, _segments.Count);
        }
    }

    private Segment? Load(string path, long number)
    {
        var segment = new Segment(number, path);
        long valid;
        var records = new List<long>();
        using (var file = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite))
        {
            var length = RandomAccess.GetLength(file);
            if (length < SegmentFormat.HeaderBytes || !SegmentReader.HasMagic(file))
            {
                // Created but not written (a crash right after), or not ours: nothing in it was ever acknowledged from here.
                if (length >= SegmentFormat.HeaderBytes)
                {
                    LogNotASegment(_logger, Name, path);
                    SpoolMetrics.CorruptTails.Add(1, _tag);
                    File.Move(path, path + ".corrupt", overwrite: true);
                }
                else
                {
                    File.Delete(path);
                }

                File.Delete(segment.AckPath);
                return null;
            }

            valid = SegmentFormat.HeaderBytes;
            while (SegmentReader.ReadBody(file, valid, length, _maxBody) is { } body)
            {
                records.Add(valid);
                valid += SegmentFormat.RecordHeaderBytes + body.Length;
            }

            if (valid < length)
            {
                LogTornTail(_logger, Name, path, valid, length - valid);
                SpoolMetrics.CorruptTails.Add(1, _tag);
                RandomAccess.SetLength(file, valid);
            }
        }

        segment.Length = valid;
        segment.Records = records.Count;
        segment.DoneBeforeRestart = ReadAcks(segment.AckPath, records);
        segment.Done = segment.DoneBeforeRestart.Count;
        return segment;
    }

    /// <summary>The offsets in the ack file that are records of the segment (a torn last entry, or one past a cut tail, is ignored).</summary>
    private static HashSet<long> ReadAcks(string path, List<long> records)
    {
        var done = new HashSet<long>();
        if (!File.Exists(path))
        {
            return done;
        }

        var bytes = File.ReadAllBytes(path);
        var known = records.ToHashSet();
        for (var i = 0; i + 8 <= bytes.Length; i += 8)
        {
            var offset = BitConverter.ToInt64(bytes, i);
            if (known.Contains(offset))
            {
                done.Add(offset);
            }
        }

        return done;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Spool {Spool}: {Count} undelivered messages in {Segments} segments left by the last run; delivering them again")]
    private static partial void LogReplaying(ILogger logger, string spool, long count, int segments);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Spool {Spool}: {File} ends in a torn or corrupt record at {Offset} ({Bytes} bytes); cut off there (an append the crash interrupted was never acknowledged)")]
    private static partial void LogTornTail(ILogger logger, string spool, string file, long offset, long bytes);

    [LoggerMessage(Level = LogLevel.Error, Message = "Spool {Spool}: {File} is not a spool segment; moved aside as .corrupt")]
    private static partial void LogNotASegment(ILogger logger, string spool, string file);
}
