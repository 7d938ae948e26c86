using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Confluent.Kafka;
using Gateway.Adapters.Kafka;

namespace Gateway.Adapters.Tests.Kafka;

/// <summary>The test peer itself, and the native library everything here runs on.</summary>
public sealed class KafkaMockTests
{
    [Fact]
    public async Task The_mock_listens_on_loopback_only()
    {
        await using var mock = await MockKafka.StartAsync();
        Assert.StartsWith("127.0.0.1:", mock.Bootstrap, StringComparison.Ordinal);
        var port = int.Parse(mock.Bootstrap[10..], System.Globalization.CultureInfo.InvariantCulture);
        var others = NetworkInterface.GetAllNetworkInterfaces()
            .SelectMany(i => i.GetIPProperties().UnicastAddresses)
            .Select(a => a.Address)
            .Where(a => a.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a))
            .ToList();
        foreach (var address in others)
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            var e = await Assert.ThrowsAsync<SocketException>(() => socket.ConnectAsync(address, port, TestContext.Current.CancellationToken).AsTask());
            Assert.Equal(SocketError.ConnectionRefused, e.SocketErrorCode);
        }
    }

    [Fact]
    public async Task The_mock_on_a_chosen_port_answers_commands()
    {
        var port = MockKafka.FreePort();
        await using var mock = await MockKafka.StartAsync(port);
        Assert.Equal($"127.0.0.1:{port}", mock.Bootstrap);
        Assert.Equal("ok", await mock.CommandAsync("topic made 2"));
        Assert.StartsWith("error:", await mock.CommandAsync("nonsense"), StringComparison.Ordinal);
        KafkaNativeLibrary.Pin();
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = mock.Bootstrap }).Build();
        var topic = admin.GetMetadata("made", TimeSpan.FromSeconds(30)).Topics.Single();
        Assert.Equal(2, topic.Partitions.Count);
        Assert.All(admin.GetMetadata(TimeSpan.FromSeconds(30)).Brokers, b => Assert.Equal(port, b.Port));
    }

    [Fact]
    public void The_resolver_answers_librdkafka_with_the_bundled_library()
    {
        KafkaNativeLibrary.Pin();
        var bundled = KafkaNativeLibrary.Load();
        Assert.True(NativeLibrary.TryGetExport(bundled, "rd_kafka_mock_cluster_bootstraps", out _));
        // Without a system librdkafka here this passes unpinned too; README.md records the check with Debian's 2.0.2.
        Assert.Equal("2.16.0", Library.VersionString);
    }
}
