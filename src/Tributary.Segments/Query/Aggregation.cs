using System.Buffers;
using Tributary.Query;

namespace Tributary.Segments.Query;

/// <summary>How the grouping dimensions of a topN or groupBy map to dictionary ids: one mixed-radix <see cref="long"/> per group.</summary>
internal sealed class GroupPlan
{
    private GroupPlan(IDimensionColumn?[] columns, DimensionOutputType[] outputTypes, int[]?[] remaps, string?[]?[] values, long[] radix, long[] cardinality, long keySpace)
    {
        Columns = columns;
        OutputTypes = outputTypes;
        Remaps = remaps;
        Values = values;
        Radix = radix;
        Cardinality = cardinality;
        KeySpace = keySpace;
    }

    /// <summary>Per grouping dimension its column, or null when the segment lacks it (every row is null there).</summary>
    public IDimensionColumn?[] Columns { get; }

    /// <summary>Per grouping dimension its output type: values are converted (after extraction) before they form the group key.</summary>
    public DimensionOutputType[] OutputTypes { get; }

    /// <summary>True if some dimension converts, so distinct dictionary ids can fall into one group.</summary>
    public bool Converts => OutputTypes.Any(t => t != DimensionOutputType.String);

    /// <summary>
    /// Per grouping dimension with an extraction function: dictionary id to the id of its extracted value in
    /// <see cref="Values"/> (values that extract alike share an id, so they form one group); null otherwise.
    /// </summary>
    public int[]?[] Remaps { get; }

    /// <summary>Per grouping dimension with an extraction function: the distinct extracted values; null otherwise.</summary>
    public string?[]?[] Values { get; }

    public long[] Radix { get; }

    public long[] Cardinality { get; }

    /// <summary>The number of possible keys (product of the cardinalities).</summary>
    public long KeySpace { get; }

    /// <summary>A plan, or null when a dimension is no dictionary column (<c>__time</c>, a metric) or the key space overflows.</summary>
    public static GroupPlan? TryCreate(ISegment segment, IReadOnlyList<Tributary.Query.DimensionSpec> dimensions)
    {
        var columns = new IDimensionColumn?[dimensions.Count];
        var remaps = new int[]?[dimensions.Count];
        var values = new string?[]?[dimensions.Count];
        var radix = new long[dimensions.Count];
        var cardinality = new long[dimensions.Count];
        var space = 1L;
        for (var i = 0; i < dimensions.Count; i++)
        {
            var name = dimensions[i].Dimension;
            columns[i] = segment.GetDimension(name);
            var fn = dimensions[i].ExtractionFn;
            if (segment is VirtualColumnSegment view && view.Find(name) is { } virtualColumn)
            {
                // a virtual column of one dictionary dimension groups by that dimension's ids, valued once per id
                if (!view.TryDictionary(virtualColumn, out var source, out var virtualValues))
                {
                    return null;
                }

                columns[i] = source;
                (remaps[i], values[i]) = Extract(source, id => fn is null ? virtualValues[id] : fn.Apply(virtualValues[id]));
            }
            else if (columns[i] is null && (name == Row.TimeColumn || segment.GetMetric(name) is not null))
            {
                return null;
            }
            else if (fn is not null)
            {
                (remaps[i], values[i]) = Extract(columns[i], fn);
            }

            cardinality[i] = Math.Max(1, values[i]?.Length ?? columns[i]?.Cardinality ?? 1);
            radix[i] = space;
            if (space > (1L << 62) / cardinality[i])
            {
                return null;
            }

            space *= cardinality[i];
        }

        return new GroupPlan(columns, [.. dimensions.Select(d => d.OutputType)], remaps, values, radix, cardinality, space);
    }

    public string?[] Decode(long key)
    {
        var values = new string?[Columns.Length];
        for (var i = 0; i < values.Length; i++)
        {
            var id = (int)(key / Radix[i] % Cardinality[i]);
            values[i] = DimensionValues.Canonical(OutputTypes[i], Values[i] is { } extracted ? extracted[id] : Columns[i]?.GetValue(id));
        }

        return values;
    }

    /// <summary>Applies <paramref name="fn"/> once per dictionary value and numbers the distinct results (a missing column is one null value).</summary>
    private static (int[]? Remap, string?[] Values) Extract(IDimensionColumn? column, ExtractionFn fn) =>
        column is null ? (null, [fn.Apply(null)]) : Extract(column, id => fn.Apply(column.GetValue(id)));

    /// <summary>Numbers the distinct values of <paramref name="valueOf"/> over the column's ids.</summary>
    private static (int[]? Remap, string?[] Values) Extract(IDimensionColumn column, Func<int, string?> valueOf)
    {
        var remap = new int[column.Cardinality];
        var distinct = new List<string?>();
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        var nullId = -1;
        for (var id = 0; id < remap.Length; id++)
        {
            var value = valueOf(id);
            if (value is null)
            {
                remap[id] = nullId >= 0 ? nullId : nullId = AddValue(distinct, null);
            }
            else if (index.TryGetValue(value, out var known))
            {
                remap[id] = known;
            }
            else
            {
                remap[id] = index[value] = AddValue(distinct, value);
            }
        }

        return (remap, [.. distinct]);
    }

    private static int AddValue(List<string?> values, string? value)
    {
        values.Add(value);
        return values.Count - 1;
    }
}

/// <summary>The row loops of timeseries, topN and groupBy over one segment's matching rows.</summary>
internal sealed class Aggregation(ISegment segment, AggregationQuery query, RowSet rows, AggregatePartialBuilder builder, Feeder[] feeders, ICardinalitySketchFactory sketches, CancellationToken cancellationToken)
{
    private const int BatchSize = 4096;
    private const long MaxDenseKeys = 1 << 22;

    private readonly bool _sorted = VirtualColumnSegment.IsTimeSorted(segment);

    /// <summary>No grouping. Returns the earliest matching row time.</summary>
    public long Timeseries()
    {
        if (query.Granularity.IsAll)
        {
            var minTime = MinTime();
            var states = builder.GetStates(minTime, GroupKey.Empty);
            if (feeders.Length > 0 && feeders.All(f => f.IsCount))
            {
                // count only: the answer is the bitmap's cardinality, no row is touched
                foreach (var state in states)
                {
                    ((CountState)state).Count += rows.Count(segment.RowCount);
                }

                return minTime;
            }

            ForEachBatch(batch =>
            {
                for (var i = 0; i < feeders.Length; i++)
                {
                    feeders[i].AddBatch(states[i], batch);
                }
            });
            return minTime;
        }

        var min = long.MaxValue;
        var lastTime = long.MinValue;
        IAggregatorState[]? current = null;
        ForEachBatch(batch =>
        {
            // feed runs of rows with the same time together (sealed rows are time-sorted, so runs are long)
            var start = 0;
            while (start < batch.Length)
            {
                var time = segment.GetTimestamp((int)batch[start]);
                var end = start + 1;
                while (end < batch.Length && segment.GetTimestamp((int)batch[end]) == time)
                {
                    end++;
                }

                if (time != lastTime || current is null)
                {
                    current = builder.GetStates(time, GroupKey.Empty);
                    lastTime = time;
                    min = Math.Min(min, time);
                }

                var run = batch[start..end];
                for (var i = 0; i < feeders.Length; i++)
                {
                    feeders[i].AddBatch(current[i], run);
                }

                start = end;
            }
        });
        return min;
    }

    /// <summary>
    /// topN and groupBy over dictionary columns: states found by dictionary-id key, values decoded once per group.
    /// A topN ranked by an aggregator keeps its states private until the end and hands the builder only the groups that
    /// can make the per-segment cut (everything tied with the last one included, so the builder's exact ranking decides),
    /// instead of finalizing and sorting every value of a high-cardinality dimension.
    /// </summary>
    public long GroupByIds(GroupPlan plan)
    {
        var dense = plan.KeySpace <= MaxDenseKeys && plan.KeySpace <= Math.Max(4096, 2 * rows.Count(segment.RowCount));
        // a post-aggregator of the same name would be what ranks, so only plain aggregator names qualify
        var rankBy = query is TopNQuery { Metric: NumericTopNMetric numeric } && !query.PostAggregations.Any(p => p.Name == numeric.Metric) ? IndexOfAggregator(numeric.Metric) : -1;
        // deferred ranking is per dictionary id, which is only a group when no value is converted
        var deferred = rankBy >= 0 && !plan.Converts;
        var tables = new Dictionary<long, GroupTable>();
        var needTime = !query.Granularity.IsAll || !_sorted;
        var min = needTime ? long.MaxValue : MinTime();
        var lastTime = long.MinValue;
        GroupTable? table = needTime ? null : Table(tables, Granularity.AllBucket, dense, plan.KeySpace, min);
        var columns = plan.Columns;
        var remaps = plan.Remaps;
        var radix = plan.Radix;
        var single = columns.Length == 1 ? columns[0] : null;
        var singleRemap = remaps.Length == 1 ? remaps[0] : null;
        var groupStates = new IAggregatorState[BatchSize][];
        ForEachBatch(batch =>
        {
            // resolve every row's group first, then let each aggregator run over the whole batch
            for (var j = 0; j < batch.Length; j++)
            {
                var row = (int)batch[j];
                var time = min;
                if (needTime)
                {
                    time = segment.GetTimestamp(row);
                    if (time != lastTime || table is null)
                    {
                        lastTime = time;
                        min = Math.Min(min, time);
                        table = Table(tables, query.Granularity.Truncate(time), dense, plan.KeySpace, time);
                    }
                }

                long key;
                if (single is not null)
                {
                    key = singleRemap is null ? single.GetId(row) : singleRemap[single.GetId(row)];
                }
                else
                {
                    key = 0;
                    for (var d = 0; d < columns.Length; d++)
                    {
                        if (columns[d] is { } column)
                        {
                            var id = column.GetId(row);
                            key += (remaps[d] is { } remap ? remap[id] : id) * radix[d];
                        }
                    }
                }

                groupStates[j] = table!.Get(key) ?? table.Add(key, deferred ? AggregatorStates.CreateAll(query.Aggregations, sketches) : builder.GetStates(time, new GroupKey(plan.Decode(key))));
            }

            for (var i = 0; i < feeders.Length; i++)
            {
                feeders[i].AddEach(groupStates, i, batch);
            }
        });

        if (deferred)
        {
            var take = ((TopNQuery)query).SegmentThreshold;
            foreach (var bucketTable in tables.Values)
            {
                foreach (var (key, states) in Candidates(bucketTable.Groups(), rankBy, take))
                {
                    var target = builder.GetStates(bucketTable.FirstTime, new GroupKey(plan.Decode(key)));
                    for (var i = 0; i < states.Length; i++)
                    {
                        target[i].Merge(states[i]);
                    }
                }
            }
        }

        return min;
    }

    /// <summary>
    /// The groups whose ranking value is at least the <paramref name="take"/>-th best (highest first, null last): a
    /// superset of the top <paramref name="take"/> that includes every tie at the cut.
    /// </summary>
    private static IEnumerable<(long Key, IAggregatorState[] States)> Candidates(List<(long Key, IAggregatorState[] States)> groups, int rankBy, int take)
    {
        if (groups.Count <= take)
        {
            return groups;
        }

        var values = new double[groups.Count];
        var nonNull = 0;
        for (var i = 0; i < groups.Count; i++)
        {
            var value = AsDouble(groups[i].States[rankBy].Result());
            values[i] = value ?? double.NaN;
            nonNull += value is null ? 0 : 1;
        }

        if (nonNull < take)
        {
            return groups;
        }

        var sorted = values.Where(v => !double.IsNaN(v)).ToArray();
        Array.Sort(sorted);
        var cut = sorted[^take];
        return groups.Where((_, i) => !double.IsNaN(values[i]) && values[i] >= cut);
    }

    private static double? AsDouble(object? value) => value switch
    {
        long l => l,
        double d => double.IsNaN(d) ? null : d,
        _ => null,
    };

    private int IndexOfAggregator(string name)
    {
        for (var i = 0; i < query.Aggregations.Count; i++)
        {
            if (query.Aggregations[i].Name == name)
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>The general path (a <c>__time</c> or metric grouping dimension): group keys built from each row's values.</summary>
    public long GroupByValues()
    {
        var dimensions = query.GroupDimensions;
        var readers = dimensions.Select(d => ColumnReader.Create(segment, d.Dimension)).ToArray();
        var last = dimensions.Select(_ => new LastExtraction()).ToArray();
        var min = long.MaxValue;
        ForEachBatch(batch =>
        {
            foreach (var r in batch)
            {
                var row = (int)r;
                var time = segment.GetTimestamp(row);
                min = Math.Min(min, time);
                var values = new string?[readers.Length];
                for (var d = 0; d < readers.Length; d++)
                {
                    values[d] = DimensionValues.Canonical(dimensions[d].OutputType, dimensions[d].ExtractionFn is null ? StringComparers.ToDimensionString(readers[d]?.Get(row)) : last[d].ValueOf(dimensions[d], readers[d]?.Get(row)));
                }

                var states = builder.GetStates(time, new GroupKey(values));
                for (var i = 0; i < feeders.Length; i++)
                {
                    feeders[i].Add(states[i], row);
                }
            }
        });
        return min;
    }

    private static GroupTable Table(Dictionary<long, GroupTable> tables, long bucket, bool dense, long keySpace, long time)
    {
        if (!tables.TryGetValue(bucket, out var table))
        {
            table = new GroupTable(dense ? new IAggregatorState[]?[keySpace] : null, time);
            tables[bucket] = table;
        }

        return table;
    }

    /// <summary>The earliest time among the matching rows (the first row for a sealed, time-sorted segment).</summary>
    private long MinTime()
    {
        if (rows.IsAll)
        {
            return segment.MinTimestampMs;
        }

        if (_sorted)
        {
            return segment.GetTimestamp((int)rows.Bitmap!.Minimum);
        }

        var min = long.MaxValue;
        ForEachBatch(batch =>
        {
            foreach (var row in batch)
            {
                min = Math.Min(min, segment.GetTimestamp((int)row));
            }
        });
        return min;
    }

    private void ForEachBatch(BatchAction action)
    {
        using var cursor = new RowCursor(rows, segment.RowCount);
        var buffer = ArrayPool<uint>.Shared.Rent(BatchSize);
        try
        {
            int n;
            while ((n = cursor.Read(buffer.AsSpan(0, BatchSize))) > 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
                action(buffer.AsSpan(0, n));
            }
        }
        finally
        {
            ArrayPool<uint>.Shared.Return(buffer);
        }
    }

    private delegate void BatchAction(ReadOnlySpan<uint> rows);

    /// <summary>Remembers the last extraction, so runs of equal values (a time-sorted <c>__time</c>) extract once.</summary>
    private sealed class LastExtraction
    {
        private object? _raw;
        private string? _value;
        private bool _has;

        public string? ValueOf(Tributary.Query.DimensionSpec spec, object? raw)
        {
            if (!_has || !Equals(raw, _raw))
            {
                (_raw, _value, _has) = (raw, spec.ValueOf(raw), true);
            }

            return _value;
        }
    }

    /// <summary>The groups of one bucket: an array indexed by key when the key space is small, else a hash map.</summary>
    private sealed class GroupTable(IAggregatorState[]?[]? dense, long firstTime)
    {
        private readonly Dictionary<long, IAggregatorState[]>? _sparse = dense is null ? [] : null;

        /// <summary>A row time inside the bucket (the builder maps it back to the bucket).</summary>
        public long FirstTime { get; } = firstTime;

        public List<(long Key, IAggregatorState[] States)> Groups()
        {
            if (_sparse is not null)
            {
                return [.. _sparse.Select(kv => (kv.Key, kv.Value))];
            }

            var groups = new List<(long, IAggregatorState[])>();
            for (var key = 0; key < dense!.Length; key++)
            {
                if (dense[key] is { } states)
                {
                    groups.Add((key, states));
                }
            }

            return groups;
        }

        public IAggregatorState[]? Get(long key) => dense is not null ? dense[key] : _sparse!.GetValueOrDefault(key);

        public IAggregatorState[] Add(long key, IAggregatorState[] states)
        {
            if (dense is not null)
            {
                dense[key] = states;
            }
            else
            {
                _sparse![key] = states;
            }

            return states;
        }
    }
}
