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
}
