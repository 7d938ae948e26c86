using Gateway.Registry.Stores;

namespace Gateway.Spool;

/// <summary>Spool files are owner-only (0600), like every data file that may hold device data.</summary>
internal static class SpoolFiles
{
    /// <summary>Unbuffered: each write is one system call, and what the spool says it wrote is in the operating system.</summary>
    public static FileStream OpenForWriting(string path, FileMode mode)
    {
        var options = new FileStreamOptions { Mode = mode, Access = FileAccess.Write, Share = FileShare.Read | FileShare.Delete, BufferSize = 0 };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = OwnerOnlyFiles.FileMode;
        }

        return new FileStream(path, options);
    }

    /// <summary>
    /// Takes the spool directory for this process: an exclusive lock on its <c>lock</c> file (an advisory
    /// <c>flock</c> on Linux, which .NET takes for <see cref="FileShare.None"/>; the kernel drops it when the process
    /// ends, <c>kill -9</c> included). Two gateways on one spool would deliver the same records twice and write
    /// over each other's acknowledgements, so the second is refused at start, naming the directory.
    /// </summary>
    public static FileStream LockDirectory(string directory)
    {
        var path = Path.Combine(directory, "lock");
        var options = new FileStreamOptions { Mode = FileMode.OpenOrCreate, Access = FileAccess.ReadWrite, Share = FileShare.None, BufferSize = 0 };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = OwnerOnlyFiles.FileMode;
        }

        try
        {
            return new FileStream(path, options);
        }
        catch (IOException)
        {
            // The message says it all; the IOException under it ("being used by another process") would only add a trace.
            throw new SpoolInUseException(
                $"the spool directory '{directory}' is in use by another gateway process (it holds '{path}'); each instance needs a data directory (or Gateway:Spool:Directory) of its own");
        }
    }
}
