using MySqlConnector;
using Tributary.TestKit;

namespace Tributary.Enrich.Tests;

/// <summary>
/// The MariaDB primary of <c>.ci/services/mariadb.sh</c> (the <c>TRIBUTARY_MYSQL_*</c> variables of <c>./build.sh test</c>,
/// or started here once per process), and a fresh database per test owned by the application user.
/// </summary>
internal static class MariaDb
{
    private static readonly Lazy<IReadOnlyDictionary<string, string>> Env = new(() => ServiceProcess.Shared("mariadb", "TRIBUTARY_MYSQL_PRIMARY", "TRIBUTARY_MYSQL_"));

    public const string PasswordEnv = "TRIBUTARY_MYSQL_PASSWORD";

    /// <summary>A connection string without the password (as configuration carries it), for database <paramref name="database"/>.</summary>
    public static string ConnectionString(string database)
    {
        var env = Env.Value;
        var primary = env["TRIBUTARY_MYSQL_PRIMARY"];
        var colon = primary.LastIndexOf(':');
        return new MySqlConnectionStringBuilder
        {
            Server = primary[..colon],
            Port = uint.Parse(primary[(colon + 1)..], System.Globalization.CultureInfo.InvariantCulture),
            UserID = env.GetValueOrDefault("TRIBUTARY_MYSQL_APP_USER", "tributary_app"),
            Database = database,
            Pooling = false,
        }.ConnectionString;
    }

    /// <summary>The same with the password, for the test's own statements.</summary>
    public static string WithPassword(string connectionString)
        => new MySqlConnectionStringBuilder(connectionString) { Password = Env.Value[PasswordEnv] }.ConnectionString;

    /// <summary>Creates an empty database <c>tributary_enrich_*</c>, dropped when the result is disposed.</summary>
    public static async Task<TestDatabase> CreateDatabaseAsync()
    {
        var name = "tributary_enrich_" + Guid.NewGuid().ToString("N")[..12];
        await ExecuteAsync(ConnectionString(""), $"CREATE DATABASE `{name}`");
        // the environment variable the pipeline reads the password from (PasswordEnv)
        Environment.SetEnvironmentVariable(PasswordEnv, Env.Value[PasswordEnv]);
        return new TestDatabase(name, ConnectionString(name));
    }

    public static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new MySqlConnection(WithPassword(connectionString));
        await connection.OpenAsync();
        await using var command = new MySqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}

/// <summary>A scratch database: its password-less connection string, dropped on dispose.</summary>
internal sealed record TestDatabase(string Name, string ConnectionString) : IAsyncDisposable
{
    public static implicit operator string(TestDatabase db) => db.ConnectionString;

    public async ValueTask DisposeAsync() => await MariaDb.ExecuteAsync(MariaDb.ConnectionString(""), $"DROP DATABASE IF EXISTS `{Name}`");
}
