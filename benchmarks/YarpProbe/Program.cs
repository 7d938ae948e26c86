// A minimal YARP IHttpForwarder proxy adding one identity header, to compare with the gateway's own forwarder.
// Usage: dotnet YarpProbe.dll <upstream-prefix> <port>
using System.Net;
using Yarp.ReverseProxy.Forwarder;

var upstream = args[0];
var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.ClearProviders();
builder.Services.AddHttpForwarder();
builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, int.Parse(args[1])));
var app = builder.Build();
var invoker = new HttpMessageInvoker(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false, AutomaticDecompression = DecompressionMethods.None, UseCookies = false });
var forwarder = app.Services.GetRequiredService<IHttpForwarder>();
var transformer = new Tx();
app.Run(async c =>
{
    var error = await forwarder.SendAsync(c, upstream, invoker, ForwarderRequestConfig.Empty, transformer);
    if (error != ForwarderError.None) { c.Response.StatusCode = 502; }
});
app.Run();

sealed class Tx : HttpTransformer
{
    public override async ValueTask TransformRequestAsync(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
    {
        await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken);
        proxyRequest.Headers.TryAddWithoutValidation("x-soracom-imsi", "440101234567890");
    }
}
