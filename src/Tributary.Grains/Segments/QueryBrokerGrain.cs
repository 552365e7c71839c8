using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;
using Tributary.Bitmaps.Bloom;
using Tributary.Grains.Telemetry;
using Tributary.Query;
using Tributary.Segments;

namespace Tributary.Grains.Segments;

/// <summary>
/// Answers Druid native queries: parses, resolves limits, plans with <see cref="QueryPlanner"/> against the
/// datasource's timeline (interval, partition with the fanOutSize rule, Bloom filters of sealed segments), queries the
/// remaining <see cref="ISegmentGrain"/>s with bounded parallelism, merges with <see cref="QueryMerger"/> under the
/// per-query timeout, and writes Druid's response JSON (or Druid's error JSON with its status).
/// </summary>
[StatelessWorker]
public sealed class QueryBrokerGrain : Grain, IQueryBrokerGrain
{
    private readonly DatasourceRegistry _registry;
    private readonly ISegmentQueryExecutor _executor;
    private readonly SegmentsOptions _options;
    private readonly TimeProvider _time;
    private readonly BloomFilterCache _blooms;

    /// <summary>Creates the grain.</summary>
    public QueryBrokerGrain(DatasourceRegistry registry, ISegmentQueryExecutor executor, IOptions<SegmentsOptions> options, BloomFilterCache blooms, TimeProvider time)
    {
        _registry = registry;
        _executor = executor;
        _options = options.Value;
        _blooms = blooms;
        _time = time;
    }

    /// <inheritdoc />
    public ValueTask<string[]> GetDatasourcesAsync() => ValueTask.FromResult(_registry.Names.ToArray());

    /// <inheritdoc />
    public async ValueTask<QueryResponse> GetDatasourceAsync(string name, string? interval = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (_registry.Find(name) is not { } spec)
        {
            var notFound = new DruidError(404, "Resource not found", $"datasource '{name}' not found (known: {string.Join(", ", _registry.Names)})", "org.apache.druid.java.util.common.ISE");
            return new QueryResponse { StatusCode = 404, Body = System.Text.Encoding.UTF8.GetBytes(notFound.ToJson()) };
        }

        try
        {
            var any = true;
            if (!string.IsNullOrEmpty(interval))
            {
                // Druid answers from the segments overlapping the interval: none there, no columns
                var range = Interval.Parse(interval, "interval");
                var timeline = await GrainFactory.GetGrain<IDatasourceCatalogGrain>(spec.Name).GetTimelineAsync();
                any = timeline.Segments.Any(s => range.Overlaps(s.StartMs, s.EndMs));
            }

            var buffer = new ArrayBufferWriter<byte>();
            using (var writer = new Utf8JsonWriter(buffer))
            {
                writer.WriteStartObject();
                writer.WriteStartArray("dimensions");
                foreach (var d in any ? spec.Dimensions : [])
                {
                    writer.WriteStringValue(d.Name);
                }

                writer.WriteEndArray();
                writer.WriteStartArray("metrics");
                foreach (var m in any ? spec.Metrics : [])
                {
                    writer.WriteStringValue(m.Name);
                }

                writer.WriteEndArray();
                writer.WriteEndObject();
            }

            return new QueryResponse { StatusCode = 200, Body = buffer.WrittenSpan.ToArray() };
        }
        catch (QueryValidationException ex)
        {
            var error = DruidError.FromException(ex);
            return new QueryResponse { StatusCode = error.StatusCode, Body = System.Text.Encoding.UTF8.GetBytes(error.ToJson()) };
        }
    }

    /// <inheritdoc />
    public async ValueTask<QueryResponse> QueryAsync(byte[] queryJson, bool explain = false)
    {
        ArgumentNullException.ThrowIfNull(queryJson);
        var started = Stopwatch.GetTimestamp();
        var (datasource, queryType) = ("unknown", "unknown");
        var response = await QueryCoreAsync(queryJson, explain, (d, t) => (datasource, queryType) = (d, t));
        TributaryMetrics.QueryDuration.Record(
            Stopwatch.GetElapsedTime(started).TotalMilliseconds,
            new KeyValuePair<string, object?>("datasource", datasource),
            new KeyValuePair<string, object?>("query_type", queryType),
            new KeyValuePair<string, object?>("status", response.StatusCode.ToString(CultureInfo.InvariantCulture)));
        return response;
    }

    /// <summary>The query; <paramref name="parsed"/> learns its datasource and type once parsed (the metric's tags; a query that does not parse keeps "unknown").</summary>
    private async ValueTask<QueryResponse> QueryCoreAsync(byte[] queryJson, bool explain, Action<string, string> parsed)
    {
        try
        {
            var query = QueryParser.Parse(queryJson);
            explain |= query.Context.Explain;
            var spec = _registry.Find(query.DataSource)
                ?? throw new QueryValidationException("dataSource", $"unknown datasource '{query.DataSource}' (known: {string.Join(", ", _registry.Names)})");
            parsed(spec.Name, query.QueryType);
            var limits = QueryLimits.Resolve(query.Context, _options.Limits);
            using var timeout = limits.CreateTimeoutSource(_time);
            var timeline = await GrainFactory.GetGrain<IDatasourceCatalogGrain>(spec.Name).GetTimelineAsync();
            var plan = QueryPlanner.Plan(query, _registry.Layout(spec.Name));
            var report = new PruningReport();
            var descriptors = await DescribeAsync(timeline.Segments, plan, timeout.Token);
            var scan = plan.Prune(descriptors, report, limits);
            var tags = new TagList { { "datasource", spec.Name }, { "query_type", query.QueryType } };
            CountPruned(report, tags);
            var scanned = 0;
            var sketches = _executor.Sketches(spec);
            var merger = new QueryMerger(query, limits, sketches);
            if (query is DataSourceMetadataQuery)
            {
                // the latest row lies in the latest segment interval holding any row: ask the segments newest
                // interval first and stop at the first interval that answers, instead of loading every segment
                foreach (var interval in scan.GroupBy(d => d.Start).OrderByDescending(g => g.Key))
                {
                    await FanOutAsync([.. interval], queryJson, query, sketches, merger, timeout.Token);
                    scanned += interval.Count();
                    if (merger.Complete(timeout.Token) is DataSourceMetadataResult { MaxIngestedEventTime: not null })
                    {
                        break;
                    }
                }
            }
            else
            {
                await FanOutAsync(scan, queryJson, query, sketches, merger, timeout.Token);
                scanned = scan.Count;
            }

            TributaryMetrics.QuerySegmentsScanned.Add(scanned, tags);

            var result = merger.Complete(timeout.Token);
            return new QueryResponse { StatusCode = 200, Body = Write(result, explain ? report : null), Explain = explain ? report.ToJson() : null };
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            var error = DruidError.FromException(ex is OperationCanceledException ? new QueryTimeoutException(TimeSpan.Zero) : ex);
            return new QueryResponse { StatusCode = error.StatusCode, Body = System.Text.Encoding.UTF8.GetBytes(error.ToJson()) };
        }
    }

    private static void CountPruned(PruningReport report, TagList tags)
    {
        foreach (var (reason, count) in (ReadOnlySpan<(string, int)>)[("interval", report.PrunedByInterval), ("partition", report.PrunedByPartition), ("bloom_filter", report.PrunedByBloomFilter)])
        {
            var withReason = tags;
            withReason.Add("reason", reason);
            TributaryMetrics.QuerySegmentsPruned.Add(count, withReason);
        }
    }

    /// <summary>
    /// Describes the timeline's segments for pruning. Bloom filters are loaded (through the cache) only for sealed
    /// segments that interval and partition pruning keep and that the query constrains by key, i.e. only where a filter
    /// can still prune; a segment whose filter cannot be loaded is described without one, so it is scanned.
    /// </summary>
    private async Task<SegmentDescriptor[]> DescribeAsync(SegmentTimelineEntry[] entries, QueryPlan plan, CancellationToken cancellationToken)
    {
        var descriptors = new SegmentDescriptor[entries.Length];
        var loads = new List<(int Index, ValueTask<BlockedBloomFilter?> Load)>();
        for (var i = 0; i < entries.Length; i++)
        {
            var entry = entries[i];
            var descriptor = new SegmentDescriptor(entry.Key, entry.StartMs, entry.EndMs, entry.Partition);
            descriptors[i] = descriptor;
            if (entry is { State: SegmentState.Sealed, BloomObjectKey: { } bloomKey }
                && plan.KeysFor(entry.Partition) is { Count: > 0 }
                && plan.Decide(descriptor) == PruneDecision.Scan)
            {
                // Cache hits complete at once; misses read the store, at most MaxQueryParallelism at a time.
                loads.Add((i, _blooms.GetOrLoadAsync(entry.Key, bloomKey, cancellationToken)));
                if (loads.Count >= _options.MaxQueryParallelism)
                {
                    await CompleteAsync();
                }
            }
        }

        await CompleteAsync();
        return descriptors;

        async Task CompleteAsync()
        {
            foreach (var (index, load) in loads)
            {
                if (await load is { } bloom)
                {
                    descriptors[index] = descriptors[index] with { MightContain = bloom.MayContain };
                }
            }

            loads.Clear();
        }
    }

    private async Task FanOutAsync(List<SegmentDescriptor> scan, byte[] queryJson, NativeQuery query, Query.ICardinalitySketchFactory sketches, QueryMerger merger, CancellationToken cancellationToken)
    {
        var running = new List<Task<byte[]>>(Math.Min(scan.Count, _options.MaxQueryParallelism));
        var next = 0;
        while (next < scan.Count || running.Count > 0)
        {
            while (next < scan.Count && running.Count < _options.MaxQueryParallelism)
            {
                running.Add(GrainFactory.GetGrain<ISegmentGrain>(scan[next++].Id).QueryAsync(queryJson, cancellationToken).AsTask());
            }

            var done = await Task.WhenAny(running).WaitAsync(cancellationToken);
            running.Remove(done);
            merger.Add(PartialResultCodec.Deserialize(await done, query, sketches));
        }
    }

    private static byte[] Write(QueryResult result, PruningReport? report)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            if (report is null)
            {
                QueryResultWriter.Write(writer, result);
            }
            else
            {
                writer.WriteStartObject();
                writer.WritePropertyName("result");
                QueryResultWriter.Write(writer, result);
                writer.WritePropertyName("explain");
                report.WriteTo(writer);
                writer.WriteEndObject();
            }
        }

        return buffer.WrittenSpan.ToArray();
    }
}
