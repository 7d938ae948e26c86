using System.Net.Sockets;
using System.Security.Authentication;

namespace Gateway.Beam;

/// <summary>Why an upstream could not be reached, in the words a device (and an operator) gets back.</summary>
internal readonly record struct UpstreamFailure(int Status, string Reason, string Metric)
{
    public static UpstreamFailure Classify(Exception e, TimeSpan timeout, bool timedOut)
    {
        if (timedOut)
        {
            return new(504, $"upstream timed out after {timeout.TotalSeconds:0.###} s", "upstream_timeout");
        }

        for (var inner = e; inner is not null; inner = inner.InnerException)
        {
            switch (inner)
            {
                case AuthenticationException:
                    return new(502, "TLS handshake with upstream failed", "upstream_tls");
                case SocketException { SocketErrorCode: SocketError.ConnectionRefused }:
                    return new(502, "upstream refused the connection", "upstream_refused");
                case SocketException { SocketErrorCode: SocketError.HostNotFound or SocketError.NoData or SocketError.TryAgain }:
                    return new(502, "upstream host not found", "upstream_dns");
                case SocketException se:
                    return new(502, $"upstream unreachable ({se.SocketErrorCode})", "upstream_unreachable");

                // HttpClient's words for what the relay finds itself (the same replies on both paths).
                case HttpRequestException { HttpRequestError: HttpRequestError.InvalidResponse }:
                    return new(502, "upstream sent a malformed response", "upstream_malformed");
                case HttpRequestException { HttpRequestError: HttpRequestError.ConfigurationLimitExceeded }:
                    return new(502, "upstream response head too large", "upstream_malformed");
                default:
                    break;
            }
        }

        return new(502, "upstream connection failed", "upstream_failed");
    }
}
