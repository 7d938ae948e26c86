using System.Data.Common;
using Npgsql;

namespace Gateway.Harvest;

/// <summary>
/// The store when the gateway keeps its registry in PostgreSQL (<c>Gateway:Registry:Store = postgresql</c>): the same
/// database, so every instance behind a load balancer writes and reads one time series per resource.
/// </summary>
internal sealed class PostgresHarvestStore(string connectionString) : SqlHarvestStore
{
    private readonly NpgsqlDataSource _dataSource = NpgsqlDataSource.Create(connectionString);

    public override string Name => "postgresql";

    protected override string Schema => """
        CREATE TABLE IF NOT EXISTS harvest_entries (
          resource_type TEXT NOT NULL, resource_id TEXT NOT NULL, time BIGINT NOT NULL, content_type TEXT NOT NULL, content TEXT NOT NULL,
          category TEXT, PRIMARY KEY (resource_type, resource_id, time));
        CREATE INDEX IF NOT EXISTS harvest_entries_time ON harvest_entries (time);
        CREATE TABLE IF NOT EXISTS harvest_resources (
          resource_type TEXT NOT NULL, resource_id TEXT NOT NULL, last_modified BIGINT NOT NULL, attribute_names TEXT NOT NULL,
          PRIMARY KEY (resource_type, resource_id));
        """;

    public override async Task InitializeAsync(CancellationToken cancellationToken)
    {
        try
        {
            await base.InitializeAsync(cancellationToken);
        }
        catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.UniqueViolation or PostgresErrorCodes.DuplicateObject or PostgresErrorCodes.DuplicateColumn)
        {
            // Two instances creating the schema at the same moment: the other one won, which is fine.
        }
    }

    /// <summary>Tables from before categories get the column; both statements are no-ops on a current schema.</summary>
    protected override async Task MigrateAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = "ALTER TABLE harvest_entries ADD COLUMN IF NOT EXISTS category TEXT; " + CategoryIndex;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    protected override async ValueTask<DbConnection> OpenAsync(CancellationToken cancellationToken) => await _dataSource.OpenConnectionAsync(cancellationToken);

    public override ValueTask DisposeAsync() => _dataSource.DisposeAsync();
}
