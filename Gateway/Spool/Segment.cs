using Microsoft.Win32.SafeHandles;

namespace Gateway.Spool;

/// <summary>
/// One segment file and what the spool knows of it: how much of it is written and readable, how many records it holds
/// and how many of them are done (delivered or dropped). Its <c>.ack</c> file beside it lists the offsets of the done
/// records, so a restart replays only the others. Guarded by the spool's lock.
/// </summary>
internal sealed class Segment(long number, string dataPath)
{
    public long Number { get; } = number;

    public string DataPath { get; } = dataPath;

    public string AckPath => Path.ChangeExtension(DataPath, ".ack");

    /// <summary>Bytes written (and, unless fsync is off, synced): the reader never reads past this.</summary>
    public long Length { get; set; }

    public int Records { get; set; }

    public int Done { get; set; }

    /// <summary>Records the reader has passed.</summary>
    public int Read { get; set; }

    /// <summary>No more records will be written to it.</summary>
    public bool Sealed { get; set; }

    /// <summary>Deleted (delivered in full, or dropped to make room): late completions of its records are ignored.</summary>
    public bool Gone { get; set; }

    /// <summary>Offsets found in the ack file at start: these records were done before the restart.</summary>
    public HashSet<long>? DoneBeforeRestart { get; set; }

    public FileStream? Writer { get; set; }

    public FileStream? AckWriter { get; set; }

    public SafeFileHandle? Reader { get; set; }

    public void CloseFiles()
    {
        Writer?.Dispose();
        AckWriter?.Dispose();
        Reader?.Dispose();
        (Writer, AckWriter, Reader) = (null, null, null);
    }
}
