using Gateway.Tests.Infrastructure;
using Npgsql;

namespace Gateway.Tests.Failure;

/// <summary>
/// Harvest in <c>queued</c> mode with its store in PostgreSQL (trait <c>Category=Failure</c>;
/// <c>tests/failure/run.sh</c>): the real gateway binary is killed with SIGKILL while three devices write, and started
/// again on the same data directory; every message a device was answered <c>201</c> for must then be a row in
/// <c>harvest_entries</c>. Redelivery cannot show as a duplicate here: a second write at the same time for the same
/// resource replaces the first, as SORACOM documents, so the rows are counted by payload.
/// </summary>
[Trait("Category", "Failure")]
[Collection(OutageTests.Name)]
public sealed class HarvestKillTests(PostgresServer postgres, ITestOutputHelper output)
{
    private const string ImsiPrefix = "44010123456723";
    private static readonly string[] s_devices = ["127.0.0.231", "127.0.0.232", "127.0.0.233"];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Kill_9_mid_load_with_queued_Harvest_on_PostgreSQL_then_restart_loses_nothing_acknowledged()
    {
        var store = await postgres.CreateDatabaseAsync();
        await using var gateway = new GatewayChild();
        var subscribers = string.Join(",", s_devices.Select(static (d, i) => $$"""{ "imsi": "{{ImsiPrefix}}{{i}}", "groupId": "g-h", "ipAddress": "{{d}}" }"""));
        var seedPath = Path.Combine(gateway.DataDir, "seed.json");
        await File.WriteAllTextAsync(seedPath, $$"""
            { "groups": [ { "groupId": "g-h", "configuration": { "SoracomHarvest": { "enabled": true, "delivery": "queued" } } } ],
              "subscribers": [ {{subscribers}} ] }
            """, Ct);
        gateway.ExtraArgs = ["--registry", seedPath, "--store", "postgresql", "--store-connection", store,
            "--Gateway:Spool:RetryBaseDelayMilliseconds", "50", "--Gateway:Spool:RetryMaxDelayMilliseconds", "500"];
        await gateway.StartAsync(Ct);

        using var stop = new CancellationTokenSource();
        var devices = LoadRun.Devices(s_devices, gateway.UnifiedPort, "h");
        var load = LoadRun.Start(devices, stop.Token);
        await Task.Delay(3000, Ct);
        await gateway.KillAsync();
        await stop.CancelAsync();
        await Task.WhenAll(load);
        var acknowledged = LoadRun.Acknowledged(devices);
        Assert.True(acknowledged.Count > 50, $"only {acknowledged.Count} acknowledged before the kill");

        await gateway.StartAsync(Ct);
        var got = await LoadRun.AwaitAllAsync(acknowledged, () => RowsAsync(store), Ct);
        LoadRun.Report(output, "kill -9, Harvest on PostgreSQL", acknowledged, got, devices);
        output.WriteLine(gateway.Output.FirstOrDefault(static l => l.Contains("left by the last run", StringComparison.Ordinal))
            ?? "the spool was empty at the kill: every acknowledged entry had been written before it");
    }

    /// <summary>Every stored entry as (resource and time, the device's payload): UDP text is stored as Base64.</summary>
    private static async Task<List<(string Id, string Payload)>> RowsAsync(string store)
    {
        await using var connection = new NpgsqlConnection(store);
        await connection.OpenAsync(Ct);
        await using var command = new NpgsqlCommand("SELECT resource_id, time, content_type, content FROM harvest_entries", connection);
        await using var reader = await command.ExecuteReaderAsync(Ct);
        var rows = new List<(string, string)>();
        while (await reader.ReadAsync(Ct))
        {
            var content = reader.GetString(3);
            var payload = reader.GetString(2) == "application/octet-stream" ? System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(content)) : content;
            rows.Add(($"{reader.GetString(0)}@{reader.GetInt64(1)}", payload));
        }

        return rows;
    }
}
