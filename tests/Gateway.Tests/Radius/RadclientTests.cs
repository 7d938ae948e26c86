using System.Net;
using Gateway.Radius;

namespace Gateway.Tests.Radius;

/// <summary>The listener against the real peer: Debian's radclient, with its own dictionary (dictionary.3gpp) and MD5.</summary>
[Collection(RadiusMeterTests.Name)]
public sealed class RadclientTests : IAsyncLifetime
{
    private const string Device = """Framed-IP-Address = 127.0.0.5, Calling-Station-Id = "819012345678", 3GPP-IMSI = "440101234567890", 3GPP-IMEISV = "3534900612345601", Acct-Session-Id = "0a0b0c0d", NAS-Identifier = "pgw-test", NAS-IP-Address = 127.0.0.1, User-Name = "sora", Event-Timestamp = 1700000000 """;
    private RadiusTestServer _server = null!;

    public async ValueTask InitializeAsync() => _server = await RadiusTestServer.StartAsync();

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    [Theory]
    [InlineData("Start", 1)]
    [InlineData("Interim-Update", 3)]
    [InlineData("Stop", 2)]
    public async Task An_accounting_request_reaches_the_sink_and_radclient_gets_its_response(string status, uint expected)
    {
        var result = await Radclient.AccountingAsync(_server.Port, RadiusTestServer.Secret, $"Acct-Status-Type = {status}, {Device}");

        Assert.True(result.ExitCode == 0, result.Output);
        Assert.Contains("Received Accounting-Response", result.Output, StringComparison.Ordinal);
        var e = Assert.Single(_server.Sink.Calls);
        Assert.Equal((AcctStatusType)expected, e.StatusType);
        Assert.Equal(IPAddress.Parse("127.0.0.5"), e.FramedIpAddress);
        Assert.Equal("819012345678", e.Msisdn);
        Assert.Equal("440101234567890", e.Imsi);
        Assert.Equal("3534900612345601", e.Imeisv);
        Assert.Equal("353490061234569", e.Imei);
        Assert.Equal("0a0b0c0d", e.SessionId);
        Assert.Equal("pgw-test", e.NasIdentifier);
        Assert.Equal(IPAddress.Loopback, e.NasIpAddress);
        Assert.Equal("sora", e.UserName);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1_700_000_000), e.EventTimestamp);
        Assert.Equal(IPAddress.Loopback, e.Client.Address);
        Assert.Equal(1, _server.Count(RadiusMetrics.Ok));
    }

    [Fact]
    public async Task Accounting_on_from_a_restarted_nas_is_recorded()
    {
        var result = await Radclient.AccountingAsync(_server.Port, RadiusTestServer.Secret, """Acct-Status-Type = Accounting-On, NAS-Identifier = "pgw-test" """);

        Assert.True(result.ExitCode == 0, result.Output);
        var e = Assert.Single(_server.Sink.Calls);
        Assert.Equal(AcctStatusType.AccountingOn, e.StatusType);
        Assert.Null(e.FramedIpAddress);
        Assert.Null(e.Imsi);
    }

    [Fact]
    public async Task A_wrong_secret_gets_no_response_and_nothing_is_recorded()
    {
        var result = await Radclient.AccountingAsync(_server.Port, "not-the-secret", $"Acct-Status-Type = Start, {Device}", timeoutSeconds: 1);

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("No reply", result.Output, StringComparison.Ordinal);
        Assert.Empty(_server.Sink.Calls);
        Assert.Equal(1, _server.Count(RadiusMetrics.BadAuthenticator));
    }

    [Fact]
    public async Task When_the_sink_cannot_record_radclient_gets_no_response()
    {
        _server.Sink.Answer = static (_, _) => ValueTask.FromResult(false);

        var result = await Radclient.AccountingAsync(_server.Port, RadiusTestServer.Secret, $"Acct-Status-Type = Start, {Device}", timeoutSeconds: 1);

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("No reply", result.Output, StringComparison.Ordinal);
        Assert.NotEmpty(_server.Sink.Calls);
        Assert.True(_server.Count(RadiusMetrics.SinkFailed) >= 1);
        Assert.Equal(0, _server.Count(RadiusMetrics.Ok));
    }
}
