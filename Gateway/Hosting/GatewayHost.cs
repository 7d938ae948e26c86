using Gateway.Admin;
using Gateway.Beam;
using Gateway.Devices;
using Gateway.Endorse;
using Gateway.Funnel;
using Gateway.Harvest;
using Gateway.Lpwa;
using Gateway.Metadata;
using Gateway.Metrics;
using Gateway.Pipeline;
using Gateway.ProxyProtocol;
using Gateway.Registry;
using Gateway.Health;
using Gateway.Sessions;
using Gateway.Tail;
using Gateway.Registry.Stores;
using Gateway.WebConsole;
using Microsoft.Extensions.Options;

namespace Gateway.Hosting;

/// <summary>
/// Runs the gateway process: reads settings (appsettings.json, environment, switches), refuses to start on any
/// configuration error (listing every one, exit 2), then registers each concern through its <c>AddX</c> extension
/// (admin, registry, RADIUS, message pipeline, Beam, LPWA), binds the listeners and runs until stopped.
/// </summary>
internal static partial class GatewayHost
{
    private const string InlineCompletionsVariable = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    /// <summary>Short switches for the settings people type most; every setting also has its long form.</summary>
    internal static readonly Dictionary<string, string> SwitchMappings = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["--registry"] = "Gateway:Registry:SeedFile",
        ["--data-dir"] = "Gateway:Registry:DataDirectory",
        ["--store"] = "Gateway:Registry:Store",
        ["--store-connection"] = "Gateway:Registry:ConnectionString",
        ["--admin-port"] = "Gateway:AdminPort",
        ["--admin-address"] = "Gateway:AdminAddress",
        ["--root-auth-key-id"] = "Gateway:Admin:RootAuthKeyId",
        ["--root-auth-key"] = "Gateway:Admin:RootAuthKey",
        ["--listen-address"] = "Gateway:Beam:ListenAddress",
        ["--http-port"] = "Gateway:Beam:HttpPort",
        ["--website-port"] = "Gateway:Beam:WebsitePort",
        ["--unified-port"] = "Gateway:Beam:UnifiedPort",
        ["--harvest-port"] = "Gateway:Beam:HarvestPort",
        ["--tcp-port"] = "Gateway:Beam:TcpPort",
        ["--mqtt-port"] = "Gateway:Beam:MqttPort",
        ["--https-port"] = "Gateway:Beam:HttpsPort",
        ["--lpwa-port"] = "Gateway:Lpwa:Port",
        ["--radius-listen"] = "Gateway:Radius:Listen",
        ["--device-http-port"] = "Gateway:Devices:HttpPort",
        ["--mqtt-pipeline-port"] = "Gateway:Devices:MqttPort",
    };

    /// <param name="configureServices">Tests only: registers extra services (a recording device service) before the host is built.</param>
    public static async Task<int> RunAsync(string[] args, CancellationToken cancellationToken, Action<IServiceCollection>? configureServices = null)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        UseQuietRequestLogs(builder.Configuration);
        // A bare flag, which the command-line configuration source cannot take: made a setting first.
        args = [.. args.Select(static a => a == "--no-demo" ? "--Gateway:Registry:Demo=false" : a)];
        builder.Configuration.AddCommandLine(args, SwitchMappings);
        var errors = new List<string>();
        if (GatewaySettings.Read(builder.Configuration, errors) is not { } settings)
        {
            return await RefuseStartAsync(errors);
        }

        var grace = builder.Configuration.GetValue("Gateway:ShutdownGraceSeconds", 30);
        if (grace is < 0 or > 3600)
        {
            return await RefuseStartAsync([$"Gateway:ShutdownGraceSeconds must be between 0 and 3600 (was {grace})."]);
        }

        // SIGTERM / Ctrl-C: listeners stop taking new work, exchanges under way get this long to finish (queued ones are
        // already in the spool; what a spool pump has not delivered stays there for the next start).
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(grace));
        try
        {
            // Owner-only: it holds the registry database and the root auth key (see docs/security.md).
            OwnerOnlyFiles.EnsureDirectory(settings.Registry.DataDirectory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            await Console.Error.WriteLineAsync($"gateway: cannot start: Gateway:Registry:DataDirectory (--data-dir) cannot be made readable by this user only: {e.Message}");
            return 2;
        }

        var root = AdminAuth.LoadOrCreateRootKey(settings.Admin, settings.Registry.DataDirectory);

        // One line per concern. Device services join the message pipeline after Beam (AddBeam registers it first).
        builder.Services
            .AddAdmin(settings.Admin, root.Id, root.Key)
            .AddDeviceSessions(builder.Configuration)
            .AddMessageTail()
            .AddDestinationHealth()
            .AddRegistry(settings.Registry, settings.Seed)
            .AddRadiusBindings(builder.Configuration)
            .AddMessagePipeline()
            .AddBeam(settings.Beam)
            .AddFunnel(builder.Configuration)
            .AddHarvest(builder.Configuration)
            .AddLpwaIngestion(builder.Configuration)
            .AddDeviceHttpEndpoint(settings.Devices)
            .AddMetadataService()
            .AddEndorse(builder.Configuration)
            .AddMqttPipelineEndpoint(settings.Devices)
            .AddGatewayMetrics(settings.Metrics)
            .AddProxyProtocol(settings.ProxyProtocol);
        configureServices?.Invoke(builder.Services);
        UseSocketScheduling(builder, settings.Beam);
        builder.WebHost.ConfigureKestrel(k => GatewayListeners.Configure(k, settings));
        WebApplication app;
        try
        {
            // Building makes Kestrel, which makes the connection handlers and what they need (the pipeline's services),
            // so an option those validate at construction is refused here, before anything runs.
            app = builder.Build();
        }
        catch (OptionsValidationException e)
        {
            return await RefuseStartAsync([.. e.Failures]);
        }

        MapDevicePorts(app, settings);

        // Routing placed explicitly after the device branches: left implicit, WebApplication puts it first, and the
        // route matcher would run for every device request only to be ignored.
        app.UseRouting();
        if (root.Generated)
        {
            // The secret itself goes only to the file; the log says where it is.
            LogRootKeyGenerated(app.Logger, root.Id, root.File);
        }

        // Ready only once every listener is bound: Kestrel serves the admin port while it is still binding the device
        // ports, and a device port that fails to bind ends the process.
        var started = app.Lifetime.ApplicationStarted;
        // Not ready either while the registry's store cannot keep changes (deleted or unwritable database).
        app.MapGet("/healthz", (RegistryService registry) =>
            !started.IsCancellationRequested ? Results.Text("starting\n", statusCode: StatusCodes.Status503ServiceUnavailable)
            : registry.StoreProblem is { } problem ? Results.Text($"store unavailable: {problem}\n", statusCode: StatusCodes.Status503ServiceUnavailable)
            : Results.Text("ok\n"));
        app.MapAdminApi();
        app.MapConsole();
        app.MapMetrics(settings.Metrics);
        started.Register(() => SayReady(app, settings));
        return await RunUntilStoppedAsync(app, cancellationToken);
    }

    /// <summary>
    /// ASP.NET Core writes two or three information lines per request (hosting's start and finish, routing's match):
    /// at tens of thousands of device requests a second they are most of the process's work and say nothing the
    /// entry points' metrics and refusal lines do not. They start at Warning; these defaults sit under every other
    /// source, so appsettings.json, the environment or a switch (<c>--Logging:LogLevel:Microsoft.AspNetCore.Hosting.Diagnostics Information</c>)
    /// still turn them back on.
    /// </summary>
    internal static void UseQuietRequestLogs(ConfigurationManager configuration)
    {
        configuration.Sources.Insert(0, new Microsoft.Extensions.Configuration.Memory.MemoryConfigurationSource
        {
            InitialData = new Dictionary<string, string?>(StringComparer.Ordinal)
            {
                ["Logging:LogLevel:Microsoft.AspNetCore.Hosting.Diagnostics"] = "Warning",
                ["Logging:LogLevel:Microsoft.AspNetCore.Routing"] = "Warning",
                ["Logging:LogLevel:Microsoft.AspNetCore.Http.Result"] = "Warning",

                // YARP's forwarder says each request at Information and each failure at Warning; the Beam entry point
                // logs failures itself, in its own words (and counts them).
                ["Logging:LogLevel:Yarp"] = "Error",

                // No log line prints a scope (none of the gateway's providers is set to include them), but capturing
                // them costs every connection Kestrel's connection scope for its whole life (≈ 150 bytes of an idle
                // device connection, docs/performance.md); an operator who wants scopes sets this back to true.
                ["Logging:CaptureScopes"] = "false",
            },
        });
    }

    private static async Task<int> RefuseStartAsync(List<string> errors)
    {
        await Console.Error.WriteLineAsync($"gateway: cannot start, {errors.Count} configuration error(s):");
        foreach (var e in errors)
        {
            await Console.Error.WriteLineAsync("  " + e);
        }

        return 2;
    }

    private static void UseSocketScheduling(WebApplicationBuilder builder, BeamOptions beam)
    {
        if (!beam.InlineIoCompletions)
        {
            return;
        }

        // The runtime reads this once, when the first socket is used: nothing has opened one yet. A value the
        // operator set in the environment is left as it is.
        if (Environment.GetEnvironmentVariable(InlineCompletionsVariable) is null)
        {
            Environment.SetEnvironmentVariable(InlineCompletionsVariable, "1");
        }

        builder.WebHost.UseSockets(static o => o.UnsafePreferInlineScheduling = true);
    }

    /// <summary>Device ports are served before routing ever reaches the admin API, so no admin route answers on them.</summary>
    private static void MapDevicePorts(WebApplication app, GatewaySettings settings)
    {
        var beam = settings.Beam;
        var lpwaPort = settings.LpwaPort;
        var http = app.Services.GetRequiredService<BeamHttpEntryPoint>();
        app.MapWhen(c => c.Connection.LocalPort == beam.HttpPort && beam.HttpPort != 0, b => b.Run(http.HandleHttpAsync));
        app.MapWhen(c => c.Connection.LocalPort == beam.HttpsPort && beam.HttpsPort != 0, b => b.Run(http.HandleHttpAsync));
        app.MapWhen(c => c.Connection.LocalPort == beam.WebsitePort && beam.WebsitePort != 0, b =>
        {
            // Only to tell a WebSocket handshake (HttpContext.WebSockets.IsWebSocketRequest): YARP's forwarder upgrades
            // the connection and copies bytes, so the gateway sends no pings of its own.
            b.UseWebSockets();
            b.Run(http.HandleWebsiteAsync);
        });
        app.MapWhen(c => c.Connection.LocalPort == lpwaPort && lpwaPort != 0, static b => b.UseLpwaIngestion());
        app.MapDeviceHttpEndpoint(settings.Devices);
    }

    private static async Task<int> RunUntilStoppedAsync(WebApplication app, CancellationToken cancellationToken)
    {
        try
        {
            await app.RunAsync(cancellationToken);
        }
        catch (RegistryLoadException e)
        {
            await Console.Error.WriteLineAsync($"gateway: cannot start: {e.Message}");
            return 2;
        }
        catch (Spool.SpoolInUseException e)
        {
            await Console.Error.WriteLineAsync($"gateway: cannot start: {e.Message}");
            return 2;
        }
        catch (OptionsValidationException e)
        {
            await Console.Error.WriteLineAsync($"gateway: cannot start, {e.Failures.Count()} configuration error(s):");
            foreach (var failure in e.Failures)
            {
                await Console.Error.WriteLineAsync("  " + failure);
            }

            return 2;
        }

        return 0;
    }

    /// <summary>Once, when every listener is bound: where each one is, and with the demo device, what to try first.</summary>
    private static void SayReady(WebApplication app, GatewaySettings settings)
    {
        var b = settings.Beam;
        var d = settings.Devices;
        var listeners = $"admin API and /metrics http://{settings.AdminAddress}:{settings.AdminPort}; on {b.ListenAddress}: Beam HTTP {b.HttpPort}, website {b.WebsitePort}, "
            + $"unified TCP/UDP {b.UnifiedPort}, Harvest TCP/UDP {b.HarvestPort}, TCP relay {b.TcpPort}, Beam MQTT {b.MqttPort}, device HTTP {d.HttpPort}, MQTT {d.MqttPort} (0: off)";
        LogReady(app.Logger, listeners);
        if (DescriptorBudget.CheckConfiguration(b.MaxConnections) is { } warning)
        {
            LogDescriptorWarning(app.Logger, warning);
        }

        var registry = app.Services.GetRequiredService<RegistryService>();
        if (registry.Snapshot.FindByImsi(DemoRegistry.Imsi) is not null && b.UnifiedPort != 0 && d.HttpPort != 0 && d.MqttPort != 0
            && app.Logger.IsEnabled(LogLevel.Information))
        {
            var lines = DemoRegistry.TryIt(b.UnifiedPort, d.HttpPort, d.MqttPort, settings.AdminPort);
            LogTryIt(app.Logger, lines);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Ready. Listening: {Listeners}")]
    private static partial void LogReady(ILogger logger, string listeners);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Warning}")]
    private static partial void LogDescriptorWarning(ILogger logger, string warning);

    [LoggerMessage(Level = LogLevel.Information, Message = "The demo device is this machine. Try:\n{Lines}")]
    private static partial void LogTryIt(ILogger logger, string lines);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Generated the root auth key {AuthKeyId}; its secret is in {File} (readable by this user only).")]
    private static partial void LogRootKeyGenerated(ILogger logger, string authKeyId, string file);
}
