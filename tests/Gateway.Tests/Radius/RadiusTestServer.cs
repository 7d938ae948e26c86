using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using Gateway.Radius;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Gateway.Tests.Radius;

/// <summary>An in-process listener on 127.0.0.1, port 0, with a recording sink, and a count of its metric per result.</summary>
internal sealed class RadiusTestServer : IAsyncDisposable
{
    public const string Secret = "testing123";
    private readonly RadiusAccountingListener _listener;
    private readonly MeterListener _meters = new();
    private readonly Dictionary<string, long> _counts = [];

    private RadiusTestServer(RadiusOptions options, ILogger<RadiusAccountingListener>? logger)
    {
        _listener = new RadiusAccountingListener(Options.Create(options), Sink, TimeProvider.System, logger ?? NullLogger<RadiusAccountingListener>.Instance);
        _meters.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == RadiusMetrics.MeterName && instrument.Name == RadiusMetrics.RequestsName)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _meters.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "result")
                {
                    lock (_counts)
                    {
                        _counts[(string)tag.Value!] = _counts.GetValueOrDefault((string)tag.Value!) + value;
                    }
                }
            }
        });
        _meters.Start();
    }

    public RecordingSink Sink { get; } = new();

    public int Port => _listener.LocalEndPoint!.Port;

    public IPEndPoint EndPoint => _listener.LocalEndPoint!;

    public static async Task<RadiusTestServer> StartAsync(Action<RadiusOptions>? configure = null, ILogger<RadiusAccountingListener>? logger = null)
    {
        var options = new RadiusOptions { Enabled = true, Listen = "127.0.0.1:0" };
        options.Clients.Add(new RadiusClientOptions { Address = "127.0.0.1", Secret = Secret });
        configure?.Invoke(options);
        var validation = new RadiusOptionsValidator().Validate(null, options);
        Assert.True(validation.Succeeded, validation.FailureMessage);
        var server = new RadiusTestServer(options, logger);
        await server._listener.StartAsync(TestContext.Current.CancellationToken);
        return server;
    }

    /// <summary>
    /// How many datagrams ended with this result. The meter is process-wide: tests that read it share the
    /// <c>radius</c> collection so that no other listener runs meanwhile.
    /// </summary>
    public long Count(string result)
    {
        lock (_counts)
        {
            return _counts.GetValueOrDefault(result);
        }
    }

    /// <summary>Waits until the count for a result reaches a value, since the listener counts after the datagram is sent.</summary>
    public async Task WaitForCountAsync(string result, long expected)
    {
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (Count(result) < expected && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10, TestContext.Current.CancellationToken);
        }

        Assert.Equal(expected, Count(result));
    }

    /// <summary>A UDP client on a loopback address to talk to the listener with hand-built packets.</summary>
    public static UdpClient Client(string address = "127.0.0.1") => new(new IPEndPoint(IPAddress.Parse(address), 0));

    public async ValueTask DisposeAsync()
    {
        await _listener.StopAsync(CancellationToken.None);
        _listener.Dispose();
        _meters.Dispose();
    }
}
