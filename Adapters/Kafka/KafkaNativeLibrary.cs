using System.Reflection;
using System.Runtime.InteropServices;
using Confluent.Kafka;

namespace Gateway.Adapters.Kafka;

/// <summary>
/// Makes Confluent.Kafka use the librdkafka that <c>librdkafka.redist</c> ships with the application, never a system copy.
/// </summary>
/// <remarks>
/// On Linux Confluent.Kafka imports <c>librdkafka</c> by name. The runtime first tries the bundled
/// <c>runtimes/linux-x64/native/librdkafka.so</c>, which needs <c>libsasl2.so.3</c>; where that is missing (Debian 12)
/// the load fails and the runtime falls back to <c>dlopen("librdkafka.so")</c>, which finds Debian's
/// <c>librdkafka-dev</c> (2.0.2) when it is installed: the client then runs on an older library that lacks symbols it
/// calls. The resolver answers the name <c>librdkafka</c> with the bundled build that loads here (the GSSAPI build,
/// else the one without GSSAPI, <c>centos8-librdkafka.so</c>), so a system copy is never probed.
/// </remarks>
public static class KafkaNativeLibrary
{
    private static readonly Lock Gate = new();
    private static bool s_pinned;
    private static IntPtr s_handle;

    /// <summary>Installs the resolver on the Confluent.Kafka assembly once; later calls do nothing.</summary>
    public static void Pin()
    {
        lock (Gate)
        {
            if (s_pinned || !OperatingSystem.IsLinux())
                return;
            s_pinned = true;
            try
            {
                NativeLibrary.SetDllImportResolver(typeof(Library).Assembly, Resolve);
            }
            catch (InvalidOperationException)
            {
                // The host installed a resolver of its own; it decides.
            }
        }
    }

    /// <summary>
    /// Loads the bundled librdkafka (once) and returns its handle, for programs that call librdkafka directly
    /// (the test mock cluster). Throws <see cref="DllNotFoundException"/> when no bundled build loads.
    /// </summary>
    public static IntPtr Load()
    {
        lock (Gate)
        {
            if (s_handle != IntPtr.Zero)
                return s_handle;
            var tried = new List<string>();
            foreach (var path in Candidates())
            {
                tried.Add(path);
                if (File.Exists(path) && NativeLibrary.TryLoad(path, out s_handle))
                    return s_handle;
            }
            throw new DllNotFoundException("No bundled librdkafka loads; tried " + string.Join(", ", tried));
        }
    }

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (name != "librdkafka")
            return IntPtr.Zero;
        try
        {
            return Load();
        }
        catch (DllNotFoundException)
        {
            return IntPtr.Zero; // let the runtime report its own error
        }
    }

    /// <summary>The bundled builds in load order, in every directory the host resolved native assets to.</summary>
    private static IEnumerable<string> Candidates()
    {
        var rid = "linux-" + RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant();
        var dirs = new List<string>();
        if (AppContext.GetData("NATIVE_DLL_SEARCH_DIRECTORIES") is string searchDirs)
            dirs.AddRange(searchDirs.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries));
        dirs.Add(Path.Combine(AppContext.BaseDirectory, "runtimes", rid, "native"));
        dirs.Add(AppContext.BaseDirectory);
        foreach (var file in (string[])["librdkafka.so", "centos8-librdkafka.so"])
        {
            foreach (var dir in dirs.Distinct(StringComparer.Ordinal))
                yield return Path.Combine(dir, file);
        }
    }
}
