namespace Gateway.Registry.Stores;

/// <summary>
/// Notices a database file deleted or replaced while the gateway runs. SQLite keeps writing into the file it has
/// open, which after a delete is a nameless inode: every write "succeeds" and is gone at the next start. The guard
/// holds one descriptor of its own on the file and asks the kernel whether that file still has a name
/// (<c>/proc/self/fd/N</c> reads "… (deleted)" once it has none). Linux only; elsewhere it checks only that the path
/// exists. The descriptor stays open until disposal on purpose: closing any descriptor of a file drops the process's
/// POSIX locks on it, which SQLite's own locking relies on.
/// </summary>
internal sealed class DatabaseFileGuard : IDisposable
{
    private const string DeletedSuffix = " (deleted)";
    private readonly string _path;
    private readonly Microsoft.Win32.SafeHandles.SafeFileHandle _handle;
    private readonly string? _procLink;

    public DatabaseFileGuard(string path)
    {
        _path = path;
        _handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        var link = $"/proc/self/fd/{_handle.DangerousGetHandle()}";
        _procLink = OperatingSystem.IsLinux() && File.Exists(link) ? link : null;
    }

    /// <summary>Null while the file is in place; otherwise what happened to it.</summary>
    public string? Problem()
    {
        if (_procLink is not null)
        {
            var target = new FileInfo(_procLink).LinkTarget;
            if (target is null || target.EndsWith(DeletedSuffix, StringComparison.Ordinal))
            {
                return $"the registry database {_path} was deleted or replaced while the gateway ran; nothing is stored until it is restored and the gateway restarted";
            }

            return null;
        }

        return File.Exists(_path) ? null : $"the registry database {_path} is gone; nothing is stored until it is restored and the gateway restarted";
    }

    public void Dispose() => _handle.Dispose();
}
