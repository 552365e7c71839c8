using System.Buffers;
using System.Text;
using System.Text.Json;

namespace Tributary.Query;

/// <summary>Why a segment is or is not visited.</summary>
public enum PruneDecision
{
    /// <summary>The segment may hold matching rows: scan it.</summary>
    Scan,

    /// <summary>The segment's time range misses every query interval.</summary>
    PrunedByInterval,

    /// <summary>The segment's partition cannot hold any key the filter admits.</summary>
    PrunedByPartition,

    /// <summary>The segment's Bloom filter rules out every key the filter admits that could be in its partition.</summary>
    PrunedByBloomFilter,
}

/// <summary>
/// A segment as the planner sees it: time range, Kafka partition and, for a sealed segment, a Bloom-filter probe of
/// its partition-key values (<c>null</c> for open segments, which are always checked by their rows).
/// </summary>
public sealed record SegmentDescriptor(string Id, long Start, long End, int Partition, Func<string, bool>? MightContain = null);

/// <summary>
/// The pruning plan of one query: which time ranges, partitions and keys can hold matching rows. Built by
/// <see cref="QueryPlanner.Plan"/>; <see cref="Decide"/> is sound: it never prunes a segment that holds a row the
/// query matches (given a Bloom filter without false negatives).
/// </summary>
public sealed class QueryPlan
{
    private readonly Dictionary<int, List<string>>? _keysByPartition;

    internal QueryPlan(NativeQuery query, PartitionLayout? partitioning)
    {
        Query = query;
        Partitioning = partitioning;
        // a virtual column named like the key shadows it: its values say nothing about the partitions
        Keys = partitioning is null || query is SegmentMetadataQuery || query.VirtualColumns.Any(v => v.Name == partitioning.KeyDimension)
            ? KeyConstraint.Unconstrained
            : KeyConstraint.Derive(query.Filter, partitioning.KeyDimension);
        if (partitioning is not null && Keys.Values is { } values)
        {
            _keysByPartition = [];
            foreach (var key in values.Order(StringComparer.Ordinal))
            {
                foreach (var p in partitioning.PartitionsOf(key))
                {
                    if (!_keysByPartition.TryGetValue(p, out var list))
                    {
                        list = [];
                        _keysByPartition[p] = list;
                    }

                    list.Add(key);
                }
            }
        }
    }

    /// <summary>The query planned.</summary>
    public NativeQuery Query { get; }

    /// <summary>The datasource's partitioning, if known.</summary>
    public PartitionLayout? Partitioning { get; }

    /// <summary>The partition-key values a matching row can have.</summary>
    public KeyConstraint Keys { get; }

    /// <summary>The partitions that can hold matching rows, or null for all.</summary>
    public IReadOnlyCollection<int>? Partitions => _keysByPartition?.Keys;

    /// <summary>The keys that map to <paramref name="partition"/> (to probe that partition's Bloom filters), or null if unconstrained.</summary>
    public IReadOnlyList<string>? KeysFor(int partition) =>
        _keysByPartition is null ? null : _keysByPartition.TryGetValue(partition, out var keys) ? keys : [];

    /// <summary>Whether to scan <paramref name="segment"/>, and if not, why.</summary>
    public PruneDecision Decide(SegmentDescriptor segment)
    {
        ArgumentNullException.ThrowIfNull(segment);
        if (!Overlaps(Query.Intervals, segment.Start, segment.End))
        {
            return PruneDecision.PrunedByInterval;
        }

        if (KeysFor(segment.Partition) is not { } keys)
        {
            return PruneDecision.Scan;
        }

        if (keys.Count == 0)
        {
            return PruneDecision.PrunedByPartition;
        }

        if (segment.MightContain is { } mightContain)
        {
            foreach (var key in keys)
            {
                if (mightContain(key))
                {
                    return PruneDecision.Scan;
                }
            }

            return PruneDecision.PrunedByBloomFilter;
        }

        return PruneDecision.Scan;
    }

    /// <summary>Decides every segment, returns those to scan and fills <paramref name="report"/>; enforces <c>maxSegments</c>.</summary>
    public List<SegmentDescriptor> Prune(IEnumerable<SegmentDescriptor> segments, PruningReport report, QueryLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(segments);
        ArgumentNullException.ThrowIfNull(report);
        var scan = new List<SegmentDescriptor>();
        foreach (var segment in segments)
        {
            var decision = Decide(segment);
            report.Record(segment.Id, decision);
            if (decision == PruneDecision.Scan)
            {
                scan.Add(segment);
            }
        }

        (limits ?? QueryLimits.Unlimited).CheckSegments(scan.Count);
        return scan;
    }

    /// <summary>True if [<paramref name="start"/>, <paramref name="end"/>) overlaps one of <paramref name="intervals"/>.</summary>
    public static bool Overlaps(IReadOnlyList<Interval> intervals, long start, long end)
    {
        ArgumentNullException.ThrowIfNull(intervals);
        foreach (var interval in intervals)
        {
            if (interval.Overlaps(start, end))
            {
                return true;
            }
        }

        return false;
    }
}

/// <summary>Builds <see cref="QueryPlan"/>s and enumerates the hour segments a query's intervals touch.</summary>
public static class QueryPlanner
{
    /// <summary>Segment granularity of Tributary datasources: one hour.</summary>
    public const long HourMillis = 3_600_000;

    /// <summary>Plans <paramref name="query"/>; without <paramref name="partitioning"/> only interval pruning applies.</summary>
    public static QueryPlan Plan(NativeQuery query, PartitionLayout? partitioning)
    {
        ArgumentNullException.ThrowIfNull(query);
        return new QueryPlan(query, partitioning);
    }

    /// <summary>
    /// Starts of the segments of length <paramref name="segmentMillis"/> (aligned to the epoch) that overlap the
    /// intervals, ascending; more than <paramref name="maxSegments"/> (e.g. for unbounded intervals) fails with
    /// <see cref="QueryLimitExceededException"/>, so callers with a catalog should filter its timeline with
    /// <see cref="QueryPlan.Overlaps"/> instead.
    /// </summary>
    public static IReadOnlyList<long> SegmentStarts(IReadOnlyList<Interval> intervals, long maxSegments, long segmentMillis = HourMillis)
    {
        ArgumentNullException.ThrowIfNull(intervals);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(segmentMillis);
        var starts = new SortedSet<long>();
        foreach (var interval in Interval.Condense(intervals))
        {
            var first = IsoTime.FloorDiv(interval.Start, segmentMillis);
            var last = IsoTime.FloorDiv(interval.End - 1, segmentMillis);
            if (last - first + 1 + starts.Count > maxSegments)
            {
                throw new QueryLimitExceededException("maxSegments", $"Resource limit exceeded: the intervals span more than {maxSegments} segments (maxSegments)");
            }

            for (var s = first; s <= last; s++)
            {
                starts.Add(s * segmentMillis);
            }
        }

        return [.. starts];
    }
}

/// <summary>
/// What pruning did for one query, for <c>context.explain</c>: segments considered, pruned by interval, by partition
/// and by Bloom filter, and scanned.
/// </summary>
public sealed class PruningReport
{
    private readonly List<string> _scanned = [];
    private readonly List<string> _prunedByPartition = [];
    private readonly List<string> _prunedByBloomFilter = [];

    /// <summary>Segments looked at.</summary>
    public int Considered { get; private set; }

    /// <summary>Segments outside the intervals.</summary>
    public int PrunedByInterval { get; private set; }

    /// <summary>Segments of partitions no admitted key hashes to.</summary>
    public int PrunedByPartition => _prunedByPartition.Count;

    /// <summary>Segments whose Bloom filter ruled out every admitted key.</summary>
    public int PrunedByBloomFilter => _prunedByBloomFilter.Count;

    /// <summary>Segments scanned.</summary>
    public int Scanned => _scanned.Count;

    /// <summary>Ids of the scanned segments.</summary>
    public IReadOnlyList<string> ScannedSegments => _scanned;

    /// <summary>Records one decision.</summary>
    public void Record(string segmentId, PruneDecision decision)
    {
        Considered++;
        switch (decision)
        {
            case PruneDecision.PrunedByInterval:
                PrunedByInterval++;
                break;
            case PruneDecision.PrunedByPartition:
                _prunedByPartition.Add(segmentId);
                break;
            case PruneDecision.PrunedByBloomFilter:
                _prunedByBloomFilter.Add(segmentId);
                break;
            default:
                _scanned.Add(segmentId);
                break;
        }
    }

    /// <summary>Writes <c>{"segmentsConsidered":..,"prunedByInterval":..,"prunedByPartition":..,"prunedByBloomFilter":..,"scanned":..,"scannedSegments":[..],...}</c>.</summary>
    public void WriteTo(Utf8JsonWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStartObject();
        writer.WriteNumber("segmentsConsidered", Considered);
        writer.WriteNumber("prunedByInterval", PrunedByInterval);
        writer.WriteNumber("prunedByPartition", PrunedByPartition);
        writer.WriteNumber("prunedByBloomFilter", PrunedByBloomFilter);
        writer.WriteNumber("scanned", Scanned);
        WriteList(writer, "scannedSegments", _scanned);
        WriteList(writer, "prunedByPartitionSegments", _prunedByPartition);
        WriteList(writer, "prunedByBloomFilterSegments", _prunedByBloomFilter);
        writer.WriteEndObject();
    }

    /// <summary>The report as JSON text.</summary>
    public string ToJson()
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            WriteTo(writer);
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static void WriteList(Utf8JsonWriter writer, string name, List<string> items)
    {
        writer.WriteStartArray(name);
        foreach (var item in items)
        {
            writer.WriteStringValue(item);
        }

        writer.WriteEndArray();
    }
}
