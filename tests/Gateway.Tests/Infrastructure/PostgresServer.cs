using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

[assembly: AssemblyFixture(typeof(Gateway.Tests.Infrastructure.PostgresServer))]

namespace Gateway.Tests.Infrastructure;

/// <summary>
/// A real PostgreSQL (Debian's package, installed by test.sh) started once per test run in a temporary directory,
/// listening on 127.0.0.1 and a free port, with trust authentication. Each test takes a fresh database.
/// Started lazily, so runs that touch no PostgreSQL test pay nothing.
/// </summary>
public sealed class PostgresServer : IAsyncDisposable
{
    private readonly SemaphoreSlim _startLock = new(1, 1);
    private string? _dir;
    private string? _bin;
    private int _port;

    public async Task<string> CreateDatabaseAsync()
    {
        await EnsureStartedAsync();
        var name = "t_" + Guid.NewGuid().ToString("N");
        await using (var connection = new NpgsqlConnection(ConnectionString("postgres")))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
            await command.ExecuteNonQueryAsync();
        }

        return ConnectionString(name);
    }

    private string ConnectionString(string database) =>
        $"Host=127.0.0.1;Port={_port};Username=postgres;Database={database};Pooling=true;Timeout=10";

    private async Task EnsureStartedAsync()
    {
        await _startLock.WaitAsync();
        try
        {
            if (_dir is not null)
            {
                return;
            }

            _bin = Directory.GetDirectories("/usr/lib/postgresql").OrderByDescending(static d => int.Parse(Path.GetFileName(d), System.Globalization.CultureInfo.InvariantCulture)).Select(static d => Path.Combine(d, "bin")).FirstOrDefault(Directory.Exists)
                ?? throw new InvalidOperationException("PostgreSQL is not installed (apt-get install postgresql; test.sh does this)");
            var dir = Directory.CreateTempSubdirectory("gw-pg-").FullName;
            _port = Admin.GatewayProcess.FreePort();
            if (Environment.UserName == "root")
            {
                await RunAsync("chown", "-R", "postgres:postgres", dir);
            }

            await RunPostgresAsync("initdb", "-D", Path.Combine(dir, "data"), "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8", "--locale", "C");
            await RunPostgresAsync("pg_ctl", "-D", Path.Combine(dir, "data"), "-l", Path.Combine(dir, "log"), "-w", "-t", "60",
                "-o", $"-c listen_addresses=127.0.0.1 -p {_port} -k {dir} -c fsync=off -c synchronous_commit=off -c max_connections=200", "start");
            _dir = dir;
        }
        finally
        {
            _startLock.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_dir is not null)
        {
            NpgsqlConnection.ClearAllPools();
            await RunPostgresAsync("pg_ctl", "-D", Path.Combine(_dir, "data"), "-m", "immediate", "stop");
            Directory.Delete(_dir, recursive: true);
        }

        _startLock.Dispose();
    }

    private Task RunPostgresAsync(string tool, params string[] args) =>
        Environment.UserName == "root"
            ? RunAsync("runuser", ["-u", "postgres", "--", Path.Combine(_bin!, tool), .. args])
            : RunAsync(Path.Combine(_bin!, tool), args);

    private static async Task RunAsync(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = "/tmp" };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} exited {process.ExitCode}: {await stdout}{await stderr}");
        }
    }

}
