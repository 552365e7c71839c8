using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using StackExchange.Redis;
using Tributary.Segments;

namespace Tributary.Cli.Bench;

/// <summary>
/// <c>bench catalog</c>: registers 10,000 sealed segments (625 hours x 16 partitions) in one datasource's
/// <see cref="IDatasourceCatalogGrain"/> of an embedded silo whose grain storage is Redis, as in the cluster profile
/// (<c>TRIBUTARY_REDIS</c>, which <c>./build.sh bench</c> starts). Reports the mean time per registration over
/// registrations 500-999 and 9,500-9,999 and their ratio (flat when a registration costs the same at any timeline size),
/// and the bytes the catalog's rows hold in Redis per segment (every field value of its keys). The two windows run
/// interleaved, one registration each in turn into a catalog at 1,000 segments and one at 10,000, so a load burst on
/// the shared machine lands on both alike.
/// </summary>
internal static class CatalogBench
{
    private const int Partitions = 16;
    private const int Window = 500;
    private const long HourMillis = 3_600_000;

    public static async Task<string> RunAsync(BenchSettings settings, CancellationToken cancellationToken)
    {
        var segments = (int)(settings.Events ?? 10_000);
        if (segments < 2_000)
        {
            throw new ArgumentOutOfRangeException(nameof(settings), $"--events (the segments to register) must be at least 2,000 for bench catalog (was {segments}).");
        }

        var redis = Environment.GetEnvironmentVariable("TRIBUTARY_REDIS") is { Length: > 0 } given
            ? given
            : throw new InvalidOperationException("bench catalog measures the catalog under Redis grain storage: set TRIBUTARY_REDIS (./build.sh bench catalog starts Redis and sets it).");
        var overrides = new Dictionary<string, string?>(StringComparer.Ordinal);
        EmbeddedSilo.KeepOnlyStreams(overrides, "segments");
        var root = Path.Combine(Path.GetTempPath(), $"tributary-bench-catalog-{Environment.ProcessId}");
        overrides["Tributary:GrainStorage"] = "redis";
        overrides["Tributary:RedisConnectionString"] = redis;
        overrides["Tributary:HttpUrls"] = $"http://127.0.0.1:{EmbeddedSilo.FreePort()}";
        overrides["Tributary:SiloPort"] = EmbeddedSilo.FreePort().ToString(CultureInfo.InvariantCulture);
        overrides["Tributary:GatewayPort"] = EmbeddedSilo.FreePort().ToString(CultureInfo.InvariantCulture);
        overrides["Tributary:Segments:Store:LocalPath"] = Path.Combine(root, "store");
        var app = EmbeddedSilo.Build("embedded", overrides, quiet: true);
        await app.StartAsync(cancellationToken);
        var run = $"{DateTime.UtcNow:yyyyMMddHHmmss}{Environment.ProcessId}";
        var datasource = $"bench_catalog_{run}";
        using var connection = await ConnectionMultiplexer.ConnectAsync(redis);
        try
        {
            var client = app.Services.GetRequiredService<IClusterClient>();

            // Warm up (JIT, Redis connection, grain directory) on another datasource, so the first window is steady state.
            var warm = client.GetGrain<IDatasourceCatalogGrain>($"bench_catalog_warm_{run}");
            for (var i = 0; i < 2_000; i++)
            {
                await warm.RegisterAsync(Entry($"bench_catalog_warm_{run}", i));
            }

            // Two catalogs, one filled to 1,000 - Window and one to segments - Window; then their last Window
            // registrations alternate, so both windows see the same machine load (the machine is shared).
            var small = $"bench_catalog_small_{run}";
            var catalog = client.GetGrain<IDatasourceCatalogGrain>(datasource);
            var smallCatalog = client.GetGrain<IDatasourceCatalogGrain>(small);
            var total = Stopwatch.StartNew();
            for (var i = 0; i < segments - Window; i++)
            {
                await catalog.RegisterAsync(Entry(datasource, i));
            }

            for (var i = 0; i < 1_000 - Window; i++)
            {
                await smallCatalog.RegisterAsync(Entry(small, i));
            }

            var at1kMicros = new double[Window];
            var atEndMicros = new double[Window];
            for (var i = 0; i < Window; i++)
            {
                var start = Stopwatch.GetTimestamp();
                await smallCatalog.RegisterAsync(Entry(small, 1_000 - Window + i));
                at1kMicros[i] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
                start = Stopwatch.GetTimestamp();
                await catalog.RegisterAsync(Entry(datasource, segments - Window + i));
                atEndMicros[i] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
            }

            total.Stop();
            var timeline = await catalog.GetTimelineAsync();
            if (timeline.Segments.Length != segments)
            {
                throw new InvalidOperationException($"the timeline holds {timeline.Segments.Length} segments, {segments} were registered");
            }

            var at1k = at1kMicros.Average();
            var atEnd = atEndMicros.Average();
            var bytes = await StateBytesAsync(connection, datasource);
            await Console.Error.WriteLineAsync($"catalog: {segments + 1_000:N0} registrations in {total.Elapsed.TotalSeconds:0.0} s; {at1k:0} us each at 1,000, {atEnd:0} us at {segments:N0} (medians {Median(at1kMicros):0} and {Median(atEndMicros):0} us); {bytes:N0} bytes of catalog state in Redis");
            return JsonSerializer.Serialize(new
            {
                scenario = "catalog",
                segments,
                per_registration_us_1k = Math.Round(at1k, 1),
                per_registration_us_10k = Math.Round(atEnd, 1),
                per_registration_ratio_10k_to_1k = Math.Round(atEnd / at1k, 3),
                per_registration_median_ratio_10k_to_1k = Math.Round(Median(atEndMicros) / Median(at1kMicros), 3),
                state_bytes = bytes,
                state_bytes_per_segment = Math.Round((double)bytes / segments, 1),
            });
        }
        finally
        {
            await DeleteAsync(connection, $"bench_catalog_*{run}");
            await app.StopAsync(CancellationToken.None);
            await app.DisposeAsync();
            try
            {
                Directory.Delete(root, recursive: true);
            }
            catch (IOException)
            {
                // best effort (or never created): the temp directory is reclaimed later
            }
        }
    }

    private static double Median(double[] values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    /// <summary>A sealed segment as a segment grain registers it: hour i / 16, partition i % 16, objects in the usual layout.</summary>
    private static SegmentTimelineEntry Entry(string datasource, int i)
    {
        var start = 1_767_225_600_000L + (i / Partitions * HourMillis);
        var key = SegmentKey.Format(datasource, start, i % Partitions);
        return new SegmentTimelineEntry
        {
            Key = key,
            StartMs = start,
            EndMs = start + HourMillis,
            Partition = i % Partitions,
            State = SegmentState.Sealed,
            RowCount = 40_000 + (i % 997),
            EventCount = 130_000 + (i % 1_009),
            ObjectKey = SegmentObjectKey.Sealed("segments", key),
            BloomObjectKey = SegmentObjectKey.Bloom("segments", key),
            SizeBytes = 1_300_000 + (i % 4_099),
        };
    }

    /// <summary>Bytes of every value the catalog's keys hold (hash fields or strings) in Redis.</summary>
    private static async Task<long> StateBytesAsync(ConnectionMultiplexer connection, string datasource)
    {
        var db = connection.GetDatabase();
        long bytes = 0;
        var keys = 0;
        foreach (var server in connection.GetServers())
        {
            await foreach (var key in server.KeysAsync(pattern: $"*{datasource}*"))
            {
                keys++;
                switch (await db.KeyTypeAsync(key))
                {
                    case RedisType.Hash:
                        foreach (var field in await db.HashGetAllAsync(key))
                        {
                            bytes += ((byte[])field.Value!).Length;
                        }

                        break;
                    case RedisType.String:
                        bytes += await db.StringLengthAsync(key);
                        break;
                    case var other:
                        throw new InvalidOperationException($"catalog key {key} is a Redis {other}, not a hash or string");
                }
            }
        }

        if (keys == 0)
        {
            throw new InvalidOperationException($"no Redis key holds datasource {datasource}: is the silo's grain storage Redis?");
        }

        return bytes;
    }

    private static async Task DeleteAsync(ConnectionMultiplexer connection, string pattern)
    {
        var db = connection.GetDatabase();
        foreach (var server in connection.GetServers())
        {
            await foreach (var key in server.KeysAsync(pattern: pattern))
            {
                await db.KeyDeleteAsync(key);
            }
        }
    }
}
