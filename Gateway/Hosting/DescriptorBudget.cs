using System.Diagnostics.Metrics;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Gateway.Hosting;

/// <summary>
/// Keeps the process clear of its file-descriptor limit. At the limit .NET itself fails in places no handler can
/// catch (an assembly loaded late, for instance, needs two descriptors): the gateway printed "Out of memory." and
/// aborted, twice, at about 9,100 relayed MQTT connections under <c>ulimit -n 20000</c>. So every connection, device
/// side or upstream, is refused while fewer than <see cref="Reserve"/> descriptors would be left.
/// </summary>
/// <remarks>
/// The check costs nothing: Linux gives a new descriptor the lowest free number, so a socket numbered
/// <see cref="Ceiling"/> or above means at least that many descriptors are open. Refused device connections are
/// closed at once; refused upstream connections fail as <see cref="SocketError.TooManyOpenSockets"/>, which the
/// entry points answer as "upstream unreachable (TooManyOpenSockets)".
/// </remarks>
internal static partial class DescriptorBudget
{
    private const int RlimitNofile = 7;

    public const string MeterName = "Gateway.Process";

    private static readonly Meter s_meter = new(MeterName);
    private static readonly Counter<long> s_refused = s_meter.CreateCounter<long>(
        "gateway.descriptors.refused", description: "Connections refused because the process is near its file-descriptor limit, by side (device, upstream).");

    static DescriptorBudget()
    {
        Limit = ReadLimit();
        Reserve = (int)Math.Clamp(Limit / 10, 128, 4096);
        Ceiling = Limit > int.MaxValue ? int.MaxValue : (int)Math.Max(Limit - Reserve, 0);
        s_meter.CreateObservableGauge("gateway.descriptors.limit", static () => Limit, description: "The process's file-descriptor limit (RLIMIT_NOFILE).");
    }

    /// <summary>The process's descriptor limit (soft RLIMIT_NOFILE, which .NET raises to the hard limit at start); <see cref="long.MaxValue"/> where unknown.</summary>
    public static long Limit { get; }

    /// <summary>Descriptors kept free for the runtime, the stores and logs: a tenth of the limit, 128 to 4,096.</summary>
    public static int Reserve { get; }

    /// <summary>Sockets numbered this or above are refused.</summary>
    public static int Ceiling { get; }

    /// <summary>Whether a new descriptor <paramref name="fd"/> is past the budget (and must be closed by the caller).</summary>
    public static bool IsOver(long fd) => fd >= Ceiling;

    /// <summary>For a new upstream socket: disposes it and throws when it is past the budget.</summary>
    public static void ThrowIfOver(Socket socket)
    {
        if (IsOver(socket.Handle))
        {
            socket.Dispose();
            throw Refused("upstream");
        }
    }

    /// <summary>For a new upstream descriptor the caller closes: the exception to throw when it is past the budget.</summary>
    public static SocketException Refused(string side)
    {
        s_refused.Add(1, new KeyValuePair<string, object?>("side", side));
        return new SocketException((int)SocketError.TooManyOpenSockets);
    }

    /// <summary>Counts a device connection closed at accept for want of descriptors.</summary>
    public static void CountDeviceRefused() => s_refused.Add(1, new KeyValuePair<string, object?>("side", "device"));

    /// <summary>
    /// The first middleware of every Kestrel listener: a connection whose socket is past the budget is closed before
    /// any protocol runs on it; the others go on through <paramref name="ceiling"/>.
    /// </summary>
    public static void Guard(ListenOptions listen, ILogger logger, ConnectionCeiling ceiling)
    {
        var log = new Diagnostics.LogRateLimiter(logger, "connections closed near the descriptor limit");
        listen.Use(next => connection =>
        {
            var socket = connection.Features.Get<IConnectionSocketFeature>()?.Socket;
            if (socket is null || !IsOver(socket.Handle))
            {
                return ceiling.Run(next, connection);
            }

            CountDeviceRefused();
            if (log.Allow("descriptors"))
            {
                LogRefused(logger, listen.EndPoint.ToString() ?? "?", Limit);
            }

            connection.Abort();
            return Task.CompletedTask;
        });
    }

    /// <summary>
    /// The warning for a configuration the limit cannot honour: <paramref name="maxConnections"/> relayed connections
    /// take two descriptors each.
    /// </summary>
    public static string? CheckConfiguration(long maxConnections)
    {
        var needed = maxConnections * 2;
        return needed <= Ceiling
            ? null
            : $"Gateway:Beam:MaxConnections is {maxConnections:N0}, which needs up to {needed:N0} file descriptors (two per relayed connection), but this process may open {Limit:N0} (ulimit -n / LimitNOFILE) and keeps {Reserve:N0} in reserve: beyond about {Ceiling / 2:N0} relayed connections new ones are refused (gateway_descriptors_refused_total). Raise the limit or lower MaxConnections.";
    }

    private static long ReadLimit()
    {
        if (!OperatingSystem.IsLinux())
        {
            return long.MaxValue;
        }

        try
        {
            Span<ulong> limit = stackalloc ulong[2];
            unsafe
            {
                fixed (ulong* p = limit)
                {
                    if (getrlimit(RlimitNofile, p) != 0)
                    {
                        return long.MaxValue;
                    }
                }
            }

            return limit[0] > long.MaxValue ? long.MaxValue : (long)limit[0];
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return long.MaxValue;
        }
    }

    [LibraryImport("libc", SetLastError = true)]
    private static unsafe partial int getrlimit(int resource, ulong* limit);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A connection to {EndPoint} was closed at once: the process is near its file-descriptor limit ({Limit}); raise ulimit -n / LimitNOFILE or lower Gateway:Beam:MaxConnections")]
    private static partial void LogRefused(ILogger logger, string endPoint, long limit);
}
