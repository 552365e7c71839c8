using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using DuckDB.NET.Data;
using Tributary.Segments;
using Tributary.Kafka;
using Tributary.Silo.Sql;
using Tributary.Sql;
using Tributary.Sql.Protocol;

namespace Tributary.Cli.Bench;

/// <summary>
/// <c>bench query</c>: 24 hours x 16 partitions of generated events loaded into segment grains of an embedded silo
/// and sealed; ID-filtered (pin_id) timeseries and topN asked through the <see cref="IQueryBrokerGrain"/> (P50/P99
/// one at a time, then max QPS with 32 in flight), the same questions asked of DuckDB (in memory, same rows) in the
/// same run, and the fraction of segments the broker scanned. The same questions as Druid SQL go through the
/// <see cref="DruidSqlExecutor"/> the HTTP endpoint uses (the host's one instance), JSON request body in, result body
/// out, with the same P50/P99 and max QPS measurements.
/// </summary>
internal static class QueryBench
{
    private const int Partitions = 16;
    private const int Samples = 400;

    public static async Task<string> RunAsync(BenchSettings settings, CancellationToken cancellationToken)
    {
        var events = settings.Events ?? 500_000;
        var hourNow = DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 3_600_000 * 3_600_000);
        var start = hourNow.AddHours(-30);
        await Console.Error.WriteLineAsync($"query: generating {events:N0} events over 24 h from {start:u}");
        var data = BenchData.Generate(events, start, TimeSpan.FromHours(24), seed: 5, lateShare: 0, malformedShare: 0);
        var interval = $"{start:yyyy-MM-ddTHH}:00Z/{start.AddHours(24):yyyy-MM-ddTHH}:00Z";
        var random = new Random(3);
        var pins = Enumerable.Range(0, 64).Select(_ => data.Parsed[random.Next(data.Parsed.Count)].PinId).ToArray();

        var root = Path.Combine(Path.GetTempPath(), $"tributary-bench-query-{Environment.ProcessId}");
        var overrides = new Dictionary<string, string?>(StringComparer.Ordinal);
        EmbeddedSilo.KeepOnlyStreams(overrides, "segments");
        overrides["Tributary:HttpUrls"] = $"http://127.0.0.1:{EmbeddedSilo.FreePort()}";
        overrides["Tributary:SiloPort"] = EmbeddedSilo.FreePort().ToString(CultureInfo.InvariantCulture);
        overrides["Tributary:GatewayPort"] = EmbeddedSilo.FreePort().ToString(CultureInfo.InvariantCulture);
        overrides["Tributary:Segments:Store:LocalPath"] = Path.Combine(root, "store");
        overrides["Tributary:Segments:PersistEveryEvents"] = "100000000";
        var app = EmbeddedSilo.Build("embedded", overrides, quiet: true);
        await app.StartAsync(cancellationToken);
        try
        {
            var client = app.Services.GetRequiredService<IClusterClient>();
            var loadClock = Stopwatch.StartNew();
            var segments = await LoadAsync(client, data);
            await Console.Error.WriteLineAsync($"query: loaded and sealed {segments} segments in {loadClock.Elapsed.TotalSeconds:0.0} s");
            var broker = client.GetGrain<IQueryBrokerGrain>(0);

            string Query(int i) => i % 2 == 0
                ? $$$"""{"queryType":"timeseries","dataSource":"pin_engagement","intervals":["{{{interval}}}"],"granularity":"hour","filter":{"type":"selector","dimension":"pin_id","value":"{{{pins[i % pins.Length]}}}"},"aggregations":[{"type":"longSum","name":"events","fieldName":"count"}]}"""
                : $$$"""{"queryType":"topN","dataSource":"pin_engagement","intervals":["{{{interval}}}"],"granularity":"all","dimension":"action","metric":"events","threshold":5,"filter":{"type":"selector","dimension":"pin_id","value":"{{{pins[i % pins.Length]}}}"},"aggregations":[{"type":"longSum","name":"events","fieldName":"count"}]}""";

            // Scanned fraction, from the explain report of each distinct question.
            double scanned = 0, considered = 0;
            for (var i = 0; i < pins.Length; i++)
            {
                var r = await broker.QueryAsync(Encoding.UTF8.GetBytes(Query(i)), explain: true);
                using var doc = JsonDocument.Parse(r.Explain ?? throw new InvalidOperationException(Encoding.UTF8.GetString(r.Body)));
                scanned += doc.RootElement.GetProperty("scanned").GetInt32();
                considered += doc.RootElement.GetProperty("segmentsConsidered").GetInt32();
            }

            var bodies = Enumerable.Range(0, Samples).Select(i => Encoding.UTF8.GetBytes(Query(i))).ToArray();
            var latencies = new List<double>(Samples);
            foreach (var body in bodies)
            {
                var clock = Stopwatch.StartNew();
                var r = await broker.QueryAsync(body);
                latencies.Add(clock.Elapsed.TotalMilliseconds);
                if (r.StatusCode != 200)
                {
                    throw new InvalidOperationException(Encoding.UTF8.GetString(r.Body));
                }
            }

            await Console.Error.WriteLineAsync($"query: Tributary P50 {BenchSilo.Percentile(latencies, 0.5):0.00} ms, P99 {BenchSilo.Percentile(latencies, 0.99):0.00} ms; scanned {scanned / considered:0.000} of segments");
            var qps = await MaxQpsAsync(b => broker.QueryAsync(b).AsTask(), bodies, cancellationToken);
            await Console.Error.WriteLineAsync($"query: Tributary max {qps:N0} queries/s (32 in flight, 5 s)");

            // The same questions as SQL, through the executor the HTTP endpoint uses.
            var sql = app.Services.GetRequiredService<DruidSqlExecutor>();
            string Sql(int i) => i % 2 == 0
                ? $"SELECT TIME_FLOOR(__time, 'PT1H') AS h, SUM(\"count\") AS events FROM pin_engagement WHERE pin_id = '{pins[i % pins.Length]}' AND __time >= TIMESTAMP '{start:yyyy-MM-dd HH}:00:00' AND __time < TIMESTAMP '{start.AddHours(24):yyyy-MM-dd HH}:00:00' GROUP BY 1"
                : $"SELECT action, SUM(\"count\") AS events FROM pin_engagement WHERE pin_id = '{pins[i % pins.Length]}' AND __time >= TIMESTAMP '{start:yyyy-MM-dd HH}:00:00' AND __time < TIMESTAMP '{start.AddHours(24):yyyy-MM-dd HH}:00:00' GROUP BY action ORDER BY events DESC LIMIT 5";
            var sqlBodies = Enumerable.Range(0, Samples).Select(i => Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new { query = Sql(i), resultFormat = "array" }))).ToArray();
            await CheckSqlAsync(broker, sql, bodies, sqlBodies);
            var sqlLatencies = new List<double>(Samples);
            foreach (var body in sqlBodies)
            {
                var clock = Stopwatch.StartNew();
                var r = await sql.ExecuteAsync(body);
                sqlLatencies.Add(clock.Elapsed.TotalMilliseconds);
                if (r.StatusCode != 200)
                {
                    throw new InvalidOperationException(Encoding.UTF8.GetString(r.Body));
                }
            }

            // The SQL front end alone (request body, parse, validate, plan, native JSON): what SQL adds before the broker.
            var planLatencies = new List<double>(Samples);
            foreach (var body in sqlBodies)
            {
                var clock = Stopwatch.StartNew();
                var request = SqlQueryRequest.Parse(body);
                var plan = SqlPlanner.Plan(request.Query, [], sql.Catalog, new SqlPlannerOptions());
                _ = NativeQueryJsonWriter.ToJson(plan.NativeQuery!);
                planLatencies.Add(clock.Elapsed.TotalMilliseconds);
            }

            await Console.Error.WriteLineAsync($"query: SQL P50 {BenchSilo.Percentile(sqlLatencies, 0.5):0.00} ms, P99 {BenchSilo.Percentile(sqlLatencies, 0.99):0.00} ms; front end alone P50 {BenchSilo.Percentile(planLatencies, 0.5):0.000} ms");
            var sqlQps = await MaxQpsAsync(b => sql.ExecuteAsync(b), sqlBodies, cancellationToken);
            await Console.Error.WriteLineAsync($"query: SQL max {sqlQps:N0} queries/s (32 in flight, 5 s)");
            var (duckP50, duckP99) = DuckDb(data, pins, start);
            await Console.Error.WriteLineAsync($"query: DuckDB P50 {duckP50:0.00} ms, P99 {duckP99:0.00} ms");
            return JsonSerializer.Serialize(new
            {
                scenario = "query",
                events,
                segments,
                p50_ms = Math.Round(BenchSilo.Percentile(latencies, 0.5), 3),
                p99_ms = Math.Round(BenchSilo.Percentile(latencies, 0.99), 3),
                max_qps = Math.Round(qps),
                sql_p50_ms = Math.Round(BenchSilo.Percentile(sqlLatencies, 0.5), 3),
                sql_p99_ms = Math.Round(BenchSilo.Percentile(sqlLatencies, 0.99), 3),
                sql_max_qps = Math.Round(sqlQps),
                sql_plan_p50_ms = Math.Round(BenchSilo.Percentile(planLatencies, 0.5), 3),
                duckdb_p50_ms = Math.Round(duckP50, 3),
                duckdb_p99_ms = Math.Round(duckP99, 3),
                scanned_fraction = Math.Round(scanned / considered, 4),
            });
        }
        finally
        {
            await BenchSilo.StopAndDeleteAsync(app, root);
        }
    }

    private static async Task<int> LoadAsync(IClusterClient client, BenchData data)
    {
        var groups = new Dictionary<string, (List<long> Offsets, List<byte[]> Events)>(StringComparer.Ordinal);
        var offsets = new long[Partitions];
        foreach (var (e, r) in data.Events.Zip(data.Parsed))
        {
            var partition = Murmur2Partitioner.Partition(e.Key, Partitions);
            var key = SegmentKey.Format(data.Spec.Name, data.Spec.SegmentStart(r.TimestampMs), partition);
            if (!groups.TryGetValue(key, out var g))
            {
                g = ([], []);
                groups[key] = g;
            }

            g.Offsets.Add(offsets[partition]++);
            g.Events.Add(e.Value);
        }

        await Parallel.ForEachAsync(groups, new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (kv, _) =>
        {
            var grain = client.GetGrain<ISegmentGrain>(kv.Key);
            for (var i = 0; i < kv.Value.Offsets.Count; i += 5_000)
            {
                var n = Math.Min(5_000, kv.Value.Offsets.Count - i);
                await grain.AppendAsync(new SegmentAppendBatch { Offsets = [.. kv.Value.Offsets.Skip(i).Take(n)], Events = [.. kv.Value.Events.Skip(i).Take(n)] });
            }

            await grain.SealAsync();
        });
        return groups.Count;
    }

    /// <summary>The SQL answers are the native ones: the event totals of each question agree (on the first 64 of each).</summary>
    private static async Task CheckSqlAsync(IQueryBrokerGrain broker, DruidSqlExecutor sql, byte[][] native, byte[][] sqlBodies)
    {
        for (var i = 0; i < 64; i++)
        {
            var n = await broker.QueryAsync(native[i]);
            var s = await sql.ExecuteAsync(sqlBodies[i]);
            if (n.StatusCode != 200 || s.StatusCode != 200)
            {
                throw new InvalidOperationException($"query {i}: {Encoding.UTF8.GetString(n.Body)} {Encoding.UTF8.GetString(s.Body)}");
            }

            using var nd = JsonDocument.Parse(n.Body);
            using var sd = JsonDocument.Parse(s.Body);
            var nativeTotal = i % 2 == 0
                ? nd.RootElement.EnumerateArray().Sum(r => r.GetProperty("result").GetProperty("events").GetInt64())
                : nd.RootElement[0].GetProperty("result").EnumerateArray().Sum(r => r.GetProperty("events").GetInt64());
            var sqlTotal = sd.RootElement.EnumerateArray().Sum(r => r[1].GetInt64());
            if (nativeTotal != sqlTotal)
            {
                throw new InvalidOperationException($"query {i}: SQL counted {sqlTotal} events, native {nativeTotal}");
            }
        }
    }

    private static async Task<double> MaxQpsAsync<T>(Func<byte[], Task<T>> run, byte[][] bodies, CancellationToken cancellationToken)
    {
        long done = 0;
        var clock = Stopwatch.StartNew();
        var duration = TimeSpan.FromSeconds(5);
        var workers = Enumerable.Range(0, 32).Select(async w =>
        {
            var i = w;
            while (clock.Elapsed < duration && !cancellationToken.IsCancellationRequested)
            {
                await run(bodies[i++ % bodies.Length]);
                Interlocked.Increment(ref done);
            }
        });
        await Task.WhenAll(workers);
        return done / clock.Elapsed.TotalSeconds;
    }

    private static (double P50, double P99) DuckDb(BenchData data, string[] pins, DateTimeOffset start)
    {
        using var connection = new DuckDBConnection("DataSource=:memory:");
        connection.Open();
        using (var create = connection.CreateCommand())
        {
            create.CommandText = "CREATE TABLE events (ts TIMESTAMP, pin_id VARCHAR, action VARCHAR, device VARCHAR, app_version VARCHAR, user_id VARCHAR, ip VARCHAR)";
            create.ExecuteNonQuery();
        }

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

        var from = start.UtcDateTime;
        var to = start.AddHours(24).UtcDateTime;
        var latencies = new List<double>(Samples);
        for (var i = 0; i < Samples; i++)
        {
            using var command = connection.CreateCommand();
            command.CommandText = i % 2 == 0
                ? "SELECT date_trunc('hour', ts) AS h, count(*) FROM events WHERE pin_id = $pin AND ts >= $from AND ts < $to GROUP BY h ORDER BY h"
                : "SELECT action, count(*) AS c FROM events WHERE pin_id = $pin AND ts >= $from AND ts < $to GROUP BY action ORDER BY c DESC, action LIMIT 5";
            command.Parameters.Add(new DuckDBParameter("pin", pins[i % pins.Length]));
            command.Parameters.Add(new DuckDBParameter("from", from));
            command.Parameters.Add(new DuckDBParameter("to", to));
            var clock = Stopwatch.StartNew();
            using (var reader = command.ExecuteReader())
            {
                while (reader.Read())
                {
                    _ = reader.GetValue(1);
                }
            }

            latencies.Add(clock.Elapsed.TotalMilliseconds);
        }

        return (BenchSilo.Percentile(latencies, 0.5), BenchSilo.Percentile(latencies, 0.99));
    }
}
