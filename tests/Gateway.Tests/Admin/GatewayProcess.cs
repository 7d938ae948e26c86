using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Gateway.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Gateway.Tests.Admin;

/// <summary>The whole gateway host running in-process on a free loopback port with its own data directory.</summary>
internal sealed class GatewayProcess : IAsyncDisposable
{
    public const string RootKeyId = "keyId-root";
    public const string RootKey = "secret-root-0123456789abcdef";

    private readonly CancellationTokenSource _stop = new();
    private Task<int>? _run;

    public string DataDir { get; } = Directory.CreateTempSubdirectory("gw-admin-").FullName;

    public int Port { get; private set; } = FreePort();

    public int HttpPort { get; private set; } = FreePort();

    public int WebsitePort { get; private set; } = FreePort();

    public int UnifiedPort { get; private set; } = FreeUdpAndTcpPort();

    public int TcpPort { get; private set; } = FreePort();

    public int MqttPort { get; private set; } = FreePort();

    /// <summary>The HTTP device services listener (Host-routed Funnel/unified, MQTT over WebSocket at /mqtt).</summary>
    public int DeviceHttpPort { get; private set; } = FreePort();

    /// <summary>MQTT into the message pipeline.</summary>
    public int MqttPipelinePort { get; private set; } = FreePort();

    /// <summary>Extra services for the host (a recording device service), registered before it is built.</summary>
    public Action<IServiceCollection>? ConfigureServices { get; init; }

    /// <summary>The running gateway's services (the last start's), e.g. its <c>IMeterFactory</c> to scope a meter listener to it.</summary>
    public IServiceProvider Services { get; private set; } = null!;

    /// <summary>A free port for the HTTPS device listener; pass <c>{https-port}</c> in the extra arguments to use it.</summary>
    public int HttpsPort { get; private set; } = FreePort();

    /// <summary>Run the LPWA listener too, on <see cref="LpwaPort"/> (a free port, chosen again on a retry).</summary>
    public bool WithLpwa { get; init; }

    /// <summary>Leaves the first-start demo registry on (tests start empty otherwise, as they always did).</summary>
    public bool Demo { get; init; }

    /// <summary>The LPWA listener's port once started with <see cref="WithLpwa"/>; 0 otherwise.</summary>
    public int LpwaPort { get; private set; }

    public HttpClient Client { get; } = new();

    public Uri Url(string path) => new($"http://127.0.0.1:{Port}{path}");

    public async Task StartAsync(params string[] extraArgs)
    {
        // A port found free can be taken by a parallel test before the gateway binds it: then try fresh ports.
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await StartOnceAsync(extraArgs);
                return;
            }
            catch (IOException e) when (attempt < 4 && e.Message.Contains("address already in use", StringComparison.OrdinalIgnoreCase))
            {
                (Port, HttpPort, WebsitePort, UnifiedPort, TcpPort) = (FreePort(), FreePort(), FreePort(), FreeUdpAndTcpPort(), FreePort());
                LpwaPort = 0;
                HttpsPort = FreePort();
                MqttPort = FreePort();
                (DeviceHttpPort, MqttPipelinePort) = (FreePort(), FreePort());
            }
        }
    }

    private async Task StartOnceAsync(string[] extraArgs)
    {
        if (WithLpwa && LpwaPort == 0)
        {
            LpwaPort = FreePort();
        }

        string[] args =
        [
            "--admin-port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--data-dir", DataDir,
            "--root-auth-key-id", RootKeyId,
            "--root-auth-key", RootKey,
            "--Logging:LogLevel:Default", "Warning",
            .. (string[])(Demo ? [] : ["--no-demo"]),
            "--listen-address", "127.0.0.1",
            "--http-port", HttpPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--website-port", WebsitePort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--unified-port", UnifiedPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--tcp-port", TcpPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--mqtt-port", MqttPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--device-http-port", DeviceHttpPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--mqtt-pipeline-port", MqttPipelinePort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            .. (string[])(WithLpwa ? ["--lpwa-port", LpwaPort.ToString(System.Globalization.CultureInfo.InvariantCulture)] : []),
            .. extraArgs.Select(a => a.Replace("{https-port}", HttpsPort.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal)),
        ];
        _run = GatewayHost.RunAsync(args, _stop.Token, services =>
        {
            ConfigureServices?.Invoke(services);
            services.AddSingleton<IHostedService>(provider => new ServicesCapture(this, provider));
        });
        for (var i = 0; i < 200; i++)
        {
            if (_run.IsCompleted)
            {
                // A bind failure surfaces as the IOException StartAsync retries on.
                throw new InvalidOperationException($"gateway exited with {await _run}");
            }

            try
            {
                if ((await Client.GetAsync(Url("/healthz"))).IsSuccessStatusCode)
                {
                    await AllListenersBoundAsync();
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(50);
        }

        throw new TimeoutException("gateway did not start");
    }

    /// <summary>
    /// Kestrel accepts on each endpoint as soon as it is bound, so the admin port can answer while a later port's bind
    /// still fails (a parallel test took it) and stops the host. The host's "started" signal comes after every bind:
    /// wait for it, and let a bind failure surface as the IOException <see cref="StartAsync"/> retries on.
    /// </summary>
    private async Task AllListenersBoundAsync()
    {
        CancellationToken started;
        try
        {
            started = Services?.GetService<IHostApplicationLifetime>()?.ApplicationStarted ?? new CancellationToken(canceled: true);
        }
        catch (ObjectDisposedException)
        {
            // The bind failed between the health check and here, and the host has already shut down: its outcome
            // (the bind's IOException) is what the caller retries on.
            await _run!;
            throw new InvalidOperationException("gateway exited while starting");
        }

        var signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using (started.Register(static s => ((TaskCompletionSource)s!).TrySetResult(), signal))
        {
            await Task.WhenAny(signal.Task, _run!, Task.Delay(TimeSpan.FromSeconds(30)));
        }

        if (_run!.IsCompleted && !signal.Task.IsCompleted)
        {
            await _run;
            throw new InvalidOperationException("gateway exited while starting");
        }
    }

    public async Task<HttpClient> LoginAsync(string keyId = RootKeyId, string key = RootKey)
    {
        var response = await Client.PostAsJsonAsync(Url("/v1/auth"), new { authKeyId = keyId, authKey = key });
        response.EnsureSuccessStatusCode();
        var body = await response.Content.ReadFromJsonAsync<JsonObject>();
        var client = new HttpClient();
        client.DefaultRequestHeaders.Add("X-Soracom-API-Key", (string)body!["apiKey"]!);
        client.DefaultRequestHeaders.Add("X-Soracom-Token", (string)body["token"]!);
        return client;
    }

    /// <summary>Stops the gateway and keeps its data directory (for a next start on it, as a restart would).</summary>
    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        if (_run is not null)
        {
            try
            {
                await _run;
            }
            catch (OperationCanceledException)
            {
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        Client.Dispose();
        _stop.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(DataDir, recursive: true);
    }

    private static readonly List<Socket> s_closedPorts = [];

    /// <summary>
    /// A port where nothing listens and nothing else can: a socket is bound to it (kept for the whole run) but never
    /// listens, so connecting is refused every time, whatever other tests bind meanwhile.
    /// </summary>
    internal static int ClosedPort()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        lock (s_closedPorts)
        {
            s_closedPorts.Add(socket);
        }

        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }

    /// <summary>A port free for both TCP and UDP, as the unified entry point needs.</summary>
    internal static int FreeUdpAndTcpPort()
    {
        for (var i = 0; i < 50; i++)
        {
            var port = FreePort();
            try
            {
                using var udp = new UdpClient(new IPEndPoint(IPAddress.Loopback, port));
                return port;
            }
            catch (SocketException)
            {
            }
        }

        throw new InvalidOperationException("no port free for both TCP and UDP");
    }

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<int, bool> s_handedOut = new();

    /// <summary>
    /// A port free right now and never handed out before in this test run, so one gateway never gets the same port
    /// twice (the operating system may offer a just-released port again).
    /// </summary>
    internal static int FreePort()
    {
        while (true)
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            var port = ((IPEndPoint)listener.LocalEndpoint).Port;
            if (s_handedOut.TryAdd(port, true))
            {
                return port;
            }
        }
    }

    /// <summary>Takes the host's service provider as the host starts its services, before the gateway answers.</summary>
    private sealed class ServicesCapture : IHostedService
    {
        public ServicesCapture(GatewayProcess owner, IServiceProvider services) => owner.Services = services;

        public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
