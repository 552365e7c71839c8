namespace Tributary.Query;

/// <summary>
/// Merges the partial results of every segment a query touched into the final result, exactly as Druid's broker
/// does: aggregator states are merged per (bucket, group) before finalizing, so sums, counts, minima, maxima and
/// sketches come out as if one segment had held all rows; topN re-ranks the union of the per-segment candidates;
/// groupBy applies having and limitSpec after the merge; scan concatenates (or time-merges) and applies
/// offset/limit; post-aggregations are computed on merged values. <see cref="Add"/> may be called from several
/// threads as segment answers arrive (calls are serialized), and takes ownership of the partial's states.
/// </summary>
public sealed class QueryMerger
{
    private readonly NativeQuery _query;
    private readonly QueryLimits _limits;
    private readonly ICardinalitySketchFactory? _sketches;
    private readonly Dictionary<long, Dictionary<GroupKey, IAggregatorState[]>> _buckets = [];
    private readonly List<ScanPartial> _scans = [];
    private readonly List<SegmentAnalysis> _analyses = [];
    private readonly Dictionary<long, Dictionary<SearchHitKey, long>> _searchBuckets = [];
    private readonly Lock _lock = new();
    private long? _minTime;
    private long? _maxTime;
    private long _groups;
    private long _scanRows;

    /// <summary>
    /// Creates a merger. <paramref name="sketches"/> must be given when the query has hyperUnique aggregators (empty
    /// timeseries buckets and grand totals start from fresh sketches).
    /// </summary>
    public QueryMerger(NativeQuery query, QueryLimits? limits = null, ICardinalitySketchFactory? sketches = null)
    {
        _query = query ?? throw new ArgumentNullException(nameof(query));
        _limits = limits ?? QueryLimits.Unlimited;
        _sketches = sketches;
    }

    /// <summary>Number of partials added.</summary>
    public int PartialCount { get; private set; }

    /// <summary>Folds one segment's partial into the running merge.</summary>
    public void Add(PartialResult partial)
    {
        ArgumentNullException.ThrowIfNull(partial);
        lock (_lock)
        {
            AddLocked(partial);
        }
    }

    /// <summary>The final result.</summary>
    public QueryResult Complete(CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            return CompleteLocked(cancellationToken);
        }
    }

    private void AddLocked(PartialResult partial)
    {
        PartialCount++;
        switch (_query, partial)
        {
            case (AggregationQuery, AggregatePartial a):
                AddAggregate(a);
                break;
            case (ScanQuery, ScanPartial s):
                _scanRows += s.Rows.Count;
                _limits.CheckRows(_scanRows, "the number of scan rows held for merging");
                _scans.Add(s);
                break;
            case (TimeBoundaryQuery, TimeBoundaryPartial t):
                _minTime = Min(_minTime, t.MinTime);
                _maxTime = Max(_maxTime, t.MaxTime);
                break;
            case (SegmentMetadataQuery, SegmentMetadataPartial m):
                _analyses.Add(m.Analysis);
                break;
            case (SearchQuery, SearchPartial sp):
                AddSearch(sp);
                break;
            case (DataSourceMetadataQuery, DataSourceMetadataPartial dm):
                _maxTime = Max(_maxTime, dm.MaxIngestedEventTime);
                break;
            default:
                throw new ArgumentException($"A {partial.GetType().Name} cannot be merged into a {_query.QueryType} query.", nameof(partial));
        }
    }

    private QueryResult CompleteLocked(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return _query switch
        {
            TimeseriesQuery ts => CompleteTimeseries(ts, cancellationToken),
            TopNQuery topN => CompleteTopN(topN, cancellationToken),
            GroupByQuery groupBy => CompleteGroupBy(groupBy, cancellationToken),
            ScanQuery scan => CompleteScan(scan),
            TimeBoundaryQuery tb => new TimeBoundaryResult(_minTime, _maxTime, tb.Bound),
            SegmentMetadataQuery sm => CompleteSegmentMetadata(sm),
            SearchQuery search => CompleteSearch(search, cancellationToken),
            DataSourceMetadataQuery => new DataSourceMetadataResult(_maxTime),
            _ => throw new InvalidOperationException($"Unknown query type {_query.QueryType}."),
        };
    }

    private void AddAggregate(AggregatePartial partial)
    {
        // convert-then-group also across segments: a partial keyed by raw values ("07", "7.0") folds into the group 7
        var dimensions = ((AggregationQuery)_query).GroupDimensions;
        var convert = DimensionValues.AnyConverted(dimensions);
        _minTime = Min(_minTime, partial.MinTimestamp);
        foreach (var (bucket, groups) in partial.Buckets)
        {
            if (!_buckets.TryGetValue(bucket, out var merged))
            {
                _limits.CheckBuckets(_buckets.Count + 1);
                merged = new Dictionary<GroupKey, IAggregatorState[]>(groups.Count);
                _buckets[bucket] = merged;
            }

            foreach (var (raw, states) in groups)
            {
                var key = convert ? DimensionValues.Canonical(dimensions, raw) : raw;
                if (merged.TryGetValue(key, out var existing))
                {
                    for (var i = 0; i < existing.Length; i++)
                    {
                        existing[i].Merge(states[i]);
                    }
                }
                else
                {
                    if (_query is GroupByQuery)
                    {
                        _limits.CheckRows(++_groups, "the number of merged groups");
                    }

                    merged[key] = states;
                }
            }
        }
    }

    private long AllTimestamp()
    {
        var start = _query.Intervals.Count > 0 ? _query.Intervals[0].Start : IsoTime.MinInstant;
        return start == IsoTime.MinInstant && _minTime is { } min ? min : start;
    }

    private long OutputTimestamp(long bucket) => bucket == Granularity.AllBucket ? AllTimestamp() : bucket;

    private TimeseriesResult CompleteTimeseries(TimeseriesQuery query, CancellationToken cancellationToken)
    {
        if (!query.Context.SkipEmptyBuckets)
        {
            ZeroFill(query);
        }

        var order = query.Descending ? _buckets.Keys.OrderDescending() : _buckets.Keys.Order();
        var rows = new List<TimeseriesRow>(_buckets.Count);
        foreach (var bucket in order)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var states = _buckets[bucket].TryGetValue(GroupKey.Empty, out var s) ? s : AggregatorStates.CreateAll(query.Aggregations, _sketches);
            rows.Add(new TimeseriesRow(OutputTimestamp(bucket), ResultRows.Finalize(query, GroupKey.Empty, states)));
            if (query.Limit is { } limit && rows.Count >= limit)
            {
                break;
            }
        }

        if (query.Context.GrandTotal)
        {
            // Totals fold every bucket's states (copies: the bucket rows are already final), then post-aggregate.
            var totals = AggregatorStates.CreateAll(query.Aggregations, _sketches);
            foreach (var groups in _buckets.Values)
            {
                if (groups.TryGetValue(GroupKey.Empty, out var states))
                {
                    for (var i = 0; i < totals.Length; i++)
                    {
                        totals[i].Merge(states[i]);
                    }
                }
            }

            rows.Add(new TimeseriesRow(null, ResultRows.Finalize(query, GroupKey.Empty, totals)));
        }

        return new TimeseriesResult(rows);
    }

    private void ZeroFill(TimeseriesQuery query)
    {
        var g = query.Granularity;
        if (g.IsAll)
        {
            if (_buckets.Count == 0)
            {
                _buckets[Granularity.AllBucket] = [];
            }

            return;
        }

        if (ReferenceEquals(g, Granularity.None))
        {
            return;
        }

        // Like Druid, fill only interior buckets: between the first and the last bucket holding data, and only
        // where a query interval overlaps; buckets wholly outside the data's span are not invented.
        if (_buckets.Count == 0)
        {
            return;
        }

        var last = _buckets.Keys.Max();
        var filled = new List<long>();
        for (var b = _buckets.Keys.Min(); b < last; b = g.Next(b))
        {
            if (!_buckets.ContainsKey(b) && QueryPlan.Overlaps(query.Intervals, b, g.Next(b)))
            {
                filled.Add(b);
                _limits.CheckBuckets(_buckets.Count + filled.Count);
            }
        }

        foreach (var b in filled)
        {
            _buckets[b] = [];
        }
    }

    private TopNResult CompleteTopN(TopNQuery query, CancellationToken cancellationToken)
    {
        var result = new List<TopNBucket>(_buckets.Count);
        foreach (var bucket in _buckets.Keys.Order())
        {
            cancellationToken.ThrowIfCancellationRequested();
            var ranked = TopNRanking.Rank(query, _buckets[bucket], query.Threshold);
            if (ranked.Count > 0)
            {
                result.Add(new TopNBucket(OutputTimestamp(bucket), ranked.Select(r => r.Row).ToList()));
            }
        }

        return new TopNResult(result);
    }

    private GroupByResult CompleteGroupBy(GroupByQuery query, CancellationToken cancellationToken)
    {
        var rows = new List<GroupByRow>();
        foreach (var (bucket, groups) in _buckets)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var timestamp = OutputTimestamp(bucket);
            foreach (var (key, states) in groups)
            {
                var row = ResultRows.Finalize(query, key, states);
                if (query.Having is null || query.Having.Matches(row))
                {
                    rows.Add(new GroupByRow(timestamp, row));
                }
            }
        }

        var dimensionOutputs = query.Dimensions.Select(d => d.OutputName).ToHashSet(StringComparer.Ordinal);
        var columns = query.LimitSpec?.Columns ?? [];
        var mentioned = columns.Select(c => c.Column).ToHashSet(StringComparer.Ordinal);
        var order = columns.Concat(query.Dimensions.Where(d => !mentioned.Contains(d.OutputName)).Select(d => new OrderByColumn(d.OutputName, false, StringOrdering.Lexicographic))).ToList();
        rows.Sort((a, b) =>
        {
            var c = a.Timestamp.CompareTo(b.Timestamp);
            if (c != 0)
            {
                return c;
            }

            foreach (var column in order)
            {
                var av = a.Event.GetValueOrDefault(column.Column);
                var bv = b.Event.GetValueOrDefault(column.Column);
                c = dimensionOutputs.Contains(column.Column)
                    ? StringComparers.Compare(StringComparers.ToDimensionString(av), StringComparers.ToDimensionString(bv), column.DimensionOrder)
                    : CompareNumbers(av, bv);
                if (c != 0)
                {
                    return column.Descending ? -c : c;
                }
            }

            return 0;
        });

        IEnumerable<GroupByRow> result = rows;
        if (query.LimitSpec is { } limitSpec)
        {
            result = result.Skip((int)Math.Min(limitSpec.Offset, int.MaxValue));
            if (limitSpec.Limit is { } limit)
            {
                result = result.Take((int)Math.Min(limit, int.MaxValue));
            }
        }

        return new GroupByResult(result.ToList());
    }

    private ScanResult CompleteScan(ScanQuery query)
    {
        // Order segments by id so that an unordered scan answers the same rows however the fan-out completed.
        var partials = _scans.OrderBy(s => s.SegmentId, StringComparer.Ordinal).ToList();
        var rows = new List<(int Partial, ScanRow Row)>();
        for (var p = 0; p < partials.Count; p++)
        {
            foreach (var row in partials[p].Rows)
            {
                rows.Add((p, row));
            }
        }

        if (query.Order != ScanOrder.None)
        {
            // List.Sort is unstable: break ties by position so equal times keep segment then row order.
            var indexed = rows.Select((r, i) => (r.Partial, r.Row, Index: i)).ToList();
            var sign = query.Order == ScanOrder.Descending ? -1 : 1;
            indexed.Sort((a, b) =>
            {
                var c = sign * a.Row.Timestamp.CompareTo(b.Row.Timestamp);
                return c != 0 ? c : a.Index.CompareTo(b.Index);
            });
            rows = indexed.Select(r => (r.Partial, r.Row)).ToList();
        }

        IEnumerable<(int Partial, ScanRow Row)> selected = rows.Skip((int)Math.Min(query.Offset, int.MaxValue));
        if (query.Limit is { } limit)
        {
            selected = selected.Take((int)Math.Min(limit, int.MaxValue));
        }

        var batches = new List<ScanBatch>();
        List<object?[]>? events = null;
        var current = -1;
        foreach (var (p, row) in selected)
        {
            if (p != current || events!.Count >= query.BatchSize)
            {
                events = [];
                current = p;
                batches.Add(new ScanBatch(partials[p].SegmentId, partials[p].Columns, events));
            }

            events.Add(row.Values);
        }

        return new ScanResult(query.ResultFormat, batches);
    }

    private SegmentMetadataResult CompleteSegmentMetadata(SegmentMetadataQuery query)
    {
        var sorted = _analyses.OrderBy(a => a.Id, StringComparer.Ordinal).ToList();
        if (!query.Merge || sorted.Count <= 1)
        {
            return new SegmentMetadataResult(sorted);
        }

        var columns = new OrderedDictionary<string, ColumnAnalysis>(StringComparer.Ordinal);
        var intervals = new List<Interval>();
        long size = 0;
        long numRows = 0;
        foreach (var analysis in sorted)
        {
            size += analysis.Size;
            numRows += analysis.NumRows;
            intervals.AddRange(analysis.Intervals ?? []);
            foreach (var (name, column) in analysis.Columns)
            {
                columns[name] = columns.TryGetValue(name, out var existing) ? SegmentAnalyses.Fold(existing, column) : column;
            }
        }

        var merged = new SegmentAnalysis("merged", (query.AnalysisTypes & AnalysisTypes.Interval) != 0 ? Interval.Condense(intervals) : null, columns, size, numRows)
        {
            Aggregators = SegmentAnalyses.MergeAggregators(sorted, query.AggregatorMergeStrategy),
            TimestampSpec = SegmentAnalyses.Same(sorted.Select(a => a.TimestampSpec)),
            QueryGranularity = SegmentAnalyses.Same(sorted.Select(a => a.QueryGranularity)),
            Rollup = sorted.All(a => a.Rollup == sorted[0].Rollup) ? sorted[0].Rollup : null,
        };
        return new SegmentMetadataResult([merged]);
    }

    private void AddSearch(SearchPartial partial)
    {
        _minTime = Min(_minTime, partial.MinTimestamp);
        foreach (var (bucket, hits) in partial.Buckets)
        {
            if (!_searchBuckets.TryGetValue(bucket, out var merged))
            {
                _limits.CheckBuckets(_searchBuckets.Count + 1);
                _searchBuckets[bucket] = new Dictionary<SearchHitKey, long>(hits);
                continue;
            }

            foreach (var (key, count) in hits)
            {
                merged[key] = merged.GetValueOrDefault(key) + count;
            }
        }
    }

    /// <summary>Druid's search order: by value under the sort's ordering, then by dimension; cut to the limit per bucket.</summary>
    private SearchResult CompleteSearch(SearchQuery query, CancellationToken cancellationToken)
    {
        var buckets = new List<SearchBucket>(_searchBuckets.Count);
        foreach (var bucket in _searchBuckets.Keys.Order())
        {
            cancellationToken.ThrowIfCancellationRequested();
            var hits = _searchBuckets[bucket].Select(kv => new SearchHit(kv.Key.Dimension, kv.Key.Value, kv.Value)).ToList();
            hits.Sort((a, b) =>
            {
                var c = StringComparers.Compare(a.Value, b.Value, query.Sort);
                return c != 0 ? c : StringComparers.CompareLexicographic(a.Dimension, b.Dimension);
            });
            if (hits.Count > query.Limit)
            {
                hits.RemoveRange(query.Limit, hits.Count - query.Limit);
            }

            if (hits.Count > 0)
            {
                buckets.Add(new SearchBucket(OutputTimestamp(bucket), hits));
            }
        }

        return new SearchResult(buckets);
    }

    private static int CompareNumbers(object? a, object? b)
    {
        var x = PostAggregator.AsDouble(a);
        var y = PostAggregator.AsDouble(b);
        if (x is null || y is null)
        {
            return x is null ? (y is null ? 0 : -1) : 1;
        }

        return x.Value.CompareTo(y.Value);
    }

    private static long? Min(long? a, long? b) => a is null ? b : b is null ? a : Math.Min(a.Value, b.Value);

    private static long? Max(long? a, long? b) => a is null ? b : b is null ? a : Math.Max(a.Value, b.Value);
}

/// <summary>Druid's rules for folding column analyses of two segments.</summary>
public static class SegmentAnalyses
{
    /// <summary>
    /// Folds two analyses of one column: sizes add, cardinality is the larger (as Druid: an estimate, not the
    /// distinct count of the union), min/max widen, and differing types give an error message instead of values.
    /// </summary>
    public static ColumnAnalysis Fold(ColumnAnalysis a, ColumnAnalysis b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.ErrorMessage is not null)
        {
            return a;
        }

        if (b.ErrorMessage is not null)
        {
            return b;
        }

        if (a.Type != b.Type)
        {
            return a with { ErrorMessage = $"error:cannot_merge_diff_types: [{a.Type}] and [{b.Type}]", Cardinality = null, MinValue = null, MaxValue = null };
        }

        long? cardinality = a.Cardinality is null ? b.Cardinality : b.Cardinality is null ? a.Cardinality : Math.Max(a.Cardinality.Value, b.Cardinality.Value);
        return a with
        {
            HasNulls = a.HasNulls || b.HasNulls,
            Size = a.Size + b.Size,
            Cardinality = cardinality,
            MinValue = CompareValues(a.MinValue, b.MinValue) <= 0 ? a.MinValue ?? b.MinValue : b.MinValue ?? a.MinValue,
            MaxValue = CompareValues(a.MaxValue, b.MaxValue) >= 0 ? a.MaxValue ?? b.MaxValue : b.MaxValue ?? a.MaxValue,
        };
    }

    /// <summary>The value every analysis agrees on, or null when they differ (Druid's merge of timestampSpec and queryGranularity).</summary>
    public static T? Same<T>(IEnumerable<T?> values)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(values);
        T? first = null;
        var any = false;
        foreach (var v in values)
        {
            if (!any)
            {
                (first, any) = (v, true);
            }
            else if (!Equals(first, v))
            {
                return null;
            }
        }

        return first;
    }

    /// <summary>Druid's merge of the <c>aggregators</c> analyses of several segments under <paramref name="strategy"/>.</summary>
    public static OrderedDictionary<string, AggregatorSpec?>? MergeAggregators(IReadOnlyList<SegmentAnalysis> analyses, AggregatorMergeStrategy strategy)
    {
        ArgumentNullException.ThrowIfNull(analyses);
        if (analyses.Count == 0)
        {
            return null;
        }

        switch (strategy)
        {
            case AggregatorMergeStrategy.Earliest:
                return analyses.Where(a => a.Aggregators is not null).MinBy(a => a.Intervals?.Min(i => i.Start) ?? long.MaxValue)?.Aggregators;
            case AggregatorMergeStrategy.Latest:
                return analyses.Where(a => a.Aggregators is not null).MaxBy(a => a.Intervals?.Max(i => i.End) ?? long.MinValue)?.Aggregators;
            case AggregatorMergeStrategy.Strict:
                if (analyses.Any(a => a.Aggregators is null))
                {
                    return null;
                }

                var first = analyses[0].Aggregators!;
                return analyses.All(a => a.Aggregators!.Count == first.Count && a.Aggregators.All(kv => first.TryGetValue(kv.Key, out var f) && Equals(f, kv.Value))) ? first : null;
            default:
                var merged = new OrderedDictionary<string, AggregatorSpec?>(StringComparer.Ordinal);
                foreach (var analysis in analyses)
                {
                    foreach (var (name, spec) in analysis.Aggregators ?? [])
                    {
                        merged[name] = merged.TryGetValue(name, out var existing) && !Equals(existing, spec) ? null : spec;
                    }
                }

                return merged;
        }
    }

    /// <summary>Compares two min/max values (strings lexicographically, numbers numerically), nulls first.</summary>
    public static int CompareValues(object? a, object? b)
    {
        if (a is null || b is null)
        {
            return a is null ? (b is null ? 0 : -1) : 1;
        }

        if (a is string sa && b is string sb)
        {
            return StringComparers.CompareLexicographic(sa, sb);
        }

        return (PostAggregator.AsDouble(a) ?? 0).CompareTo(PostAggregator.AsDouble(b) ?? 0);
    }
}
