using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using DuckDB.NET.Data;
using Confluent.Kafka;
using Tributary.Cli.Generate;
using Tributary.Segments;
using Tributary.Segments.Ingest;
using Tributary.Kafka;
using Tributary.Kafka.DevBroker;

namespace Tributary.Cli.Bench;

/// <summary>
/// <c>bench ingest</c>: (1) end to end, events/s from Kafka (mock cluster, 16 partitions) through the segment sink into
/// open segments, measured from 10% to 100% of the events; (2) the segment append alone (parse + append into hour x
/// partition open segments) on one thread; (3) DuckDB's appender on the same, already parsed rows in the same run;
/// (4) memory of the open segments per row, measured (GC heap difference plus native bitmap bytes).
/// </summary>
internal static class IngestBench
{
    private const int Partitions = 16;

    public static async Task<string> RunAsync(BenchSettings settings, CancellationToken cancellationToken)
    {
        var events = settings.Events ?? 300_000;
        var now = DateTimeOffset.UtcNow;
        await Console.Error.WriteLineAsync($"ingest: generating {events:N0} events over the last 40 minutes");
        var data = BenchData.Generate(events, now.AddMinutes(-45), TimeSpan.FromMinutes(40), seed: 11);

        var (appendRate, appendPerCpuSecond, bytesPerRow, bytesPerEvent, rows, estimatedBytesPerRow) = AppendAlone(data);
        await Console.Error.WriteLineAsync($"ingest: segment append alone {appendRate:N0} rows/s on one thread ({appendPerCpuSecond:N0} per CPU second); {rows:N0} rows after rollup; {bytesPerRow:0.0} B/row, {bytesPerEvent:0.0} B/event in memory (GC-measured managed + native; the segments' own accounting says {estimatedBytesPerRow:0.0} B/row)");
        var duckRate = DuckDbAppend(data);
        await Console.Error.WriteLineAsync($"ingest: DuckDB appender {duckRate:N0} rows/s (pre-parsed rows)");
        var e2e = await EndToEndAsync(data, settings.BatchSize, cancellationToken);
        await Console.Error.WriteLineAsync($"ingest: Kafka -> segments end to end {e2e:N0} events/s");
        return JsonSerializer.Serialize(new
        {
            scenario = "ingest",
            events,
            partitions = Partitions,
            e2e_events_per_s = Math.Round(e2e),
            append_rows_per_s_per_core = Math.Round(appendRate),
            append_rows_per_cpu_s = Math.Round(appendPerCpuSecond),
            duckdb_append_rows_per_s = Math.Round(duckRate),
            bytes_per_row = Math.Round(bytesPerRow, 1),
            bytes_per_event = Math.Round(bytesPerEvent, 1),
            estimated_bytes_per_row = Math.Round(estimatedBytesPerRow, 1),
            rows_after_rollup = rows,
            cores = Environment.ProcessorCount,
        });
    }

    /// <summary>
    /// Parse + append into hour x partition open segments on one thread, best of three rounds, per wall-clock second and
    /// per process CPU second (the latter holds on a machine shared with other work). Memory is measured, not
    /// estimated: the managed heap difference (<see cref="GC.GetTotalMemory(bool)"/> after forced collections, before
    /// the round and with its segments alive) plus the native CRoaring bytes of the segments' bitmaps, per row.
    /// </summary>
    private static (double Rate, double RatePerCpuSecond, double BytesPerRow, double BytesPerEvent, long Rows, double EstimatedBytesPerRow) AppendAlone(BenchData data)
    {
        double best = 0, bestPerCpuSecond = 0;
        long memory = 0, estimated = 0, rowCount = 0, eventCount = 0;
        IReadOnlyDictionary<string, long> parts = new Dictionary<string, long>();
        for (var round = 0; round < 3; round++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            var managedBefore = GC.GetTotalMemory(forceFullCollection: true);
            var segments = new Dictionary<(long, int), OpenSegment>();
            var parser = new RowParser(data.Spec);
            var row = new ParsedRow(data.Spec);
            var clock = Stopwatch.StartNew();
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            long appended = 0;
            foreach (var e in data.Events)
            {
                if (!parser.TryParse(e.Value, row, out _))
                {
                    continue;
                }

                var key = (data.Spec.SegmentStart(row.TimestampMs), Murmur2Partitioner.Partition(e.Key, Partitions));
                if (!segments.TryGetValue(key, out var segment))
                {
                    segment = new OpenSegment(data.Spec, new SegmentId(data.Spec.Name, key.Item1, key.Item2));
                    segments[key] = segment;
                }

                segment.Append(row);
                appended++;
            }

            var seconds = clock.Elapsed.TotalSeconds;
            best = Math.Max(best, appended / seconds);
            bestPerCpuSecond = Math.Max(bestPerCpuSecond, appended / Math.Max(1e-6, (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds));
            var managed = GC.GetTotalMemory(forceFullCollection: true) - managedBefore;
            memory = managed + segments.Values.Sum(s => s.NativeMemoryUsage);
            estimated = segments.Values.Sum(s => s.MemoryUsage);
            parts = segments.Values.SelectMany(s => s.MemoryBreakdown()).GroupBy(p => p.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Sum(p => p.Value));
            rowCount = segments.Values.Sum(s => (long)s.RowCount);
            eventCount = appended;
            foreach (var s in segments.Values)
            {
                s.Dispose();
            }
        }

        foreach (var (part, bytes) in parts.OrderByDescending(p => p.Value))
        {
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ingest:   {part,-28} {(double)bytes / Math.Max(1, rowCount),6:0.0} B/row (segment accounting)"));
        }

        return (best, bestPerCpuSecond, (double)memory / Math.Max(1, rowCount), (double)memory / Math.Max(1, eventCount), rowCount, (double)estimated / Math.Max(1, rowCount));
    }

    private static double DuckDbAppend(BenchData data)
    {
        using var connection = new DuckDBConnection("DataSource=:memory:");
        connection.Open();
        using (var create = connection.CreateCommand())
        {
            create.CommandText = "CREATE TABLE events (ts TIMESTAMP, pin_id VARCHAR, action VARCHAR, device VARCHAR, app_version VARCHAR, user_id VARCHAR, ip VARCHAR)";
            create.ExecuteNonQuery();
        }

        var clock = Stopwatch.StartNew();
        using (var appender = connection.CreateAppender("events"))
        {
            foreach (var r in data.Parsed)
            {
                appender.CreateRow()
                    .AppendValue(DateTimeOffset.FromUnixTimeMilliseconds(r.TimestampMs).UtcDateTime)
                    .AppendValue(r.PinId).AppendValue(r.Action).AppendValue(r.Device).AppendValue(r.AppVersion)
                    .AppendValue(r.UserId).AppendValue(r.Ip)
                    .EndRow();
            }
        }

        return data.Parsed.Count / clock.Elapsed.TotalSeconds;
    }

    private static async Task<double> EndToEndAsync(BenchData data, int batchSize, CancellationToken cancellationToken)
    {
        using var cluster = MockKafkaCluster.Start(3);
        var topic = "bench_ingest";
        cluster.CreateTopic(topic, Partitions);
        cluster.CreateTopic(topic + ".deadletter", 1);
        using (var writer = new KafkaEventWriter(cluster.BootstrapServers, topic))
        {
            foreach (var e in data.Events)
            {
                writer.Write(e.Key, e.Value);
            }

            writer.Flush(TimeSpan.FromMinutes(2));
        }

        var root = Path.Combine(Path.GetTempPath(), $"tributary-bench-ingest-{Environment.ProcessId}");
        Directory.CreateDirectory(Path.Combine(root, "datasources"));
        var spec = (await File.ReadAllTextAsync(BenchData.SpecPath, cancellationToken)).Replace("\"topic\": \"pin_engagement\"", $"\"topic\": \"{topic}\"", StringComparison.Ordinal);
        await File.WriteAllTextAsync(Path.Combine(root, "datasources", "pin_engagement.json"), spec, cancellationToken);
        var overrides = new Dictionary<string, string?>
        {
            ["Tributary:HttpUrls"] = $"http://127.0.0.1:{EmbeddedSilo.FreePort()}",
            ["Tributary:SiloPort"] = EmbeddedSilo.FreePort().ToString(CultureInfo.InvariantCulture),
            ["Tributary:GatewayPort"] = EmbeddedSilo.FreePort().ToString(CultureInfo.InvariantCulture),
            ["Tributary:Kafka:DevBroker:Enabled"] = "false",
            ["Tributary:Kafka:BootstrapServers"] = cluster.BootstrapServers,
            ["Tributary:Streams:segments:Topics:0"] = topic,
            ["Tributary:Streams:segments:ConsumerGroup"] = "bench-ingest",
            ["Tributary:Streams:segments:BatchSize"] = batchSize.ToString(CultureInfo.InvariantCulture),
            ["Tributary:Segments:DatasourcesPath"] = Path.Combine(root, "datasources"),
            ["Tributary:Segments:DeadLetterTopic"] = topic + ".deadletter",
            ["Tributary:Segments:Store:LocalPath"] = Path.Combine(root, "store"),
        };
        cluster.CreateTopic("bench_ingest_unused", 1);
        BenchFetch.AddTo(overrides);
        EmbeddedSilo.KeepOnlyStreams(overrides, "segments");

        var app = EmbeddedSilo.Build("embedded", overrides, quiet: true);
        await app.StartAsync(cancellationToken);
        try
        {
            var client = app.Services.GetRequiredService<IClusterClient>();
            var sinks = Enumerable.Range(0, Partitions).Select(p => client.GetGrain<ISegmentIngestGrain>(TopicPartitionKey.Format(topic, p))).ToArray();
            long total;
            using (var watermarks = new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig { BootstrapServers = cluster.BootstrapServers, GroupId = "bench-watermarks" }).SetLogHandler((_, _) => { }).Build())
            {
                // The mock broker truncates partitions beyond 5 MB: wait for what it retained (every offset up to the high mark).
                total = Enumerable.Range(0, Partitions).Sum(p => watermarks.QueryWatermarkOffsets(new TopicPartition(topic, p), TimeSpan.FromSeconds(10)).High.Value);
            }

            var start = total / 10;
            var clock = Stopwatch.StartNew();
            double? startAt = null;
            long startCount = 0, seen = 0;
            while (seen < total)
            {
                if (clock.Elapsed > TimeSpan.FromMinutes(2))
                {
                    throw new TimeoutException($"the segment sink took {seen:N0} of {total:N0} events within 2 minutes");
                }

                var status = await Task.WhenAll(sinks.Select(s => s.GetStatusAsync().AsTask()));
                seen = status.Sum(s => s.NextOffset);
                if (startAt is null && seen >= start)
                {
                    startAt = clock.Elapsed.TotalSeconds;
                    startCount = seen;
                }

                await Task.Delay(20, cancellationToken);
            }

            return (seen - startCount) / (clock.Elapsed.TotalSeconds - startAt!.Value);
        }
        finally
        {
            await BenchSilo.StopAndDeleteAsync(app, root);
        }
    }
}
