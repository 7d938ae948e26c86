using System.Globalization;
using Gateway.Tests.Admin;
using Gateway.Tests.Radius;

namespace Gateway.Tests.Beam;

/// <summary>
/// RADIUS accounting from Debian's radclient binds an address to a SIM in the running gateway; a device at that
/// address is then recognised (with the IMEI the session reported) until Stop unbinds it.
/// </summary>
public sealed class RadiusBindingTests : IAsyncLifetime
{
    private const string Secret = "radius-secret";
    private readonly GatewayProcess _gateway = new();
    private readonly int _radiusPort = GatewayProcess.FreeUdpAndTcpPort();
    private RecordingUpstream _upstream = null!;

    public async ValueTask InitializeAsync()
    {
        _upstream = await RecordingUpstream.StartAsync();
        var seed = $$"""
            { "groups": [ { "groupId": "g-apn", "configuration": { "SoracomBeam": {
                  "http://beam.soracom.io:8888/": { "destination": "{{_upstream.BaseUri}}in", "addSubscriberHeader": true, "addEquipmentHeader": true, "addMsisdnHeader": true } } } } ],
              "subscribers": [ { "imsi": "440101234567061", "groupId": "g-apn", "imeiLock": { "imei": "353490061234569" } } ] }
            """;
        var path = Path.Combine(_gateway.DataDir, "seed.json");
        await File.WriteAllTextAsync(path, seed, TestContext.Current.CancellationToken);
        await _gateway.StartAsync(
            "--registry", path,
            "--Gateway:Radius:Enabled", "true",
            "--radius-listen", $"127.0.0.1:{_radiusPort.ToString(CultureInfo.InvariantCulture)}",
            "--Gateway:Radius:Clients:0:Address", "127.0.0.1",
            "--Gateway:Radius:Clients:0:Secret", Secret,
            "--Gateway:Radius:AutoRegisterGroupId", "g-apn");
    }

    public async ValueTask DisposeAsync()
    {
        await _gateway.DisposeAsync();
        await _upstream.DisposeAsync();
    }

    private Task<Radclient.Result> AccountAsync(string status, string ip, string imsi, string imeisv, string secret = Secret) =>
        Radclient.AccountingAsync(_radiusPort, secret, $"""Acct-Status-Type = {status}, Framed-IP-Address = {ip}, Calling-Station-Id = "819012345678", 3GPP-IMSI = "{imsi}", 3GPP-IMEISV = "{imeisv}", Acct-Session-Id = "s1" """);

    private string Http => $"http://127.0.0.1:{_gateway.HttpPort}/";

    [Fact]
    public async Task Start_binds_the_address_and_stop_unbinds_it()
    {
        Assert.Equal(403, (await Curl.RunAsync("127.0.0.61", Http)).Status);

        var start = await AccountAsync("Start", "127.0.0.61", "440101234567061", "3534900612345691");
        Assert.True(start.ExitCode == 0, start.Output);

        Assert.Equal(200, (await Curl.RunAsync("127.0.0.61", Http)).Status);
        var r = _upstream.Single();
        Assert.Equal("440101234567061", r.Headers["x-soracom-imsi"]);
        Assert.Equal("353490061234569", r.Headers["x-soracom-imei"]);

        var stop = await AccountAsync("Stop", "127.0.0.61", "440101234567061", "3534900612345691");
        Assert.True(stop.ExitCode == 0, stop.Output);
        Assert.Equal(403, (await Curl.RunAsync("127.0.0.61", Http)).Status);
    }

    [Fact]
    public async Task Session_reporting_another_imei_is_refused_by_the_imei_lock()
    {
        Assert.Equal(0, (await AccountAsync("Start", "127.0.0.62", "440101234567061", "3534900699999901")).ExitCode);
        var (status, _, _) = await Curl.RunAsync("127.0.0.62", Http);
        Assert.Equal(403, status);
        Assert.Empty(_upstream.Requests);
    }

    [Fact]
    public async Task Unknown_imsi_is_auto_registered_into_the_default_group()
    {
        Assert.Equal(0, (await AccountAsync("Start", "127.0.0.63", "440101234567063", "3534900612345691")).ExitCode);
        Assert.Equal(200, (await Curl.RunAsync("127.0.0.63", Http)).Status);
        Assert.Equal("440101234567063", _upstream.Single().Headers["x-soracom-imsi"]);

        using var admin = await _gateway.LoginAsync();
        var subscriber = await admin.GetStringAsync(_gateway.Url("/v1/subscribers/440101234567063"), TestContext.Current.CancellationToken);
        Assert.Contains("\"groupId\":\"g-apn\"", subscriber, StringComparison.Ordinal);
        Assert.Contains("\"msisdn\":\"819012345678\"", subscriber, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Wrong_secret_is_never_answered_and_binds_nothing()
    {
        var result = await Radclient.AccountingAsync(_radiusPort, "wrong-secret", """Acct-Status-Type = Start, Framed-IP-Address = 127.0.0.64, 3GPP-IMSI = "440101234567061" """, timeoutSeconds: 1);
        Assert.NotEqual(0, result.ExitCode);
        Assert.Equal(403, (await Curl.RunAsync("127.0.0.64", Http)).Status);
    }

    [Fact]
    public async Task Accounting_on_from_the_nas_ends_its_sessions()
    {
        Assert.Equal(0, (await AccountAsync("Start", "127.0.0.65", "440101234567061", "3534900612345601")).ExitCode);
        Assert.Equal(200, (await Curl.RunAsync("127.0.0.65", Http)).Status);
        var on = await Radclient.AccountingAsync(_radiusPort, Secret, "Acct-Status-Type = Accounting-On");
        Assert.True(on.ExitCode == 0, on.Output);
        Assert.Equal(403, (await Curl.RunAsync("127.0.0.65", Http)).Status);
    }
}
