using Gateway.Admin;
using Microsoft.AspNetCore.Connections;
using Gateway.Beam;
using Gateway.Beam.Mqtt;
using Gateway.Lpwa;
using Gateway.Radius;
using Gateway.Registry;
using Gateway.Registry.Stores;
using Microsoft.Extensions.Options;

namespace Gateway.Hosting;

/// <summary>
/// Runs the gateway process: reads settings (appsettings.json, environment, switches), refuses to start on any
/// configuration error (listing every one, exit 2), then starts the registry and the admin API.
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
        ["--tcp-port"] = "Gateway:Beam:TcpPort",
        ["--mqtt-port"] = "Gateway:Beam:MqttPort",
        ["--https-port"] = "Gateway:Beam:HttpsPort",
        ["--lpwa-port"] = "Gateway:Lpwa:Port",
        ["--radius-listen"] = "Gateway:Radius:Listen",
    };

    public static async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.Configuration.AddCommandLine(args, SwitchMappings);

        var errors = new List<string>();
        var adminPort = builder.Configuration.GetValue("Gateway:AdminPort", 9080);
        if (adminPort is < 1 or > 65535)
        {
            errors.Add($"Gateway:AdminPort must be between 1 and 65535 (was {adminPort}).");
        }

        var adminAddress = builder.Configuration.GetValue("Gateway:AdminAddress", "127.0.0.1")!;
        if (!System.Net.IPAddress.TryParse(adminAddress, out var adminIp))
        {
            errors.Add($"Gateway:AdminAddress must be an IP address (was '{adminAddress}').");
        }

        var adminOptions = new AdminOptions();
        builder.Configuration.GetSection("Gateway:Admin").Bind(adminOptions);
        errors.AddRange(adminOptions.Validate());

        var beamOptions = new BeamOptions();
        builder.Configuration.GetSection("Gateway:Beam").Bind(beamOptions);
        errors.AddRange(beamOptions.Validate());
        if (beamOptions.DevicePorts.Contains(adminPort))
        {
            errors.Add($"Gateway:AdminPort {adminPort} is also a device port.");
        }

        // LPWA ingestion: its options are validated at start by AddLpwaIngestion; only the port is needed here.
        var lpwaPort = builder.Configuration.GetValue("Gateway:Lpwa:Port", 0);
        if (lpwaPort != 0 && (lpwaPort == adminPort || beamOptions.DevicePorts.Contains(lpwaPort)))
        {
            errors.Add($"Gateway:Lpwa:Port {lpwaPort} is also the admin port or a device port.");
        }

        var registryOptions = new RegistryOptions();
        builder.Configuration.GetSection("Gateway:Registry").Bind(registryOptions);
        errors.AddRange(registryOptions.Validate());

        RegistryDocument? seed = null;
        if (errors.Count == 0 && registryOptions.SeedFile is { Length: > 0 } seedFile)
        {
            seed = RegistrySeedFile.Load(seedFile, errors);
        }

        if (errors.Count > 0)
        {
            await Console.Error.WriteLineAsync($"gateway: cannot start, {errors.Count} configuration error(s):");
            foreach (var e in errors)
            {
                await Console.Error.WriteLineAsync("  " + e);
            }

            return 2;
        }

        try
        {
            // Owner-only: it holds the registry database and the root auth key (see docs/security.md).
            OwnerOnlyFiles.EnsureDirectory(registryOptions.DataDirectory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            await Console.Error.WriteLineAsync($"gateway: cannot start: Gateway:Registry:DataDirectory (--data-dir) cannot be made readable by this user only: {e.Message}");
            return 2;
        }

        var root = AdminAuth.LoadOrCreateRootKey(adminOptions, registryOptions.DataDirectory);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(Options.Create(adminOptions));
        builder.Services.AddSingleton(sp => new AdminAuth(root.Id, root.Key, adminOptions.AuthKeys, sp.GetRequiredService<TimeProvider>()));
        builder.Services.AddSingleton(Options.Create(registryOptions));
        builder.Services.AddSingleton<IdentityResolver>();
        builder.Services.AddSingleton(RegistryStores.Create(registryOptions));
        builder.Services.AddSingleton(sp => new RegistryService(
            sp.GetRequiredService<IRegistryStore>(),
            sp.GetRequiredService<IdentityResolver>(),
            sp.GetRequiredService<IOptions<RegistryOptions>>(),
            sp.GetRequiredService<ILogger<RegistryService>>(),
            seed));
        builder.Services.AddHostedService(static sp => sp.GetRequiredService<RegistryService>());

        var autoRegisterGroup = builder.Configuration["Gateway:Radius:AutoRegisterGroupId"];
        builder.Services.AddRadiusAccounting(builder.Configuration.GetSection("Gateway:Radius"));
        builder.Services.AddSingleton<IAccountingEventSink>(sp => new AccountingBindingSink(
            sp.GetRequiredService<IdentityResolver>(), sp.GetRequiredService<RegistryService>(), autoRegisterGroup, sp.GetRequiredService<ILogger<AccountingBindingSink>>()));

        builder.Services.AddSingleton(Options.Create(beamOptions));
        builder.Services.AddSingleton<TcpAdmission>();
        builder.Services.AddSingleton<BeamHttpClient>();
        builder.Services.AddSingleton<BeamHttpEntryPoint>();
        builder.Services.AddSingleton<Gateway.Beam.Relay.UpstreamPool>();
        builder.Services.AddSingleton<Gateway.Beam.Relay.HttpRelay>();
        if (UsesEventLoops(beamOptions))
        {
            // Added after Kestrel's socket transport, so Kestrel asks it first; it binds only the relay's ports. One
            // registration: the container disposes what each registration made, and the loops are to stop once.
            builder.Services.AddSingleton<Microsoft.AspNetCore.Connections.IConnectionListenerFactory, Gateway.Beam.Relay.Loop.LoopTransportFactory>();
        }
        builder.Services.AddSingleton<PayloadPoster>();
        builder.Services.AddSingleton<UdpEntryPoint>();
        builder.Services.AddHostedService(static sp => sp.GetRequiredService<UdpEntryPoint>());
        builder.Services.AddLpwaIngestion(builder.Configuration);
        var listen = System.Net.IPAddress.Parse(beamOptions.ListenAddress);
        if (beamOptions.InlineIoCompletions)
        {
            // The runtime reads this once, when the first socket is used: nothing has opened one yet. A value the
            // operator set in the environment is left as it is.
            if (Environment.GetEnvironmentVariable(InlineCompletionsVariable) is null)
            {
                Environment.SetEnvironmentVariable(InlineCompletionsVariable, "1");
            }

            builder.WebHost.UseSockets(static o => o.UnsafePreferInlineScheduling = true);
        }

        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Listen(adminIp!, adminPort);
            k.AddServerHeader = false;
            k.Limits.MaxRequestBodySize = beamOptions.MaxBodyBytes;
            k.Limits.KeepAliveTimeout = TimeSpan.FromSeconds(beamOptions.KeepAliveSeconds);
            k.Limits.RequestHeadersTimeout = TimeSpan.FromSeconds(beamOptions.RequestHeadersTimeoutSeconds);
            k.Limits.MaxConcurrentConnections = beamOptions.MaxConnections;
            k.Limits.MaxConcurrentUpgradedConnections = beamOptions.MaxConnections;
            if (beamOptions.HttpPort != 0)
            {
                ListenRelay(k, new System.Net.IPEndPoint(listen, beamOptions.HttpPort), beamOptions, website: false);
            }

            if (beamOptions.WebsitePort != 0)
            {
                ListenRelay(k, new System.Net.IPEndPoint(listen, beamOptions.WebsitePort), beamOptions, website: true);
            }

            if (beamOptions.HttpsPort != 0)
            {
                using var serverCertificate = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPemFile(beamOptions.TlsCertificateFile!, beamOptions.TlsKeyFile);
                k.Listen(listen, beamOptions.HttpsPort, l => l.UseHttps(new Microsoft.AspNetCore.Server.Kestrel.Https.HttpsConnectionAdapterOptions
                {
                    ServerCertificate = System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadPkcs12(
                        serverCertificate.Export(System.Security.Cryptography.X509Certificates.X509ContentType.Pkcs12), null),
                    ClientCertificateMode = Microsoft.AspNetCore.Server.Kestrel.Https.ClientCertificateMode.RequireCertificate,

                    // Any certificate may complete the handshake: the entry point then pins it by thumbprint in the
                    // registry, or accepts its subject only if it chains to the device CA (ClientCaFile). An unknown
                    // certificate is refused there with 403, which a device can read, rather than a bare TLS alert.
                    ClientCertificateValidation = static (_, _, _) => true,
                }));
            }

            // An out-of-range port is left to the LPWA options validator, which names the setting.
            if (lpwaPort is > 0 and <= 65535)
            {
                k.Listen(listen, lpwaPort);
            }

            if (beamOptions.UnifiedPort != 0)
            {
                k.Listen(listen, beamOptions.UnifiedPort, l => l.UseConnectionHandler<TcpToHttpConnectionHandler>());
            }

            if (beamOptions.TcpPort != 0)
            {
                k.Listen(listen, beamOptions.TcpPort, l => l.UseConnectionHandler<TcpRelayConnectionHandler>());
            }

            if (beamOptions.MqttPort != 0)
            {
                k.Listen(listen, beamOptions.MqttPort, l => l.UseConnectionHandler<MqttConnectionHandler>());
            }
        });
        var app = builder.Build();

        // Device ports are served before routing ever reaches the admin API, so no admin route answers on them.
        var http = app.Services.GetRequiredService<BeamHttpEntryPoint>();
        app.MapWhen(c => c.Connection.LocalPort == beamOptions.HttpPort && beamOptions.HttpPort != 0, b => b.Run(http.HandleHttpAsync));
        app.MapWhen(c => c.Connection.LocalPort == beamOptions.HttpsPort && beamOptions.HttpsPort != 0, b => b.Run(http.HandleHttpAsync));
        app.MapWhen(c => c.Connection.LocalPort == beamOptions.WebsitePort && beamOptions.WebsitePort != 0, b =>
        {
            b.UseWebSockets(new WebSocketOptions { KeepAliveInterval = TimeSpan.FromSeconds(30) });
            b.Run(http.HandleWebsiteAsync);
        });
        app.MapWhen(c => c.Connection.LocalPort == lpwaPort && lpwaPort != 0, static b => b.UseLpwaIngestion());

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
        app.MapGet("/healthz", () => started.IsCancellationRequested ? Results.Text("ok\n") : Results.Text("starting\n", statusCode: StatusCodes.Status503ServiceUnavailable));
        app.MapAdminApi();
        try
        {
            await app.RunAsync(cancellationToken);
        }
        catch (RegistryLoadException e)
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

    /// <summary>
    /// Puts the byte-level relay in front of Kestrel's HTTP layer on a device port (unless turned off): it serves
    /// the plain requests itself and leaves the rest of a connection to Kestrel and <see cref="BeamHttpEntryPoint"/>.
    /// </summary>
    /// <summary>
    /// An HTTP or website port: on the relay's event loops (Kestrel sees only the connections handed to it), or
    /// with the relay as a connection middleware on Kestrel's socket transport, or plain Kestrel.
    /// </summary>
    private static void ListenRelay(Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions kestrel, System.Net.IPEndPoint address, BeamOptions options, bool website)
    {
        if (UsesEventLoops(options))
        {
            kestrel.Listen(new Gateway.Beam.Relay.Loop.LoopEndPoint(address, website));
        }
        else if (options.DirectRelay)
        {
            kestrel.Listen(address, listen =>
                listen.Use(next => listen.ApplicationServices.GetRequiredService<Gateway.Beam.Relay.HttpRelay>().Middleware(website)(next)));
        }
        else
        {
            kestrel.Listen(address);
        }
    }

    private static bool UsesEventLoops(BeamOptions options) =>
        options.DirectRelay && options.EventLoopRelay && Gateway.Beam.Relay.Loop.Native.IsSupported;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Generated the root auth key {AuthKeyId}; its secret is in {File} (readable by this user only).")]
    private static partial void LogRootKeyGenerated(ILogger logger, string authKeyId, string file);
}
