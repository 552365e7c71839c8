using System.Globalization;
using MySqlConnector;
using Tributary.Enrich;
using Tributary.Enrich.Geo;

namespace Tributary.Benchmarks;

/// <summary>
/// Enrich throughput per core, the figures <c>tributary bench sql</c> reports: <see cref="EnrichBench.MeasureLookupsPerSecond"/>
/// (geo + pin-category lookups, median of 3) and <see cref="EnrichBench.MeasureEventsPerSecond"/> (whole
/// <see cref="EnrichPipeline.Process"/>), over 100k generator-shaped events. With the MariaDB of
/// <c>./build.sh services</c> exported (<c>TRIBUTARY_MYSQL_*</c>) the pins table is created and seeded in a scratch
/// database; without it only the geo lookup runs.
/// Run: <c>dotnet run -c Release --project tests/Tributary.Benchmarks -- enrich</c>. Prints one JSON line.
/// </summary>
internal static class EnrichProbe
{
    public static async Task RunAsync()
    {
        var folder = GeoIpDatabase.Locate(null) ?? throw new InvalidOperationException("run ./build.sh deps: the DB-IP data is missing");
        string? connectionString = null;
        string? database = null;
        if (Environment.GetEnvironmentVariable("TRIBUTARY_MYSQL_PRIMARY") is { Length: > 0 } primary)
        {
            var colon = primary.LastIndexOf(':');
            var builder = new MySqlConnectionStringBuilder
            {
                Server = primary[..colon],
                Port = uint.Parse(primary[(colon + 1)..], CultureInfo.InvariantCulture),
                UserID = Environment.GetEnvironmentVariable("TRIBUTARY_MYSQL_APP_USER") ?? "tributary_app",
                Password = Environment.GetEnvironmentVariable("TRIBUTARY_MYSQL_PASSWORD"),
            };
            database = "tributary_enrich_bench_" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
            await using (var connection = new MySqlConnection(builder.ConnectionString))
            {
                await connection.OpenAsync();
                await using var command = new MySqlCommand($"CREATE DATABASE IF NOT EXISTS `{database}`", connection);
                await command.ExecuteNonQueryAsync();
            }

            builder.Database = database;
            connectionString = builder.ConnectionString;
            await PinCategoryTable.CreateAndSeedAsync(connectionString, pins: 100_000);
        }

        var events = PinEventSource.Generate(100_000);
        await using var pipeline = await Pipeline(folder, connectionString);
        var lookups = EnrichBench.MeasureLookupsPerSecond(pipeline, events, TimeSpan.FromSeconds(2));
        var perEvent = EnrichBench.MeasureEventsPerSecond(pipeline, events, TimeSpan.FromSeconds(2));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $$"""{"scenario":"enrich","enrichers":"{{string.Join('+', pipeline.OutputColumns.Select(c => c.Name))}}","enrich_lookups_per_s_per_core":{{lookups:F0}},"process_events_per_s_per_core":{{perEvent:F0}}}"""));

        if (database is not null)
        {
            await using var connection = new MySqlConnection(connectionString);
            await connection.OpenAsync();
            await using var command = new MySqlCommand($"DROP DATABASE `{database}`", connection);
            await command.ExecuteNonQueryAsync();
        }
    }

    /// <summary>The measured pipeline: drop impressions and bots, then geo, pin category (when a database is given), platform map, bot flag.</summary>
    public static Task<EnrichPipeline> Pipeline(string geoFolder, string? connectionString)
    {
        var options = new EnrichOptions
        {
            Filter = new EnrichFilterOptions
            {
                Rules =
                [
                    new FilterRuleOptions { Name = "impressions", Op = "equals", Field = "action", Value = "impression" },
                    new FilterRuleOptions { Name = "hidden-on-old-clients", Op = "and", Conditions =
                    [
                        new FilterConditionOptions { Op = "equals", Field = "action", Value = "hide" },
                        new FilterConditionOptions { Op = "in", Field = "app_version", Values = ["11.9.0"] },
                    ] },
                ],
            },
            Enrichers = [new EnricherOptions { Kind = "geo", DatabasePath = geoFolder }],
        };
        if (connectionString is not null)
        {
            // The probe's own scratch database: the password sits in the string, so hand it over by variable as configuration would.
            var builder = new MySqlConnectionStringBuilder(connectionString);
            Environment.SetEnvironmentVariable("TRIBUTARY_ENRICH_BENCH_PASSWORD", builder.Password);
            builder.Password = null;
            options.Enrichers.Add(new EnricherOptions { Kind = "pinCategory", ConnectionString = builder.ConnectionString, PasswordEnv = "TRIBUTARY_ENRICH_BENCH_PASSWORD" });
        }

        options.Enrichers.Add(new EnricherOptions { Kind = "map", Field = "device", Column = "platform", Map = new() { ["ios"] = "mobile", ["android"] = "mobile", ["ipad"] = "tablet" }, Default = "desktop" });
        options.Enrichers.Add(new EnricherOptions { Kind = "bot" });
        return EnrichPipeline.CreateAsync(options, TimeProvider.System, null, CancellationToken.None);
    }
}
