using System.IO.Pipelines;
using System.Net;
using Microsoft.AspNetCore.Connections;

namespace Gateway.ProxyProtocol;

/// <summary>
/// Where a device port learns who is really connected. A connection from a trusted proxy must begin with a PROXY
/// header, whose source address then becomes the connection's remote address for everything after it (identity,
/// per-device limits, logs, the tail, metrics); one from anywhere else is the device's own, and is served exactly as
/// without this class (a header from it is not honoured: it is just bytes of the port's protocol). Off, nothing is
/// installed on any port; on, an untrusted connection costs one range check at accept.
/// </summary>
internal sealed partial class ProxyProtocolGate : IDisposable
{
    private readonly IPNetwork[] _trusted;
    private readonly ProxyProtocolMetrics _metrics;
    private readonly ILogger _logger;
    private readonly Diagnostics.LogRateLimiter _log;

    public ProxyProtocolGate(ProxyProtocolOptions options, ProxyProtocolMetrics metrics, ILogger<ProxyProtocolGate> logger)
    {
        _trusted = options.Ranges();
        _metrics = metrics;
        HeaderTimeout = TimeSpan.FromSeconds(options.HeaderTimeoutSeconds);
        _logger = logger;
        _log = new Diagnostics.LogRateLimiter(logger, "PROXY protocol: connections from trusted proxies closed");
    }

    /// <summary>False when no proxy is trusted: ports then install nothing.</summary>
    public bool IsOn => _trusted.Length > 0;

    /// <summary>How long a trusted proxy's header may take to arrive whole.</summary>
    public TimeSpan HeaderTimeout { get; }

    public bool IsTrusted(IPAddress address) => Net.AddressRanges.Contains(_trusted, address);

    /// <summary>
    /// A Kestrel connection middleware for a device port (<paramref name="entryPoint"/> names it in metrics and logs):
    /// first on the port, so that TLS, HTTP and the ports' own handlers all see the device's address.
    /// </summary>
    public Func<ConnectionDelegate, ConnectionDelegate> Middleware(string entryPoint) =>
        next => connection => connection.RemoteEndPoint is IPEndPoint remote && IsTrusted(remote.Address)
            ? ReadHeaderAsync(connection, remote, entryPoint, next)
            : next(connection);

    /// <summary>
    /// Judges a header read from <paramref name="proxy"/> (<paramref name="timedOut"/>: the deadline passed, whatever
    /// the read returned): true with the address the connection is to have, or false, counted and logged, to close it.
    /// </summary>
    public bool Admit(ProxyReadResult result, bool timedOut, IPEndPoint proxy, string entryPoint, out IPEndPoint remote)
    {
        remote = proxy;
        if (result.Accepted && !timedOut)
        {
            remote = result.Source ?? proxy;
            return true;
        }

        var reason = timedOut || result.Canceled ? ProxyRejectReason.Truncated : result.Reason;
        _metrics.Rejected(reason, entryPoint);
        if (_log.Allow(proxy.Address))
        {
            LogRejected(_logger, entryPoint, proxy.ToString(), ProxyProtocolMetrics.Tag(reason));
        }

        return false;
    }

    public void Dispose() => _log.Dispose();

    private async Task ReadHeaderAsync(ConnectionContext connection, IPEndPoint proxy, string entryPoint, ConnectionDelegate next)
    {
        var input = connection.Transport.Input;
        ProxyReadResult result;
        bool timedOut;
        using (var deadline = new CancellationTokenSource(HeaderTimeout))
        {
            var cancel = deadline.Token.UnsafeRegister(static s => ((PipeReader)s!).CancelPendingRead(), input);
            try
            {
                result = await ProxyHeaderReader.ReadAsync(input);
            }
            finally
            {
                // Once this returns the callback cannot run: a deadline that fired just after the header arrived left
                // a cancelled read behind for the port's protocol, so the connection is closed as late instead.
                await cancel.DisposeAsync();
            }

            timedOut = deadline.IsCancellationRequested;
        }

        if (!Admit(result, timedOut, proxy, entryPoint, out var remote))
        {
            return;
        }

        connection.RemoteEndPoint = remote;
        await next(connection);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "PROXY protocol: a connection on {EntryPoint} from trusted proxy {Proxy} was closed: {Reason} header")]
    private static partial void LogRejected(ILogger logger, string entryPoint, string proxy, string reason);
}
