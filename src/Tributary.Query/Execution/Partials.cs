namespace Tributary.Query;

/// <summary>The values of a row's grouping dimensions (empty for timeseries, one for topN); compared ordinally.</summary>
public sealed class GroupKey : IEquatable<GroupKey>
{
    private readonly string?[] _values;
    private readonly int _hash;

    /// <summary>The key of timeseries rows.</summary>
    public static readonly GroupKey Empty = new([]);

    /// <summary>Creates a key; the array is owned by the key afterwards.</summary>
    public GroupKey(string?[] values)
    {
        _values = values;
        var hash = new HashCode();
        foreach (var v in values)
        {
            hash.Add(v, StringComparer.Ordinal);
        }

        _hash = hash.ToHashCode();
    }

    /// <summary>The dimension values, null for missing.</summary>
    public IReadOnlyList<string?> Values => _values;

    /// <inheritdoc />
    public bool Equals(GroupKey? other)
    {
        if (other is null || other._hash != _hash || other._values.Length != _values.Length)
        {
            return false;
        }

        for (var i = 0; i < _values.Length; i++)
        {
            if (!string.Equals(_values[i], other._values[i], StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as GroupKey);

    /// <inheritdoc />
    public override int GetHashCode() => _hash;

    /// <inheritdoc />
    public override string ToString() => "[" + string.Join(", ", _values.Select(v => v ?? "null")) + "]";
}

/// <summary>
/// What one segment contributes to a query, before merging. Produced by the segment engine (or the
/// <see cref="ReferenceEvaluator"/>) and combined by <see cref="QueryMerger"/>, which merges exactly.
/// </summary>
public abstract class PartialResult
{
    /// <summary>The segment that produced it (scan batches and segmentMetadata report it; merge order for scan).</summary>
    public string SegmentId { get; init; } = string.Empty;
}

/// <summary>
/// A partial of timeseries, topN or groupBy: per granularity bucket (<see cref="Granularity.Truncate"/> of the row
/// time, <see cref="Granularity.AllBucket"/> for "all"), per group, the aggregator states in query order.
/// For topN each bucket holds at most <see cref="TopNQuery.SegmentThreshold"/> groups.
/// </summary>
public sealed class AggregatePartial : PartialResult
{
    /// <summary>Bucket start to group to aggregator states.</summary>
    public Dictionary<long, Dictionary<GroupKey, IAggregatorState[]>> Buckets { get; } = [];

    /// <summary>The earliest row time aggregated (reported as the "all" bucket's time for unbounded intervals).</summary>
    public long? MinTimestamp { get; set; }
}

/// <summary>A scan row: its time and its values in the partial's <see cref="ScanPartial.Columns"/> order.</summary>
public sealed record ScanRow(long Timestamp, object?[] Values);

/// <summary>A scan partial: the segment's matching rows (time-ordered when the query is), at most offset+limit of them.</summary>
public sealed class ScanPartial(IReadOnlyList<string> columns, List<ScanRow> rows) : PartialResult
{
    /// <summary>The columns of <see cref="Rows"/>.</summary>
    public IReadOnlyList<string> Columns { get; } = columns;

    /// <summary>The rows.</summary>
    public List<ScanRow> Rows { get; } = rows;
}

/// <summary>A timeBoundary partial.</summary>
public sealed class TimeBoundaryPartial(long? minTime, long? maxTime) : PartialResult
{
    /// <summary>Earliest matching row time, if any.</summary>
    public long? MinTime { get; } = minTime;

    /// <summary>Latest matching row time, if any.</summary>
    public long? MaxTime { get; } = maxTime;
}

/// <summary>A segmentMetadata partial: the segment's analysis.</summary>
public sealed class SegmentMetadataPartial(SegmentAnalysis analysis) : PartialResult
{
    /// <summary>The analysis.</summary>
    public SegmentAnalysis Analysis { get; } = analysis;
}

/// <summary>
/// Builds an <see cref="AggregatePartial"/>: the segment engine (or the reference evaluator) asks for the states of
/// each (row time, group) and feeds them; <see cref="Build"/> applies topN's per-segment threshold.
/// </summary>
public sealed class AggregatePartialBuilder
{
    private readonly AggregationQuery _query;
    private readonly ICardinalitySketchFactory? _sketches;
    private readonly QueryLimits _limits;
    private readonly AggregatePartial _partial;
    private long _groups;

    /// <summary>Creates a builder for one segment.</summary>
    public AggregatePartialBuilder(AggregationQuery query, ICardinalitySketchFactory? sketches, QueryLimits? limits = null, string segmentId = "")
    {
        _query = query;
        _sketches = sketches;
        _limits = limits ?? QueryLimits.Unlimited;
        _partial = new AggregatePartial { SegmentId = segmentId };
    }

    /// <summary>The states of the group <paramref name="key"/> in the bucket of <paramref name="timestamp"/>, created on first use.</summary>
    public IAggregatorState[] GetStates(long timestamp, GroupKey key)
    {
        if (_partial.MinTimestamp is not { } min || timestamp < min)
        {
            _partial.MinTimestamp = timestamp;
        }

        var bucket = _query.Granularity.Truncate(timestamp);
        if (!_partial.Buckets.TryGetValue(bucket, out var groups))
        {
            _limits.CheckBuckets(_partial.Buckets.Count + 1);
            groups = [];
            _partial.Buckets[bucket] = groups;
        }

        if (!groups.TryGetValue(key, out var states))
        {
            if (_query is GroupByQuery)
            {
                _limits.CheckRows(++_groups, "the number of groups in a segment");
            }

            states = AggregatorStates.CreateAll(_query.Aggregations, _sketches);
            groups[key] = states;
        }

        return states;
    }

    /// <summary>The partial; for topN, each bucket trimmed to its best <see cref="TopNQuery.SegmentThreshold"/> groups.</summary>
    public AggregatePartial Build()
    {
        if (_query is TopNQuery topN)
        {
            foreach (var bucket in _partial.Buckets.Keys.ToList())
            {
                var groups = _partial.Buckets[bucket];
                var ranked = TopNRanking.Rank(topN, groups, topN.SegmentThreshold);
                if (ranked.Count < groups.Count)
                {
                    _partial.Buckets[bucket] = ranked.ToDictionary(r => r.Key, r => r.States);
                }
            }
        }

        return _partial;
    }
}

/// <summary>A ranked topN candidate.</summary>
internal sealed record TopNCandidate(GroupKey Key, IAggregatorState[] States, OrderedDictionary<string, object?> Row);

/// <summary>topN's ordering, shared by the per-segment trim and the final merge so both rank identically.</summary>
internal static class TopNRanking
{
    public static List<TopNCandidate> Rank(TopNQuery query, IEnumerable<KeyValuePair<GroupKey, IAggregatorState[]>> groups, int take)
    {
        var stop = FindPreviousStop(query.Metric);
        var candidates = new List<TopNCandidate>();
        foreach (var (key, states) in groups)
        {
            if (stop is { } s && StringComparers.Compare(key.Values[0], s.Stop, s.Ordering) <= 0)
            {
                continue;
            }

            candidates.Add(new TopNCandidate(key, states, ResultRows.Finalize(query, key, states)));
        }

        candidates.Sort((a, b) =>
        {
            var c = Primary(query.Metric, a, b);
            return c != 0 ? c : StringComparers.Compare(a.Key.Values[0], b.Key.Values[0], StringOrdering.Lexicographic);
        });
        if (candidates.Count > take)
        {
            candidates.RemoveRange(take, candidates.Count - take);
        }

        return candidates;
    }

    private static (string Stop, StringOrdering Ordering)? FindPreviousStop(TopNMetricSpec metric) => metric switch
    {
        DimensionTopNMetric { PreviousStop: { } stop } d => (stop, d.Ordering),
        _ => null,
    };

    private static int Primary(TopNMetricSpec metric, TopNCandidate a, TopNCandidate b)
    {
        switch (metric)
        {
            case NumericTopNMetric n:
                // Highest first; null (nothing aggregated) ranks last.
                var av = PostAggregator.AsDouble(a.Row.GetValueOrDefault(n.Metric));
                var bv = PostAggregator.AsDouble(b.Row.GetValueOrDefault(n.Metric));
                if (av is null || bv is null)
                {
                    return av is null ? (bv is null ? 0 : 1) : -1;
                }

                return bv.Value.CompareTo(av.Value);
            case InvertedTopNMetric i:
                return -Primary(i.Inner, a, b);
            case DimensionTopNMetric d:
                return StringComparers.Compare(a.Key.Values[0], b.Key.Values[0], d.Ordering);
            default:
                return 0;
        }
    }
}

/// <summary>Turns merged states into result rows.</summary>
internal static class ResultRows
{
    public static OrderedDictionary<string, object?> Finalize(AggregationQuery query, GroupKey key, IAggregatorState[] states)
    {
        var row = new OrderedDictionary<string, object?>(StringComparer.Ordinal);
        var dims = query.GroupDimensions;
        for (var i = 0; i < dims.Count; i++)
        {
            row[dims[i].OutputName] = DimensionValues.Convert(dims[i].OutputType, key.Values[i]);
        }

        Dictionary<string, IAggregatorState>? stateMap = query.PostAggregations.Count > 0 ? new(StringComparer.Ordinal) : null;
        for (var i = 0; i < states.Length; i++)
        {
            row[query.Aggregations[i].Name] = states[i].Result();
            stateMap?.Add(query.Aggregations[i].Name, states[i]);
        }

        if (stateMap is not null)
        {
            foreach (var post in query.PostAggregations)
            {
                row[post.Name] = post.Compute(row, stateMap);
            }
        }

        return row;
    }

}
