using System.Collections.Frozen;
using System.Reflection;

namespace Gateway.WebConsole;

/// <summary>
/// The web console on the admin port: static files (plain ES modules, one CSS file, one HTML page) embedded in the
/// gateway and served at <c>/console/</c> without authentication. They hold no data: the page signs in with an auth
/// key through <c>POST /v1/auth</c> and reads everything through the authenticated admin API, so SAM permissions apply
/// to what it shows. Every response carries a Content-Security-Policy that allows scripts, styles and connections to
/// this origin only.
/// </summary>
internal static class ConsoleEndpoints
{
    public const string Prefix = "/console/";

    /// <summary>Scripts, styles and requests from this origin only; no inline script, no framing, no plugins.</summary>
    public const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        + "base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    private const string ResourcePrefix = "console/";

    private static readonly FrozenDictionary<string, string> s_contentTypes = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        [".html"] = "text/html; charset=utf-8",
        [".js"] = "text/javascript; charset=utf-8",
        [".css"] = "text/css; charset=utf-8",
    }.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>The embedded files by path under <c>/console/</c>, read once: a few kilobytes in all.</summary>
    private static readonly Lazy<FrozenDictionary<string, byte[]>> s_files = new(LoadFiles);

    public static void MapConsole(this IEndpointRouteBuilder app)
    {
        // Routing matches /console and /console/ alike: the bare one is sent to the slash, so relative URLs resolve.
        app.MapGet(Prefix + "{**path}", static (HttpContext context, string? path) =>
            !context.Request.Path.Value!.EndsWith('/') && string.IsNullOrEmpty(path) ? Results.Redirect(Prefix)
            : Serve(context, string.IsNullOrEmpty(path) ? "index.html" : path));
    }

    private static IResult Serve(HttpContext context, string path)
    {
        var headers = context.Response.Headers;
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "no-referrer";
        if (!s_files.Value.TryGetValue(path, out var bytes) || !s_contentTypes.TryGetValue(Path.GetExtension(path), out var type))
        {
            return Results.Text("not found\n", statusCode: StatusCodes.Status404NotFound);
        }

        // Small and embedded: revalidated on every load, so a new gateway version is picked up at once.
        headers.CacheControl = "no-cache";
        return Results.Bytes(bytes, type);
    }

    private static FrozenDictionary<string, byte[]> LoadFiles()
    {
        var assembly = Assembly.GetExecutingAssembly();
        var files = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var name in assembly.GetManifestResourceNames().Where(static n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            files[name[ResourcePrefix.Length..].Replace('\\', '/')] = copy.ToArray();
        }

        return files.ToFrozenDictionary(StringComparer.Ordinal);
    }
}
