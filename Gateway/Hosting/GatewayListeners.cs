using System.Net;
using System.Security.Cryptography.X509Certificates;
using Gateway.Beam;
using Gateway.Beam.Mqtt;
using Gateway.Beam.Relay;
using Gateway.Beam.Relay.Loop;
using Gateway.Devices;
using Gateway.ProxyProtocol;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;

namespace Gateway.Hosting;

/// <summary>The process's listeners on Kestrel: the admin port, then each device port that is turned on, with its protocol.</summary>
internal static class GatewayListeners
{
    public static void Configure(KestrelServerOptions k, GatewaySettings settings)
    {
        var beam = settings.Beam;
        var listen = IPAddress.Parse(beam.ListenAddress);
        var logger = k.ApplicationServices.GetRequiredService<ILoggerFactory>().CreateLogger("Gateway.Hosting.Listeners");
        // Gateway:Beam:MaxConnections is counted by the guard, per listener as Kestrel counts it, not by Kestrel
        // (Limits.MaxConcurrentConnections stays unset): Kestrel's count costs every idle connection more memory
        // (ConnectionCeiling).
        k.ConfigureEndpointDefaults(l => DescriptorBudget.Guard(l, logger, new ConnectionCeiling(beam.MaxConnections, logger)));
        k.Listen(settings.AdminAddress, settings.AdminPort);
        k.AddServerHeader = false;

        // Content-Length must be digits only (Kestrel alone would take "+5"): see ContentLengthDigits.
        k.RequestHeaderEncodingSelector = ContentLengthDigits.Select;
        k.Limits.MaxRequestBodySize = beam.MaxBodyBytes;
        k.Limits.KeepAliveTimeout = TimeSpan.FromSeconds(beam.KeepAliveSeconds);
        k.Limits.RequestHeadersTimeout = TimeSpan.FromSeconds(beam.RequestHeadersTimeoutSeconds);
        k.Limits.MaxConcurrentUpgradedConnections = beam.MaxConnections;
        if (beam.HttpPort != 0)
        {
            ListenRelay(k, new IPEndPoint(listen, beam.HttpPort), beam, website: false);
        }

        if (beam.WebsitePort != 0)
        {
            ListenRelay(k, new IPEndPoint(listen, beam.WebsitePort), beam, website: true);
        }

        if (beam.HttpsPort != 0)
        {
            ListenHttps(k, listen, beam);
        }

        // An out-of-range port is left to the LPWA options validator, which names the setting.
        if (settings.LpwaPort is > 0 and <= 65535)
        {
            k.Listen(listen, settings.LpwaPort);
        }

        if (beam.UnifiedPort != 0)
        {
            k.Listen(listen, beam.UnifiedPort, l => l.UseProxyProtocol("unified").UseConnectionHandler<TcpToHttpConnectionHandler>());
            foreach (var address in beam.UnifiedServiceAddresses.Values)
            {
                // The handler tells the service by the address a connection arrived on.
                k.Listen(IPAddress.Parse(address), beam.UnifiedPort, l => l.UseProxyProtocol("unified").UseConnectionHandler<TcpToHttpConnectionHandler>());
            }
        }

        if (beam.HarvestPort != 0)
        {
            // The unified port's handler: it sends what arrives on this port to Harvest alone (UnifiedAddresses).
            k.Listen(listen, beam.HarvestPort, l => l.UseProxyProtocol("harvest").UseConnectionHandler<TcpToHttpConnectionHandler>());
        }

        if (beam.TcpPort != 0)
        {
            k.Listen(listen, beam.TcpPort, l => l.UseProxyProtocol(TcpRelayConnectionHandler.Name).UseConnectionHandler<TcpRelayConnectionHandler>());
        }

        if (beam.MqttPort != 0)
        {
            k.Listen(listen, beam.MqttPort, l => l.UseProxyProtocol(MqttConnectionHandler.Name).UseConnectionHandler<MqttConnectionHandler>());
        }

        k.ListenDeviceEndpoints(listen, settings.Devices);
    }

    /// <summary>The HTTPS device port: a client certificate is required, and judged by the entry point rather than the handshake.</summary>
    private static void ListenHttps(KestrelServerOptions k, IPAddress listen, BeamOptions beam)
    {
        using var serverCertificate = X509Certificate2.CreateFromPemFile(beam.TlsCertificateFile!, beam.TlsKeyFile);
        k.Listen(listen, beam.HttpsPort, l => l.UseProxyProtocol("https").UseHttps(new HttpsConnectionAdapterOptions
        {
            ServerCertificate = X509CertificateLoader.LoadPkcs12(serverCertificate.Export(X509ContentType.Pkcs12), null),
            ClientCertificateMode = ClientCertificateMode.RequireCertificate,

            // Any certificate may complete the handshake: the entry point then pins it by thumbprint in the
            // registry, or accepts its subject only if it chains to the device CA (ClientCaFile). An unknown
            // certificate is refused there with 403, which a device can read, rather than a bare TLS alert.
            ClientCertificateValidation = static (_, _, _) => true,
        }));
    }

    /// <summary>
    /// An HTTP or website port: on the relay's event loops (Kestrel sees only the connections handed to it), or
    /// with the relay as a connection middleware on Kestrel's socket transport, or plain Kestrel.
    /// </summary>
    private static void ListenRelay(KestrelServerOptions kestrel, IPEndPoint address, BeamOptions options, bool website)
    {
        // On the event loops the listener reads the PROXY header itself (LoopListener); elsewhere the gate goes first.
        var name = website ? BeamHttpEntryPoint.WebsiteName : BeamHttpEntryPoint.HttpName;
        if (BeamServiceCollectionExtensions.UsesEventLoops(options))
        {
            kestrel.Listen(new LoopEndPoint(address, website));
        }
        else if (options.DirectRelay)
        {
            kestrel.Listen(address, listen =>
                listen.UseProxyProtocol(name).Use(next => listen.ApplicationServices.GetRequiredService<HttpRelay>().Middleware(website)(next)));
        }
        else
        {
            kestrel.Listen(address, listen => listen.UseProxyProtocol(name));
        }
    }
}
