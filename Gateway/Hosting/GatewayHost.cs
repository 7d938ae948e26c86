namespace Gateway.Hosting;

/// <summary>
/// Runs the gateway process. For now it starts the ASP.NET Core host with a health endpoint on the admin port;
/// the entry points, registry and admin API attach here as they are built.
/// </summary>
internal static class GatewayHost
{
    public static async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder(args);
        var adminPort = builder.Configuration.GetValue("Gateway:AdminPort", 9080);
        if (adminPort is < 1 or > 65535)
        {
            await Console.Error.WriteLineAsync($"Gateway:AdminPort must be between 1 and 65535 (was {adminPort}).");
            return 2;
        }

        builder.WebHost.UseUrls($"http://127.0.0.1:{adminPort}");
        var app = builder.Build();
        app.MapGet("/healthz", () => Results.Text("ok\n"));
        await app.RunAsync(cancellationToken);
        return 0;
    }
}
