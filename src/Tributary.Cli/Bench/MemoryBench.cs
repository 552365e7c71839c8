using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Tributary.Cli.Generate;
using Tributary.Grains.Segments;
using Tributary.Kafka;
using Tributary.Segments;
using Tributary.Segments.Schema;

namespace Tributary.Cli.Bench;

/// <summary>
/// <c>bench memory</c>: 24 simulated hours x 16 partitions of generated events appended to the segment grains of one
/// embedded silo and sealed hour by hour, under <c>Tributary:Segments:MemoryBudgetMb</c> (512 unless
/// <c>--memory-budget-mb</c>). Measures the process's resident memory (<c>/proc/self/status</c> VmRSS, and its peak
/// VmHWM) after ingest and after the queries (and after a forced full GC, to separate live memory from garbage),
/// checks that counts over all 24 hours and per hour equal the events
/// produced (reloading unloaded segments), and the P99 of hourly queries that had to reload segments.
/// </summary>
internal static class MemoryBench
{
    private const int Partitions = 16;
    private const int Hours = 24;
    private const int BatchEvents = 5_000;
    private const int Rounds = 3;

    public static async Task<string> RunAsync(BenchSettings settings, CancellationToken cancellationToken)
    {
        var events = settings.Events ?? 20_000_000;
        var budgetMb = settings.MemoryBudgetMb ?? 512;
        var perHour = events / Hours;
        var hourNow = DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 3_600_000 * 3_600_000);
        var start = hourNow.AddHours(-30);
        var spec = DatasourceSpecLoader.LoadFile(BenchData.SpecPath);
        await Console.Error.WriteLineAsync($"memory: {perHour * Hours:N0} events over {Hours} h x {Partitions} partitions from {start:u}, budget {budgetMb} MB");

        var root = Path.Combine(Path.GetTempPath(), $"tributary-bench-memory-{Environment.ProcessId}");
        var overrides = new Dictionary<string, string?>(StringComparer.Ordinal);
        EmbeddedSilo.KeepOnlyStreams(overrides, "segments");
        overrides["Tributary:HttpUrls"] = $"http://127.0.0.1:{EmbeddedSilo.FreePort()}";
        overrides["Tributary:SiloPort"] = EmbeddedSilo.FreePort().ToString(CultureInfo.InvariantCulture);
        overrides["Tributary:GatewayPort"] = EmbeddedSilo.FreePort().ToString(CultureInfo.InvariantCulture);
        overrides["Tributary:Segments:Store:LocalPath"] = Path.Combine(root, "store");
        overrides["Tributary:Segments:PersistEveryEvents"] = "100000000";
        // The hours are old by the wall clock: only the bench seals them, once each is complete.
        overrides["Tributary:Segments:SealGrace"] = "30.00:00:00";
        overrides["Tributary:Segments:MemoryBudgetMb"] = budgetMb.ToString(CultureInfo.InvariantCulture);
        var app = EmbeddedSilo.Build("embedded", overrides, quiet: true);
        await app.StartAsync(cancellationToken);
        try
        {
            var client = app.Services.GetRequiredService<IClusterClient>();
            var budget = app.Services.GetRequiredService<SegmentMemoryBudget>();
            var clock = Stopwatch.StartNew();
            var produced = new long[Hours];
            for (var h = 0; h < Hours; h++)
            {
                produced[h] = await IngestHourAsync(client, spec, start.AddHours(h), h, perHour);
            }

            var ingestSeconds = clock.Elapsed.TotalSeconds;
            var rssAfterIngest = ProcStatusMb("VmRSS");
            await Console.Error.WriteLineAsync($"memory: ingested and sealed {Hours * Partitions} segments in {ingestSeconds:0.0} s; RSS {rssAfterIngest} MB, sealed loaded {budget.LoadedBytes / 1048576.0:0.0} MB in {budget.LoadedCount} segments, {budget.Unloads} unloads");

            var broker = client.GetGrain<IQueryBrokerGrain>(0);
            var exact = true;
            var cold = new List<double>();
            var warm = new List<double>();
            var full = new List<double>();
            for (var round = 0; round < Rounds; round++)
            {
                // All 24 hours at once (touches every segment), then each hour alone from the oldest: the least recently
                // queried hours were unloaded, so most of these reload.
                var c = Stopwatch.StartNew();
                var total = await CountAsync(broker, start, Hours);
                full.Add(c.Elapsed.TotalMilliseconds);
                exact &= total == produced.Sum();
                for (var h = 0; h < Hours; h++)
                {
                    var loadsBefore = budget.Loads;
                    var q = Stopwatch.StartNew();
                    var n = await CountAsync(broker, start.AddHours(h), 1);
                    var ms = q.Elapsed.TotalMilliseconds;
                    (budget.Loads > loadsBefore ? cold : warm).Add(ms);
                    exact &= n == produced[h];
                }
            }

            var rssAfterQueries = ProcStatusMb("VmRSS");
            var peak = ProcStatusMb("VmHWM");
            var managed = GC.GetTotalMemory(forceFullCollection: false) / 1048576;

            // What is live, without the garbage the GC had not collected yet (unloaded segments' byte arrays sit in the
            // large object heap until a full collection): a full compacting collection, then RSS again.
            System.Runtime.GCSettings.LargeObjectHeapCompactionMode = System.Runtime.GCLargeObjectHeapCompactionMode.CompactOnce;
            GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
            var rssAfterGc = ProcStatusMb("VmRSS");
            await Console.Error.WriteLineAsync($"memory: queries {(exact ? "exact" : "NOT EXACT")}; {cold.Count} cold hourly queries P50 {BenchSilo.Percentile(cold, 0.5):0.0} ms P99 {BenchSilo.Percentile(cold, 0.99):0.0} ms, {warm.Count} warm; all-24h count P50 {BenchSilo.Percentile(full, 0.5):0.0} ms; RSS {rssAfterQueries} MB (peak {peak} MB, managed heap {managed} MB; {rssAfterGc} MB after a full GC); {budget.Unloads} unloads, peak sealed loaded {budget.PeakLoadedBytes / 1048576.0:0.0} MB");
            return JsonSerializer.Serialize(new
            {
                scenario = "memory",
                events = produced.Sum(),
                segments = Hours * Partitions,
                budget_mb = budgetMb,
                rss_mb = rssAfterQueries,
                rss_after_ingest_mb = rssAfterIngest,
                rss_after_full_gc_mb = rssAfterGc,
                rss_peak_mb = peak,
                sealed_loaded_peak_mb = Math.Round(budget.PeakLoadedBytes / 1048576.0, 1),
                unloads = budget.Unloads,
                counts_exact = exact,
                cold_query_p99_ms = Math.Round(BenchSilo.Percentile(cold, 0.99), 1),
                cold_queries = cold.Count,
                full_24h_query_p50_ms = Math.Round(BenchSilo.Percentile(full, 0.5), 1),
                ingest_s = Math.Round(ingestSeconds, 1),
            });
        }
        finally
        {
            await BenchSilo.StopAndDeleteAsync(app, root);
        }
    }

    /// <summary>Generates one hour's events, appends them per partition (batches in order, partitions in parallel), seals; returns the events appended.</summary>
    private static async Task<long> IngestHourAsync(IClusterClient client, DatasourceSpec spec, DateTimeOffset hour, int index, long count)
    {
        var generator = new PinEngagementGenerator(new GeneratorOptions
        {
            Seed = 100 + index,
            Start = hour,
            EventsPerSecond = count / 3600.0,
            LateShare = 0,
            MalformedShare = 0,
        });
        var grains = Enumerable.Range(0, Partitions).Select(p => client.GetGrain<ISegmentGrain>(SegmentKey.Format(spec.Name, hour.ToUnixTimeMilliseconds(), p))).ToArray();
        var buffers = Enumerable.Range(0, Partitions).Select(_ => (Offsets: new List<long>(BatchEvents), Events: new List<byte[]>(BatchEvents))).ToArray();
        var offsets = new long[Partitions];
        var last = Enumerable.Range(0, Partitions).Select(_ => Task.FromResult(0L)).ToArray();
        var appended = 0L;

        async Task<long> SendAfter(Task<long> previous, ISegmentGrain grain, SegmentAppendBatch batch)
        {
            var sum = await previous;
            var result = await grain.AppendAsync(batch);
            return result.Rejected.Length > 0
                ? throw new InvalidOperationException($"segment rejected {result.Rejected.Length} events: {result.Rejected[0].Reason}")
                : sum + result.Appended;
        }

        void Flush(int p)
        {
            var (o, e) = buffers[p];
            if (o.Count == 0)
            {
                return;
            }

            last[p] = SendAfter(last[p], grains[p], new SegmentAppendBatch { Offsets = [.. o], Events = [.. e], PreviousSent = o[0] - 1 });
            buffers[p] = (new List<long>(BatchEvents), new List<byte[]>(BatchEvents));
        }

        for (long i = 0; i < count; i++)
        {
            var e = generator.Next();
            var p = Murmur2Partitioner.Partition(e.Key, Partitions);
            buffers[p].Offsets.Add(offsets[p]++);
            buffers[p].Events.Add(e.Value);
            if (buffers[p].Offsets.Count == BatchEvents)
            {
                Flush(p);
            }
        }

        for (var p = 0; p < Partitions; p++)
        {
            Flush(p);
        }

        foreach (var n in await Task.WhenAll(last))
        {
            appended += n;
        }

        await Task.WhenAll(grains.Select(g => g.SealAsync().AsTask()));
        return appended == count ? appended : throw new InvalidOperationException($"hour {hour:u}: appended {appended} of {count} events");
    }

    private static async Task<long> CountAsync(IQueryBrokerGrain broker, DateTimeOffset from, int hours)
    {
        var query = $$$"""{"queryType":"timeseries","dataSource":"pin_engagement","intervals":["{{{from:yyyy-MM-ddTHH}}}:00:00Z/{{{from.AddHours(hours):yyyy-MM-ddTHH}}}:00:00Z"],"granularity":"all","aggregations":[{"type":"longSum","name":"events","fieldName":"count"}]}""";
        var response = await broker.QueryAsync(Encoding.UTF8.GetBytes(query));
        if (response.StatusCode != 200)
        {
            throw new InvalidOperationException(Encoding.UTF8.GetString(response.Body));
        }

        using var doc = JsonDocument.Parse(response.Body);
        return doc.RootElement.GetArrayLength() == 0 ? 0 : doc.RootElement[0].GetProperty("result").GetProperty("events").GetInt64();
    }

    /// <summary>A field of <c>/proc/self/status</c> (kB there) in MB; -1 where there is no such file.</summary>
    private static long ProcStatusMb(string field)
    {
        const string path = "/proc/self/status";
        if (!File.Exists(path))
        {
            return -1;
        }

        foreach (var line in File.ReadLines(path))
        {
            if (line.StartsWith(field + ":", StringComparison.Ordinal))
            {
                var kb = long.Parse(line[(field.Length + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
                return kb / 1024;
            }
        }

        return -1;
    }
}
