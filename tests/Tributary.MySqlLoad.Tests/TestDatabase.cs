using MySqlConnector;
using Tributary.TestKit;

namespace Tributary.MySqlLoad.Tests;

/// <summary>
/// A throwaway database on the test MariaDB primary (the <c>TRIBUTARY_MYSQL_*</c> variables of <c>./build.sh services</c>,
/// or <c>.ci/services/mariadb.sh</c> started here), owned by the application user; dropped on dispose.
/// </summary>
public sealed class TestDatabase : IAsyncDisposable
{
    private TestDatabase(string name, string connectionString, string adminConnectionString)
    {
        Name = name;
        ConnectionString = connectionString;
        AdminConnectionString = adminConnectionString;
    }

    /// <summary>The database's name (<c>tributary_sqlload_…</c>).</summary>
    public string Name { get; }

    /// <summary>Connection string of the application user, default database <see cref="Name"/>.</summary>
    public string ConnectionString { get; }

    /// <summary>The admin user's connection string (the harness only: reading information_schema.INNODB_TRX needs PROCESS).</summary>
    public string AdminConnectionString { get; }

    public static Task<TestDatabase> CreateAsync()
    {
        var env = ServiceProcess.Shared("mariadb", "TRIBUTARY_MYSQL_PRIMARY", "TRIBUTARY_MYSQL_");
        var primary = env["TRIBUTARY_MYSQL_PRIMARY"].Split(':');
        var builder = new MySqlConnectionStringBuilder
        {
            Server = primary[0],
            Port = uint.Parse(primary[1], System.Globalization.CultureInfo.InvariantCulture),
            UserID = env.GetValueOrDefault("TRIBUTARY_MYSQL_APP_USER", "tributary_app"),
            Password = env["TRIBUTARY_MYSQL_PASSWORD"],
        };
        return CreateAsync(builder.ConnectionString, env.GetValueOrDefault("TRIBUTARY_MYSQL_ADMIN_USER", "tributary_admin"));
    }

    /// <summary>A throwaway database on the server of <paramref name="serverConnectionString"/> (a user that may create
    /// databases), e.g. a server a test owns; <paramref name="adminUser"/> (same password) is the harness's admin.</summary>
    public static async Task<TestDatabase> CreateAsync(string serverConnectionString, string? adminUser = null)
    {
        var name = "tributary_sqlload_" + Guid.NewGuid().ToString("N")[..12];
        var builder = new MySqlConnectionStringBuilder(serverConnectionString);
        await using (var connection = new MySqlConnection(builder.ConnectionString))
        {
            await connection.OpenAsync();
            await using var command = new MySqlCommand($"CREATE DATABASE `{name}`", connection);
            await command.ExecuteNonQueryAsync();
        }

        builder.Database = name;
        var admin = new MySqlConnectionStringBuilder(builder.ConnectionString) { UserID = adminUser ?? builder.UserID };
        return new TestDatabase(name, builder.ConnectionString, admin.ConnectionString);
    }

    public async Task<MySqlConnection> OpenAsync()
    {
        var connection = new MySqlConnection(ConnectionString);
        await connection.OpenAsync();
        return connection;
    }

    public async Task ExecuteAsync(string sql)
    {
        await using var connection = await OpenAsync();
        await using var command = new MySqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    public async Task<long> AdminScalarAsync(string sql)
    {
        await using var connection = new MySqlConnection(AdminConnectionString);
        await connection.OpenAsync();
        await using var command = new MySqlCommand(sql, connection);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    public async Task<List<object?[]>> QueryAsync(string sql)
    {
        await using var connection = await OpenAsync();
        await using var command = new MySqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<object?[]>();
        while (await reader.ReadAsync())
        {
            var row = new object?[reader.FieldCount];
            for (var i = 0; i < row.Length; i++)
            {
                row[i] = reader.IsDBNull(i) ? null : reader.GetValue(i);
            }

            rows.Add(row);
        }

        return rows;
    }

    public async Task<long> ScalarAsync(string sql) => Convert.ToInt64((await QueryAsync(sql))[0][0], System.Globalization.CultureInfo.InvariantCulture);

    public async ValueTask DisposeAsync()
    {
        MySqlConnection.ClearAllPools();
        try
        {
            await ExecuteAsync($"DROP DATABASE IF EXISTS `{Name}`");
        }
        catch (MySqlException)
        {
            // best effort: the server is throwaway
        }
    }
}
