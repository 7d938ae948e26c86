namespace Gateway.Registry.Stores;

/// <summary>
/// The data directory and the files in it that hold secrets (the SQLite database with its PSKs and keys, the
/// root auth key) are for the gateway's user alone: 0700 for the directory, 0600 for files. Applied when they are
/// created and again at every start, so that a directory or database made before this rule, or by hand, is
/// tightened too.
/// </summary>
internal static class OwnerOnlyFiles
{
    public const UnixFileMode DirectoryMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    public const UnixFileMode FileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>
    /// Creates the directory owner-only, or makes an existing one so; except a shared directory with the sticky bit
    /// (<c>/tmp</c>), which is left alone: changing it would break everyone else, and the files in it are owner-only anyway.
    /// </summary>
    public static void EnsureDirectory(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
            return;
        }

        Directory.CreateDirectory(path, DirectoryMode);
        var mode = File.GetUnixFileMode(path);
        if ((mode & UnixFileMode.StickyBit) == 0 && mode != DirectoryMode)
        {
            File.SetUnixFileMode(path, DirectoryMode);
        }
    }

    /// <summary>
    /// Creates an empty file owner-only if it is absent, else makes it so. SQLite gives the <c>-wal</c> and <c>-shm</c>
    /// files it creates the database file's mode, so doing this before SQLite opens the database covers them; existing
    /// ones are tightened here too.
    /// </summary>
    public static void EnsureFile(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        if (!File.Exists(path))
        {
            using var created = new FileStream(path, new FileStreamOptions
            {
                Mode = System.IO.FileMode.OpenOrCreate,
                Access = FileAccess.Write,
                UnixCreateMode = FileMode,
            });
        }

        File.SetUnixFileMode(path, FileMode);
    }

    /// <summary>Makes a file owner-only if it exists (a journal file SQLite may have left).</summary>
    public static void TightenIfPresent(string path)
    {
        if (!OperatingSystem.IsWindows() && File.Exists(path))
        {
            File.SetUnixFileMode(path, FileMode);
        }
    }
}
