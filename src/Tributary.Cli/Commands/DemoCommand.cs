using System.CommandLine;
using Confluent.Kafka;
using Spectre.Console;
using Tributary.Cli.Generate;
using Tributary.Silo;

namespace Tributary.Cli.Commands;

/// <summary>
/// <c>tributary demo</c>: the embedded silo (in-process dev broker, memory storage), generated traffic
/// into <c>pin_engagement</c>, and the per-partition consumer grains shown live with their lag.
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
            if (seconds is { } s)
            {
                stop.CancelAfter(TimeSpan.FromSeconds(s));
            }

            var store = Path.Combine(Path.GetTempPath(), $"tributary-demo-segments-{Environment.ProcessId}");
            var app = EmbeddedSilo.Build("embedded", new Dictionary<string, string?>
            {
                ["Tributary:HttpUrls"] = parse.GetValue(http),
                ["Tributary:Segments:Store:LocalPath"] = store,
            }, quiet: true);
            await app.StartAsync(cancellationToken);
            var settings = app.Services.GetRequiredService<TributarySettings>();
            var client = app.Services.GetRequiredService<IClusterClient>();
            const string topic = "pin_engagement";
            var partitions = int.Parse(settings.Kafka.DevBroker.Topics.First(t => t.StartsWith(topic + ":", StringComparison.Ordinal)).Split(':')[1], System.Globalization.CultureInfo.InvariantCulture);

            AnsiConsole.MarkupLine($"[bold]Tributary demo[/]: embedded silo, dev broker at [blue]{settings.Kafka.BootstrapServers}[/]");
            AnsiConsole.MarkupLine($"Orleans dashboard: [link]{parse.GetValue(http)}/dashboard[/]   health: {parse.GetValue(http)}/healthz");
            AnsiConsole.MarkupLine($"Generating {eventsPerSecond:N0} events/s into [green]{topic}[/] ({partitions} partitions); Ctrl-C to stop.");

            var producer = Task.Run(() => ProduceAsync(settings.Kafka.BootstrapServers!, topic, eventsPerSecond, stop.Token), CancellationToken.None);
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

                table.Caption($"total {total:N0} records consumed, lag {totalLag:N0}");
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

            var produced = await producer;
            await Task.Delay(1500, CancellationToken.None);
            var (final, finalLag) = await RefreshAsync();
            AnsiConsole.Write(table);
            AnsiConsole.MarkupLine($"produced {produced:N0}, consumed {final:N0}, lag {finalLag:N0}");
            await PrintQueriesAsync(client);
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

    private static async Task<long> ProduceAsync(string bootstrap, string topic, int eventsPerSecond, CancellationToken cancellationToken)
    {
        using var writer = new KafkaEventWriter(bootstrap, topic);
        var generator = new PinEngagementGenerator(new GeneratorOptions { Seed = Environment.TickCount, Start = DateTimeOffset.UtcNow, EventsPerSecond = eventsPerSecond });
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(100));
        var perTick = Math.Max(1, eventsPerSecond / 10);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                for (var i = 0; i < perTick; i++)
                {
                    var e = generator.Next();
                    writer.Write(e.Key, e.Value);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // duration reached or Ctrl-C
        }

        writer.Flush(TimeSpan.FromSeconds(30));
        return writer.Delivered;
    }
}
