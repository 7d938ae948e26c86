using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Gateway.LoadGen;

/// <summary>
/// Waits until a <see cref="Stopwatch"/> timestamp: sleeps with <c>nanosleep</c> (timer slack set to 1 µs for the
/// calling thread, so the kernel does not round wake-ups up by its default 50 µs), then spins for the last
/// <c>spinTicks</c>. .NET's own <see cref="Thread.Sleep(int)"/> has millisecond resolution, too coarse for
/// sending every 100 µs. Elsewhere than Linux it falls back to Thread.Sleep and spinning.
/// </summary>
internal static partial class PreciseSleep
{
    private const int PrSetTimerSlack = 29;

    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [LibraryImport("libc", EntryPoint = "nanosleep", SetLastError = true)]
    private static partial int NanoSleep(ref Timespec request, IntPtr remaining);

    [LibraryImport("libc", EntryPoint = "prctl", SetLastError = true)]
    private static partial int Prctl(int option, nuint arg2, nuint arg3, nuint arg4, nuint arg5);

    private static readonly bool Native = OperatingSystem.IsLinux();

    /// <summary>Call once on the thread that will sleep.</summary>
    public static void TightenTimerSlack()
    {
        if (Native)
        {
            _ = Prctl(PrSetTimerSlack, 1000, 0, 0, 0);
        }
    }

    public static void Until(long timestamp, long spinTicks)
    {
        var now = Stopwatch.GetTimestamp();
        var sleepTicks = timestamp - now - spinTicks;
        if (sleepTicks > 0)
        {
            if (Native)
            {
                var ns = (long)(sleepTicks * (1e9 / Stopwatch.Frequency));
                var ts = new Timespec { Seconds = ns / 1_000_000_000, Nanoseconds = ns % 1_000_000_000 };
                _ = NanoSleep(ref ts, IntPtr.Zero);
            }
            else
            {
                Thread.Sleep(TimeSpan.FromTicks(Math.Max(1, sleepTicks * TimeSpan.TicksPerSecond / Stopwatch.Frequency)));
            }
        }

        while (Stopwatch.GetTimestamp() < timestamp)
        {
            Thread.SpinWait(20);
        }
    }
}
