using System.Globalization;
using MySqlConnector;
using Spectre.Console;
using Tributary.Enrich;
using Tributary.Enrich.Geo;

namespace Tributary.Cli.Commands;

/// <summary>
/// The demo's SQL sink: filter and enrich on (drop hides; country by IP from DB-IP's data, the pin's category from a
/// <c>pins</c> table seeded in the demo's MariaDB, a device map), and the answer it prints at the end.
/// </summary>
internal static class DemoSql
{
    /// <summary>The filter rule's name (the reason filtered events are counted under).</summary>
    public const string FilterRule = "hides";

    /// <summary>The answer printed at the end: the five (country, category) pairs with the most events.</summary>
    public const string TopCountryCategory =
        "SELECT geo_country, pin_category, COUNT(*) AS events, COUNT(DISTINCT user_id) AS users FROM pin_events " +
        "GROUP BY geo_country, pin_category ORDER BY events DESC, geo_country, pin_category LIMIT 5";

    /// <summary>The answer without geo data: the five categories with the most events.</summary>
    private const string TopCategory =
        "SELECT '-' AS geo_country, pin_category, COUNT(*) AS events, COUNT(DISTINCT user_id) AS users FROM pin_events " +
        "GROUP BY pin_category ORDER BY events DESC, pin_category LIMIT 5";

    /// <summary>The pins seeded: the generator's 95,000 most popular of its 100,000, so the rarest get <c>unknown</c>.</summary>
    private const int SeededPins = 95_000;

    private const string PasswordEnv = "TRIBUTARY_DEMO_DIMS_PASSWORD";

    /// <summary>
    /// Seeds <c>pins</c> in <paramref name="mariadb"/> and returns the settings that turn the SQL sink's filter and
    /// enrich stage on. Geo is left out (with a note) when DB-IP's files are not installed.
    /// </summary>
    public static async Task<Dictionary<string, string?>> PrepareAsync(LocalMariaDb mariadb, CancellationToken cancellationToken)
    {
        await PinCategoryTable.CreateAndSeedAsync(mariadb.ConnectionString, "pins", SeededPins, cancellationToken);
        // configuration carries no password: the enricher reads it from the variable PasswordEnv names
        Environment.SetEnvironmentVariable(PasswordEnv, LocalMariaDb.Password);
        var dims = new MySqlConnectionStringBuilder(mariadb.ConnectionString) { Password = null };
        var settings = new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            ["Tributary:SqlSink:Enrich"] = "true",
            ["Tributary:Enrich:Filter:Rules:0:Name"] = FilterRule,
            ["Tributary:Enrich:Filter:Rules:0:Op"] = "equals",
            ["Tributary:Enrich:Filter:Rules:0:Field"] = "action",
            ["Tributary:Enrich:Filter:Rules:0:Value"] = "hide",
        };
        var next = 0;
        if (GeoIpDatabase.Locate(null) is not null)
        {
            settings[$"Tributary:Enrich:Enrichers:{next++}:Kind"] = "geo";
        }
        else
        {
            AnsiConsole.MarkupLine("geo by IP off: DB-IP's country data is not installed (./build.sh deps installs it); geo_country is left out.");
        }

        settings[$"Tributary:Enrich:Enrichers:{next}:Kind"] = "pinCategory";
        settings[$"Tributary:Enrich:Enrichers:{next}:ConnectionString"] = dims.ConnectionString;
        settings[$"Tributary:Enrich:Enrichers:{next}:PasswordEnv"] = PasswordEnv;
        next++;
        settings[$"Tributary:Enrich:Enrichers:{next}:Kind"] = "map";
        settings[$"Tributary:Enrich:Enrichers:{next}:Field"] = "device";
        settings[$"Tributary:Enrich:Enrichers:{next}:Column"] = "platform";
        settings[$"Tributary:Enrich:Enrichers:{next}:Map:ios"] = "mobile";
        settings[$"Tributary:Enrich:Enrichers:{next}:Map:android"] = "mobile";
        settings[$"Tributary:Enrich:Enrichers:{next}:Map:ipad"] = "tablet";
        settings[$"Tributary:Enrich:Enrichers:{next}:Default"] = "desktop";
        return settings;
    }

    /// <summary>Commits the sink's pending rows and prints the top (country, category) pairs (any MySQL client can ask it).</summary>
    public static async Task PrintAsync(IClusterClient client, string topic, int partitions, string connectionString)
    {
        long committed = 0, filtered = 0, malformed = 0;
        for (var p = 0; p < partitions; p++)
        {
            var status = await client.GetGrain<Tributary.SqlIngest.ISqlIngestGrain>(TopicPartitionKey.Format(topic, p)).FlushAsync();
            committed += status.RowsWritten;
            filtered += status.Filtered.GetValueOrDefault(FilterRule);
            malformed += status.Malformed;
        }

        await using var connection = new MySqlConnection(connectionString);
        await connection.OpenAsync();
        var geo = await HasColumnAsync(connection, "geo_country");
        var sql = geo ? TopCountryCategory : TopCategory;
        await using var command = new MySqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync();
        var table = new Table().AddColumns("geo_country", "pin_category", "events", "users");
        while (await reader.ReadAsync())
        {
            table.AddRow(Markup.Escape(reader.GetString(0)), Markup.Escape(reader.GetString(1)), reader.GetInt64(2).ToString("N0", CultureInfo.InvariantCulture), reader.GetInt64(3).ToString("N0", CultureInfo.InvariantCulture));
        }

        AnsiConsole.MarkupLine($"[bold]SQL sink[/]: {committed:N0} enriched rows committed with their offsets, {filtered:N0} events filtered ({FilterRule}), {malformed:N0} malformed dead-lettered");
        AnsiConsole.MarkupLine($"top 5 (geo_country, pin_category) by events: [blue]{Markup.Escape(sql)}[/]");
        AnsiConsole.Write(table);
    }

    private static async Task<bool> HasColumnAsync(MySqlConnection connection, string column)
    {
        await using var command = new MySqlCommand("SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'pin_events' AND COLUMN_NAME = @c", connection);
        command.Parameters.AddWithValue("@c", column);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture) > 0;
    }
}
