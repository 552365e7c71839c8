using System.CommandLine;
using System.Diagnostics;
using Confluent.Kafka;
using Spectre.Console;
using Tributary.Agent;
using Tributary.Archive;
using Tributary.Agent.Options;
using Tributary.Cli.Generate;
using Tributary.Silo;

namespace Tributary.Cli.Commands;

/// <summary>
/// <c>tributary demo</c>: the whole pipeline on one machine. Generated pin-engagement events are
/// appended to a rotating log file; the log agent ships them to <c>pin_engagement</c> on the embedded
/// silo's dev broker; the per-partition grains consume them (shown live with their lag) into segments
/// and the Parquet archive, and, when MariaDB is installed, through the filter-and-enrich stage into a
/// MariaDB table (<see cref="DemoSql"/>). At the end it asks the query broker a few questions, lists the
/// archived files and prints one SQL answer by country and category.
/// </summary>
internal static class DemoCommand
{
    public static Command Create()
    {
        var duration = new Option<double?>("--duration") { Description = "Seconds to run (default: until Ctrl-C)." };
        var rate = new Option<int>("--rate") { Description = "Generated events per second.", DefaultValueFactory = _ => 20_000 };
        var http = new Option<string>("--http") { Description = "HTTP endpoint (dashboard, health, query API).", DefaultValueFactory = _ => "http://127.0.0.1:8080" };
        var command = new Command("demo", "Run the embedded silo, generate pin-engagement traffic and watch the partition grains consume it.") { duration, rate, http };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var seconds = parse.GetValue(duration);
            var eventsPerSecond = parse.GetValue(rate);
            if (eventsPerSecond <= 0 || seconds is <= 0)
            {
                await Console.Error.WriteLineAsync("--rate and --duration must be positive.");
                return 2;
            }

            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var work = Directory.CreateTempSubdirectory("tributary-demo-").FullName;
            var overrides = new Dictionary<string, string?>
            {
                ["Tributary:HttpUrls"] = parse.GetValue(http),
                ["Tributary:Segments:Store:LocalPath"] = Path.Combine(work, "segments"),
                ["Tributary:Archive:Store:LocalPath"] = Path.Combine(work, "archive"),
            };

            // The SQL sink runs when MariaDB is installed (./build.sh installs it): a throwaway server on loopback.
            await using var mariadb = LocalMariaDb.IsInstalled ? await LocalMariaDb.StartAsync(cancellationToken) : null;
            if (mariadb is not null)
            {
                overrides["Tributary:SqlSink:Enabled"] = "true";
                overrides["Tributary:SqlSink:ConnectionString"] = mariadb.ConnectionString;
                overrides["Tributary:Streams:sql:Enabled"] = "true";
                foreach (var (key, value) in await DemoSql.PrepareAsync(mariadb, cancellationToken))
                {
                    overrides[key] = value;
                }
            }

            var app = EmbeddedSilo.Build("embedded", overrides, quiet: true);
            await app.StartAsync(cancellationToken);
            var settings = app.Services.GetRequiredService<TributarySettings>();
            var client = app.Services.GetRequiredService<IClusterClient>();
            const string topic = "pin_engagement";
            var partitions = int.Parse(settings.Kafka.DevBroker.Topics.First(t => t.StartsWith(topic + ":", StringComparison.Ordinal)).Split(':')[1], System.Globalization.CultureInfo.InvariantCulture);

            AnsiConsole.MarkupLine($"[bold]Tributary demo[/]: embedded silo, dev broker at [blue]{settings.Kafka.BootstrapServers}[/]");
            AnsiConsole.MarkupLine($"Orleans dashboard: [link]{parse.GetValue(http)}/dashboard[/]   health: {parse.GetValue(http)}/healthz");
            AnsiConsole.MarkupLine(mariadb is null
                ? "SQL sink off: mariadbd is not installed (./build.sh deps installs it)."
                : $"SQL sink: filtered (hides dropped) and enriched (geo_country by IP, pin_category from table [green]pins[/], platform) into table [green]pin_events[/] in MariaDB on loopback; ask it yourself with [blue]{Markup.Escape(mariadb.ClientCommand)}[/]");
            var logs = Directory.CreateDirectory(Path.Combine(work, "logs")).FullName;
            AnsiConsole.MarkupLine($"Writing {eventsPerSecond:N0} events/s to [green]{Markup.Escape(Path.Combine(logs, LogFile))}[/] (rotated by rename); the log agent ships them to [green]{topic}[/] ({partitions} partitions); Ctrl-C to stop.");
            long shipped = 0;
            await using var agent = new LogAgent(new AgentOptions
            {
                DataDirectory = Path.Combine(work, "agent"),
                Kafka = { ["bootstrap.servers"] = settings.Kafka.BootstrapServers! },
                Streams =
                {
                    new LogStreamOptions
                    {
                        Name = "pin_engagement",
                        Directory = logs,
                        Pattern = LogFile,
                        Topic = topic,
                        Partitioner = new PartitionerOptions { Type = PartitionerKind.Murmur2, KeyField = "pin_id" },
                        BatchMaxDelayMs = 20,
                    },
                },
            });
            agent.BatchAcknowledged += ack => Interlocked.Add(ref shipped, ack.Count);
            await agent.StartAsync(cancellationToken);

            // --duration counts from the first generated event, not from the start-up (MariaDB, seeding, the silo).
            if (seconds is { } s)
            {
                stop.CancelAfter(TimeSpan.FromSeconds(s));
            }

            var producer = Task.Run(() => WriteLogsAsync(logs, eventsPerSecond, stop.Token), CancellationToken.None);
            using var watermarks = new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig { BootstrapServers = settings.Kafka.BootstrapServers, GroupId = "tributary-demo-watch" }).Build();
            var interactive = AnsiConsole.Profile.Capabilities.Interactive;
            var table = new Table().AddColumns("partition", "grain", "records", "next offset", "high watermark", "lag", "dup. dropped", "silo");
            async Task<(long Records, long Lag)> RefreshAsync()
            {
                table.Rows.Clear();
                long total = 0, totalLag = 0;
                for (var p = 0; p < partitions; p++)
                {
                    var stats = await client.GetGrain<IPartitionStatsGrain>(TopicPartitionKey.Format(topic, p)).GetStatsAsync();
                    var high = watermarks.QueryWatermarkOffsets(new TopicPartition(topic, p), TimeSpan.FromSeconds(5)).High.Value;
                    var lag = Math.Max(0, high - stats.NextOffset);
                    total += stats.Records;
                    totalLag += lag;
                    table.AddRow(p.ToString(System.Globalization.CultureInfo.InvariantCulture), TopicPartitionKey.Format(topic, p), stats.Records.ToString("N0", System.Globalization.CultureInfo.InvariantCulture),
                        stats.NextOffset.ToString("N0", System.Globalization.CultureInfo.InvariantCulture), high.ToString("N0", System.Globalization.CultureInfo.InvariantCulture),
                        lag.ToString("N0", System.Globalization.CultureInfo.InvariantCulture), stats.DuplicatesDropped.ToString(System.Globalization.CultureInfo.InvariantCulture), stats.Silo ?? "");
                }

                table.Caption($"agent shipped {Interlocked.Read(ref shipped):N0}; total {total:N0} records consumed, lag {totalLag:N0}");
                return (total, totalLag);
            }

            if (interactive)
            {
                await AnsiConsole.Live(table).StartAsync(async ctx =>
                {
                    while (!stop.IsCancellationRequested)
                    {
                        await RefreshAsync();
                        ctx.Refresh();
                        await Task.Delay(1000, CancellationToken.None);
                    }
                });
            }
            else
            {
                while (!stop.IsCancellationRequested)
                {
                    var (total, lag) = await RefreshAsync();
                    Console.WriteLine($"{DateTime.UtcNow:HH:mm:ss} consumed {total:N0} records over {partitions} partition grains, lag {lag:N0}");
                    await Task.Delay(2000, CancellationToken.None);
                }
            }

            var written = await producer;
            // A graceful stop ships the last batch and writes the final watermark.
            await agent.StopAsync(CancellationToken.None);
            var shippedTotal = Interlocked.Read(ref shipped);
            var caughtUp = Stopwatch.StartNew();
            var (final, finalLag) = await RefreshAsync();
            while (final < shippedTotal && caughtUp.Elapsed < TimeSpan.FromSeconds(30))
            {
                await Task.Delay(250, CancellationToken.None);
                (final, finalLag) = await RefreshAsync();
            }

            AnsiConsole.Write(table);
            AnsiConsole.MarkupLine($"written to logs {written:N0}, shipped by the agent {shippedTotal:N0}, consumed {final:N0}, lag {finalLag:N0}");
            await PrintQueriesAsync(client);
            await PrintArchiveAsync(client, topic, partitions, Path.Combine(work, "archive"));
            if (mariadb is not null)
            {
                await DemoSql.PrintAsync(client, topic, partitions, mariadb.ConnectionString);
            }

            // Memory grain storage is itself a grain: on the single embedded silo it can stop before the
            // segment grains' last writes. Nothing durable is at stake in the demo, so keep that noise out.
            foreach (var category in new[] { "Default", "Tributary", "Orleans.Runtime.Silo", "Microsoft.Hosting.Lifetime" })
            {
                app.Configuration[$"Logging:LogLevel:{category}"] = "None";
            }

            // Setting keys does not signal a change; a reload makes the logger filters pick them up.
            ((IConfigurationRoot)app.Configuration).Reload();

            await app.StopAsync(CancellationToken.None);
            return 0;
        });
        return command;
    }

    /// <summary>Asks the pin_engagement datasource a few questions through the query broker and prints the answers.</summary>
    private static async Task PrintQueriesAsync(IClusterClient client)
    {
        var broker = client.GetGrain<Tributary.Segments.IQueryBrokerGrain>(0);
        var interval = $"{DateTime.UtcNow.AddHours(-7):yyyy-MM-ddTHH}:00Z/{DateTime.UtcNow.AddHours(1):yyyy-MM-ddTHH}:00Z";
        async Task<string> AskAsync(string title, string query, bool explain = false)
        {
            var response = await broker.QueryAsync(System.Text.Encoding.UTF8.GetBytes(query), explain);
            var text = System.Text.Encoding.UTF8.GetString(response.Body);
            AnsiConsole.MarkupLine($"[bold]{Markup.Escape(title)}[/] (HTTP {response.StatusCode})");
            AnsiConsole.WriteLine(text.Length > 1500 ? text[..1500] + " ..." : text);
            return text;
        }

        await AskAsync("timeseries: events and unique users per minute", $$$"""{"queryType":"timeseries","dataSource":"pin_engagement","intervals":["{{{interval}}}"],"granularity":"minute","aggregations":[{"type":"longSum","name":"events","fieldName":"count"},{"type":"hyperUnique","name":"users","fieldName":"unique_users","round":true}],"context":{"skipEmptyBuckets":true}}""");
        var top = await AskAsync("topN: 5 most engaged pins", $$"""{"queryType":"topN","dataSource":"pin_engagement","intervals":["{{interval}}"],"granularity":"all","dimension":"pin_id","metric":"events","threshold":5,"aggregations":[{"type":"longSum","name":"events","fieldName":"count"}]}""");
        using var doc = System.Text.Json.JsonDocument.Parse(top);
        var pin = doc.RootElement.GetArrayLength() > 0 && doc.RootElement[0].GetProperty("result").GetArrayLength() > 0
            ? doc.RootElement[0].GetProperty("result")[0].GetProperty("pin_id").GetString()
            : "pin-1";
        await AskAsync($"ID-filtered timeseries for {pin}, with explain", $$$"""{"queryType":"timeseries","dataSource":"pin_engagement","intervals":["{{{interval}}}"],"granularity":"all","filter":{"type":"selector","dimension":"pin_id","value":"{{{pin}}}"},"aggregations":[{"type":"longSum","name":"events","fieldName":"count"}]}""", explain: true);
    }

    /// <summary>Seals the open archive files (as a shutdown would) and lists what the archive wrote.</summary>
    private static async Task PrintArchiveAsync(IClusterClient client, string topic, int partitions, string root)
    {
        for (var p = 0; p < partitions; p++)
        {
            await client.GetGrain<IArchiveIngestGrain>(TopicPartitionKey.Format(topic, p)).FlushAsync();
        }

        var catalog = client.GetGrain<IArchiveCatalogGrain>(topic);
        var files = new List<ArchiveFileEntry>();
        for (var p = 0; p < partitions; p++)
        {
            files.AddRange(await catalog.GetFilesAsync(p));
        }

        var table = new Table().AddColumns("file", "rows", "offsets", "bytes", "dead letters");
        foreach (var file in files.OrderByDescending(f => f.Rows).ThenBy(f => f.Key, StringComparer.Ordinal).Take(20))
        {
            table.AddRow(Markup.Escape(file.Key), file.Rows.ToString("N0", System.Globalization.CultureInfo.InvariantCulture),
                $"{file.FirstOffset}-{file.LastOffset}", file.Bytes.ToString("N0", System.Globalization.CultureInfo.InvariantCulture),
                file.DeadLetters.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        AnsiConsole.MarkupLine($"[bold]archive[/]: {files.Count} Parquet files, {files.Sum(f => f.Rows):N0} rows, {files.Sum(f => f.DeadLetters):N0} malformed lines dead-lettered beside them, under [blue]{Markup.Escape(root)}[/] (largest 20 shown)");
        AnsiConsole.Write(table);
    }

    private const string LogFile = "events.log";

    /// <summary>Appends generated events to <c>logs/events.log</c>, rotating it by rename every 50,000 lines, as an application would.</summary>
    private static async Task<long> WriteLogsAsync(string directory, int eventsPerSecond, CancellationToken cancellationToken)
    {
        var generator = new PinEngagementGenerator(new GeneratorOptions { Seed = Environment.TickCount, Start = DateTimeOffset.UtcNow, EventsPerSecond = eventsPerSecond });
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(100));
        var perTick = Math.Max(1, eventsPerSecond / 10);
        var path = Path.Combine(directory, LogFile);
        long written = 0;
        var rotations = 0;
        var file = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                for (var i = 0; i < perTick; i++)
                {
                    var e = generator.Next();
                    file.Write(e.Value);
                    file.WriteByte((byte)'\n');
                    if (++written % 50_000 == 0)
                    {
                        await file.DisposeAsync();
                        File.Move(path, $"{path}.{++rotations}");
                        file = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
                    }
                }

                await file.FlushAsync(CancellationToken.None);
            }
        }
        catch (OperationCanceledException)
        {
            // duration reached or Ctrl-C
        }
        finally
        {
            await file.DisposeAsync();
        }

        return written;
    }
}
