using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using MySqlConnector;
using Tributary.Cli.Generate;
using Tributary.Enrich;
using Tributary.Kafka.DevBroker;
using Tributary.MySqlLoad;
using Tributary.SqlIngest;

namespace Tributary.Cli.Bench;

/// <summary>
/// <c>bench sql</c>: events/s from Kafka through filter + enrich into MariaDB through the SQL sink of an embedded
/// silo (first record delivered to every partition's offset committed), against, in the same run, the raw bulk-load
/// rate of the same rows into the same table with <c>LOAD DATA LOCAL INFILE</c> (the server's physical limit here).
/// It also writes the same rows through <see cref="MySqlTableLoader"/> alone with both write paths (multi-row INSERT
/// and MySqlBulkCopy), 16 partitions in parallel, to show which is faster. The server is a fresh loopback MariaDB
/// (<see cref="LocalMariaDb"/>, no binary log). The sink runs the filter-and-enrich stage (a filter rule, geo by IP, a device
/// map), and <c>enrich_lookups_per_s_per_core</c> is the geo lookup alone on one thread.
/// </summary>
internal static class SqlBench
{
    private const string Topic = "bench_sql";
    private const int Partitions = 16;

    public static async Task<string> RunAsync(BenchSettings settings, CancellationToken cancellationToken)
    {
        var events = settings.Events ?? 200_000;
        await using var db = await LocalMariaDb.StartAsync(cancellationToken);
        using var cluster = MockKafkaCluster.Start(3);
        cluster.CreateTopic(Topic, Partitions);
        cluster.CreateTopic("bench_sql.deadletter", 1);
        var sample = new List<byte[]>();
        using (var writer = new KafkaEventWriter(cluster.BootstrapServers, Topic))
        {
            var generator = new PinEngagementGenerator(new GeneratorOptions { Seed = 11, MalformedShare = 0 });
            for (long i = 0; i < events; i++)
            {
                var e = generator.Next();
                writer.Write(e.Key, e.Value);
                if (sample.Count < 50_000)
                {
                    sample.Add(e.Value);
                }
            }

            writer.Flush(TimeSpan.FromMinutes(2));
            if (writer.Delivered != events)
            {
                throw new InvalidOperationException($"produced {writer.Delivered} of {events} events: {writer.LastError}");
            }
        }

        var (low, high) = ArchiveBench.Watermarks(cluster.BootstrapServers, Topic, Partitions);
        var retained = Enumerable.Range(0, Partitions).Sum(p => high[p] - low[p]);
        await Console.Error.WriteLineAsync($"sql: produced {events:N0} events ({retained:N0} retained by the mock broker); MariaDB at 127.0.0.1:{db.Port}");

        var lookups = await EnrichLookupsPerCoreAsync(sample, cancellationToken);
        await Console.Error.WriteLineAsync($"sql: enrich step alone (geo by IP) {lookups:N0} lookups/s on one core");
        var endToEnd = await EndToEndAsync(db, cluster.BootstrapServers, retained, high, settings.BatchSize, cancellationToken);
        await Console.Error.WriteLineAsync($"sql: Kafka through filter + enrich (geo, map) into MariaDB through the SQL sink {endToEnd:N0} events/s");
        var rows = await ReadRowsAsync(db, cancellationToken);
        if (rows.Count != retained)
        {
            throw new InvalidOperationException($"the table holds {rows.Count:N0} rows, {retained:N0} were produced");
        }

        var bulk = await LoadDataAsync(db, rows, cancellationToken);
        await Console.Error.WriteLineAsync($"sql: LOAD DATA LOCAL INFILE of the same rows {bulk:N0} rows/s");
        var insert = await LoaderRateAsync(db, rows, SqlWriteMethod.Insert, cancellationToken);
        var bulkCopy = await LoaderRateAsync(db, rows, SqlWriteMethod.BulkCopy, cancellationToken);
        await Console.Error.WriteLineAsync($"sql: loader alone, 16 partitions in parallel, 5,000-row transactions: multi-row INSERT {insert:N0} rows/s, MySqlBulkCopy {bulkCopy:N0} rows/s");
        return JsonSerializer.Serialize(new
        {
            scenario = "sql",
            events = retained,
            partitions = Partitions,
            insert_rows_per_s = Math.Round(insert),
            bulkcopy_rows_per_s = Math.Round(bulkCopy),
            events_per_s = Math.Round(endToEnd),
            bulk_load_rows_per_s = Math.Round(bulk),
            ratio = Math.Round(endToEnd / bulk, 3),
            enrich_lookups_per_s_per_core = Math.Round(lookups),
        });
    }

    private static async Task<double> EndToEndAsync(LocalMariaDb db, string bootstrap, long events, long[] high, int batchSize, CancellationToken cancellationToken)
    {
        var inv = CultureInfo.InvariantCulture;
        var overrides = new Dictionary<string, string?>
        {
            ["Tributary:HttpUrls"] = $"http://127.0.0.1:{EmbeddedSilo.FreePort()}",
            ["Tributary:SiloPort"] = EmbeddedSilo.FreePort().ToString(inv),
            ["Tributary:GatewayPort"] = EmbeddedSilo.FreePort().ToString(inv),
            ["Tributary:Kafka:DevBroker:Enabled"] = "false",
            ["Tributary:Kafka:BootstrapServers"] = bootstrap,
            ["Tributary:Streams:sql:Topics:0"] = Topic,
            ["Tributary:Streams:sql:ConsumerGroup"] = "bench-sql",
            ["Tributary:Streams:sql:BatchSize"] = batchSize.ToString(inv),
            ["Tributary:SqlSink:ConnectionString"] = db.ConnectionString,
            ["Tributary:SqlSink:DeadLetterTopic"] = "bench_sql.deadletter",
            ["Tributary:SqlSink:Enrich"] = "true",
        };
        foreach (var (key, value) in EnrichSettings())
        {
            overrides["Tributary:Enrich:" + key] = value;
        }

        BenchFetch.AddTo(overrides);
        EmbeddedSilo.KeepOnlyStreams(overrides, "sql");
        var app = EmbeddedSilo.Build("embedded", overrides, quiet: true);
        await app.StartAsync(cancellationToken);
        try
        {
            var client = app.Services.GetRequiredService<IClusterClient>();
            var grains = Enumerable.Range(0, Partitions).Select(p => client.GetGrain<ISqlIngestGrain>(TopicPartitionKey.Format(Topic, p))).ToArray();
            var clock = Stopwatch.StartNew();
            while (true)
            {
                if (clock.Elapsed > TimeSpan.FromMinutes(5))
                {
                    throw new TimeoutException($"the SQL sink did not commit {events:N0} events within 5 minutes");
                }

                var statuses = await Task.WhenAll(grains.Select(g => g.GetStatusAsync().AsTask()));
                if (statuses.All(s => s.NextOffset >= high[s.Partition]))
                {
                    // Everything routed: commit the tails now (the persist tick would within a second).
                    statuses = await Task.WhenAll(grains.Select(g => g.FlushAsync().AsTask()));
                    var end = DateTimeOffset.UtcNow;
                    var start = statuses.Min(s => s.FirstRecordAt)!.Value;
                    if (statuses.Any(s => s.Checkpoint < high[s.Partition]))
                    {
                        continue;
                    }

                    return events / (end - start).TotalSeconds;
                }

                await Task.Delay(20, cancellationToken);
            }
        }
        finally
        {
            await app.StopAsync(CancellationToken.None);
            await app.DisposeAsync();
        }
    }

    private static async Task<List<object?[]>> ReadRowsAsync(LocalMariaDb db, CancellationToken cancellationToken)
    {
        await using var connection = new MySqlConnection(db.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = new MySqlCommand("SELECT * FROM pin_events ORDER BY kafka_partition, kafka_offset", connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var rows = new List<object?[]>();
        while (await reader.ReadAsync(cancellationToken))
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

    /// <summary>The same rows into an empty copy of the table with one LOAD DATA LOCAL INFILE (file written before the clock starts).</summary>
    private static async Task<double> LoadDataAsync(LocalMariaDb db, List<object?[]> rows, CancellationToken cancellationToken)
    {
        var file = Path.Combine(Path.GetTempPath(), $"tributary-bench-sql-{Environment.ProcessId}.tsv");
        var text = new StringBuilder();
        foreach (var row in rows)
        {
            for (var i = 0; i < row.Length; i++)
            {
                if (i > 0)
                {
                    text.Append('\t');
                }

                text.Append(row[i] switch
                {
                    null => "\\N",
                    DateTime t => t.ToString("yyyy-MM-dd HH:mm:ss.fff", CultureInfo.InvariantCulture),
                    IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
                    var o => o.ToString(),
                });
            }

            text.Append('\n');
        }

        await File.WriteAllTextAsync(file, text.ToString(), cancellationToken);
        try
        {
            await using var connection = new MySqlConnection(db.ConnectionString + ";AllowLoadLocalInfile=true");
            await connection.OpenAsync(cancellationToken);
            await Execute(connection, "DROP TABLE IF EXISTS pin_events_load; CREATE TABLE pin_events_load LIKE pin_events", cancellationToken);
            // MySqlBulkLoader sends LOAD DATA LOCAL INFILE with the file's bytes (MySqlConnector refuses a bare file name without TLS).
            await using var source = File.OpenRead(file);
            var loader = new MySqlBulkLoader(connection) { TableName = "pin_events_load", SourceStream = source, Local = true, FieldTerminator = "\t", LineTerminator = "\n", Timeout = 0 };
            var clock = Stopwatch.StartNew();
            await loader.LoadAsync(cancellationToken);
            var seconds = clock.Elapsed.TotalSeconds;
            var loaded = Convert.ToInt64(await Scalar(connection, "SELECT COUNT(*) FROM pin_events_load", cancellationToken), CultureInfo.InvariantCulture);
            if (loaded != rows.Count)
            {
                throw new InvalidOperationException($"LOAD DATA loaded {loaded:N0} of {rows.Count:N0} rows");
            }

            return rows.Count / seconds;
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary>The loader alone: each partition's rows in 5,000-row transactions, partitions in parallel, into a fresh table.</summary>
    private static async Task<double> LoaderRateAsync(LocalMariaDb db, List<object?[]> rows, SqlWriteMethod method, CancellationToken cancellationToken)
    {
        var table = "pin_events_" + method.ToString().ToLowerInvariant();
        var options = await SinkLoadOptionsAsync(db.ConnectionString, table, method, cancellationToken);
        var loader = new MySqlTableLoader(options);
        await loader.EnsureTableAsync(cancellationToken);
        var byPartition = rows.GroupBy(r => (int)r[0]!).ToList();
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(byPartition.Select(async group =>
        {
            var partition = group.ToList();
            for (var start = 0; start < partition.Count; start += 5000)
            {
                var batch = partition.Skip(start).Take(5000).Select(r => new SqlRow((long)r[1]!, r[2..])).ToList();
                await loader.WriteAsync(Topic, group.Key, batch, batch[^1].Offset + 1, cancellationToken: cancellationToken);
            }
        }));
        return rows.Count / clock.Elapsed.TotalSeconds;
    }

    /// <summary>Loader options for a copy of the end-to-end table: its columns (configured and enrich outputs) as the server reports them.</summary>
    private static async Task<SqlLoadOptions> SinkLoadOptionsAsync(string connectionString, string table, SqlWriteMethod method, CancellationToken cancellationToken)
    {
        var options = new SqlLoadOptions { ConnectionString = connectionString, Table = table, OffsetsTable = "bench_offsets", SinkName = table, WriteMethod = method };
        await using var connection = new MySqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = new MySqlCommand("SELECT COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'pin_events' AND COLUMN_NAME NOT IN ('kafka_partition', 'kafka_offset') ORDER BY ORDINAL_POSITION", connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            options.Columns.Add(new SqlColumnOptions { Name = reader.GetString(0), Type = reader.GetString(1), Nullable = reader.GetString(2) == "YES" });
        }

        return options;
    }

    /// <summary>The enrich stage the bench runs: a filter rule (nothing in the generated data matches it), geo by IP, a device map.</summary>
    private static Dictionary<string, string?> EnrichSettings() => new(StringComparer.Ordinal)
    {
        ["Filter:Rules:0:Name"] = "impressions",
        ["Filter:Rules:0:Op"] = "equals",
        ["Filter:Rules:0:Field"] = "action",
        ["Filter:Rules:0:Value"] = "impression",
        ["Enrichers:0:Kind"] = "geo",
        ["Enrichers:1:Kind"] = "map",
        ["Enrichers:1:Field"] = "device",
        ["Enrichers:1:Column"] = "platform",
        ["Enrichers:1:Map:ios"] = "mobile",
        ["Enrichers:1:Map:android"] = "mobile",
        ["Enrichers:1:Map:ipad"] = "tablet",
        ["Enrichers:1:Default"] = "desktop",
    };

    /// <summary>The enrich step alone: geo lookups per second on one thread (<see cref="EnrichBench.MeasureLookupsPerSecond"/>, median of 3).</summary>
    private static async Task<double> EnrichLookupsPerCoreAsync(List<byte[]> sample, CancellationToken cancellationToken)
    {
        var options = new EnrichOptions();
        new ConfigurationBuilder().AddInMemoryCollection(EnrichSettings()).Build().Bind(options);
        await using var pipeline = await EnrichPipeline.CreateAsync(options, TimeProvider.System, null, cancellationToken);
        return EnrichBench.MeasureLookupsPerSecond(pipeline, sample, TimeSpan.FromSeconds(1));
    }

    private static async Task Execute(MySqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new MySqlCommand(sql, connection) { CommandTimeout = 0 };
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task<object?> Scalar(MySqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new MySqlCommand(sql, connection);
        return await command.ExecuteScalarAsync(cancellationToken);
    }
}
