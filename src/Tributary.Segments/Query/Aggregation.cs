using System.Buffers;
using Tributary.Query;

namespace Tributary.Segments.Query;

/// <summary>How the grouping dimensions of a topN or groupBy map to dictionary ids: one mixed-radix <see cref="long"/> per group.</summary>
internal sealed class GroupPlan
{
    private GroupPlan(IDimensionColumn?[] columns, DimensionOutputType[] outputTypes, long[] radix, long[] cardinality, long keySpace)
    {
        Columns = columns;
        OutputTypes = outputTypes;
        Radix = radix;
        Cardinality = cardinality;
        KeySpace = keySpace;
    }

    /// <summary>Per grouping dimension its column, or null when the segment lacks it (every row is null there).</summary>
    public IDimensionColumn?[] Columns { get; }

    /// <summary>Per grouping dimension its output type: values are converted before they form the group key.</summary>
    public DimensionOutputType[] OutputTypes { get; }

    /// <summary>True if some dimension converts, so distinct dictionary ids can fall into one group.</summary>
    public bool Converts => OutputTypes.Any(t => t != DimensionOutputType.String);

    public long[] Radix { get; }

    public long[] Cardinality { get; }

    /// <summary>The number of possible keys (product of the cardinalities).</summary>
    public long KeySpace { get; }

    /// <summary>A plan, or null when a dimension is no dictionary column (<c>__time</c>, a metric) or the key space overflows.</summary>
    public static GroupPlan? TryCreate(ISegment segment, IReadOnlyList<Tributary.Query.DimensionSpec> dimensions)
    {
        var columns = new IDimensionColumn?[dimensions.Count];
        var radix = new long[dimensions.Count];
        var cardinality = new long[dimensions.Count];
        var space = 1L;
        for (var i = 0; i < dimensions.Count; i++)
        {
            var name = dimensions[i].Dimension;
            columns[i] = segment.GetDimension(name);
            if (columns[i] is null && (name == Row.TimeColumn || segment.GetMetric(name) is not null))
            {
                return null;
            }

            cardinality[i] = Math.Max(1, columns[i]?.Cardinality ?? 1);
            radix[i] = space;
            if (space > (1L << 62) / cardinality[i])
            {
                return null;
            }

            space *= cardinality[i];
        }

        return new GroupPlan(columns, [.. dimensions.Select(d => d.OutputType)], radix, cardinality, space);
    }

    public string?[] Decode(long key)
    {
        var values = new string?[Columns.Length];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = DimensionValues.Canonical(OutputTypes[i], Columns[i]?.GetValue((int)(key / Radix[i] % Cardinality[i])));
        }

        return values;
    }
}

/// <summary>The row loops of timeseries, topN and groupBy over one segment's matching rows.</summary>
internal sealed class Aggregation(ISegment segment, AggregationQuery query, RowSet rows, AggregatePartialBuilder builder, Feeder[] feeders, ICardinalitySketchFactory sketches, CancellationToken cancellationToken)
{
    private const int BatchSize = 4096;
    private const long MaxDenseKeys = 1 << 22;

    private readonly bool _sorted = segment is SealedSegment;

    /// <summary>No grouping. Returns the earliest matching row time.</summary>
    public long Timeseries()
    {
        if (query.Granularity.IsAll)
        {
            var minTime = MinTime();
            var states = builder.GetStates(minTime, GroupKey.Empty);
            if (feeders.All(f => f.GetType() == feeders[0].GetType()) && feeders.Length > 0 && states[0] is CountState)
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
        var radix = plan.Radix;
        var single = columns.Length == 1 ? columns[0] : null;
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
                    key = single.GetId(row);
                }
                else
                {
                    key = 0;
                    for (var d = 0; d < columns.Length; d++)
                    {
                        if (columns[d] is { } column)
                        {
                            key += column.GetId(row) * radix[d];
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
                    values[d] = DimensionValues.Canonical(dimensions[d].OutputType, StringComparers.ToDimensionString(readers[d]?.Get(row)));
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
