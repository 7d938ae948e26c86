using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Extensions;

namespace Gateway.Signing.MessageSignatures;

/// <summary>
/// The parts of an HTTP request that RFC 9421 components are drawn from: the method, the absolute target URI and
/// the header fields. Built from whatever the caller holds (an ASP.NET Core request, an outgoing request, a test).
/// </summary>
public sealed class HttpMessageComponents
{
    private readonly Dictionary<string, List<string>> _fields = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Creates the components of a request.</summary>
    /// <param name="method">The request method, e.g. <c>POST</c>.</param>
    /// <param name="targetUri">The absolute target URI, e.g. <c>https://example.com/foo?x=1</c>.</param>
    /// <param name="headers">Header field lines; a name may repeat.</param>
    public HttpMessageComponents(string method, Uri targetUri, IEnumerable<KeyValuePair<string, string>> headers)
    {
        ArgumentException.ThrowIfNullOrEmpty(method);
        ArgumentNullException.ThrowIfNull(targetUri);
        ArgumentNullException.ThrowIfNull(headers);
        if (!targetUri.IsAbsoluteUri)
        {
            throw new ArgumentException("The target URI must be absolute.", nameof(targetUri));
        }

        Method = method;
        TargetUri = targetUri;
        foreach (var (name, value) in headers)
        {
            if (!_fields.TryGetValue(name, out var list))
            {
                _fields[name] = list = [];
            }

            list.Add(value);
        }
    }

    /// <summary>The request method.</summary>
    public string Method { get; }

    /// <summary>The absolute target URI.</summary>
    public Uri TargetUri { get; }

    /// <summary>The components of an incoming ASP.NET Core request, as the client addressed it.</summary>
    public static HttpMessageComponents FromRequest(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var headers = new List<KeyValuePair<string, string>>();
        foreach (var (name, values) in request.Headers)
        {
            foreach (var value in values)
            {
                headers.Add(new(name, value ?? string.Empty));
            }
        }

        return new HttpMessageComponents(request.Method, new Uri(request.GetEncodedUrl()), headers);
    }

    /// <summary>
    /// The value of one component as it enters the signature base (RFC 9421 §2.1 and §2.2), or null when the
    /// message does not have it.
    /// </summary>
    /// <exception cref="ArgumentException">An unknown derived component (a name starting with <c>@</c>).</exception>
    public string? GetValue(string component)
    {
        ArgumentException.ThrowIfNullOrEmpty(component);
        return component switch
        {
            "@method" => Method,
            "@target-uri" => TargetUri.AbsoluteUri,
            "@authority" => TargetUri.IsDefaultPort
                ? TargetUri.IdnHost.ToLowerInvariant()
                : $"{TargetUri.IdnHost.ToLowerInvariant()}:{TargetUri.Port}",
            "@scheme" => TargetUri.Scheme.ToLowerInvariant(),
            "@request-target" => TargetUri.PathAndQuery,
            "@path" => TargetUri.AbsolutePath.Length == 0 ? "/" : TargetUri.AbsolutePath,
            "@query" => TargetUri.Query.Length == 0 ? "?" : TargetUri.Query,
            _ when component[0] == '@' => throw new ArgumentException($"Unsupported derived component '{component}'.", nameof(component)),
            _ => _fields.TryGetValue(component, out var lines)
                ? string.Join(", ", lines.Select(static l => l.Trim(' ', '\t')))
                : null,
        };
    }

    /// <summary>Whether a derived component name is one this implementation computes.</summary>
    public static bool IsSupportedDerived(string component) =>
        component is "@method" or "@target-uri" or "@authority" or "@scheme" or "@request-target" or "@path" or "@query";
}
