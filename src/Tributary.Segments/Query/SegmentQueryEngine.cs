using System.Text;
using Tributary.Query;
using Tributary.Segments.Schema;
using SchemaDimensionType = Tributary.Segments.Schema.DimensionType;

namespace Tributary.Segments.Query;

/// <summary>
/// Executes Druid native queries against one segment (open or sealed) and returns the partial result that
/// <see cref="QueryMerger"/> merges across segments. Filters and intervals become one bitmap of matching rows
/// (<see cref="ISegment"/>'s value bitmaps combined with CRoaring and/or/andnot); aggregation walks that bitmap in
/// batches and reads metric columns by row id; groups are keyed by dictionary ids, and values are decoded once
/// per group, not per row.
/// </summary>
/// <remarks>
/// <para>Row times are the segment's query-granularity truncated times, exactly what a <see cref="Row"/> of the
/// rolled-up segment would hold; <c>count</c> counts rolled-up rows, as Druid's does (sum the ingestion-time
/// <c>count</c> metric with <c>longSum</c> for events).</para>
/// <para>Thread safety: as the segment's reads. Sealed segments may serve many queries at once; an open segment
/// must not be appended to while a query runs on it.</para>
/// </remarks>
public static class SegmentQueryEngine
{
    private const int BatchSize = 4096;

    /// <summary>Executes <paramref name="query"/> over <paramref name="segment"/> without result limits.</summary>
    /// <param name="segment">The segment.</param>
    /// <param name="query">Any supported query type.</param>
    /// <param name="sketches">
    /// The hyperUnique sketch factory the broker merges with; null uses a <see cref="HyperLogLogSketchFactory"/> of the
    /// datasource's <c>hyperUniquePrecision</c>.
    /// </param>
    /// <param name="cancellationToken">Checked between row batches.</param>
    public static PartialResult Execute(ISegment segment, NativeQuery query, ICardinalitySketchFactory? sketches, CancellationToken cancellationToken = default)
        => Execute(segment, query, sketches, QueryLimits.Unlimited, cancellationToken);

    /// <summary>Executes <paramref name="query"/> over <paramref name="segment"/>, enforcing <paramref name="limits"/> per segment.</summary>
    /// <exception cref="QueryLimitExceededException">The segment alone exceeds maxBuckets or maxResultRows.</exception>
    public static PartialResult Execute(ISegment segment, NativeQuery query, ICardinalitySketchFactory? sketches, QueryLimits limits, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(segment);
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(limits);
        cancellationToken.ThrowIfCancellationRequested();
        var id = segment.Id.ToString();
        if (query is SegmentMetadataQuery metadata)
        {
            return new SegmentMetadataPartial(Analyse(segment, metadata, id)) { SegmentId = id };
        }

        if (query is DataSourceMetadataQuery)
        {
            return new DataSourceMetadataPartial(segment.RowCount > 0 ? segment.MaxTimestampMs : null) { SegmentId = id };
        }

        if (query.VirtualColumns.Count > 0)
        {
            segment = new VirtualColumnSegment(segment, query.VirtualColumns);
        }

        using var rows = new FilterEvaluator(segment).Evaluate(query);
        return query switch
        {
            SearchQuery search => SegmentSearch.Execute(segment, search, rows, limits, id, cancellationToken),
            AggregationQuery aggregation => Aggregate(segment, aggregation, rows, sketches ?? HyperLogLogSketchFactory.ForPrecision(segment.Spec.HyperUniquePrecision), limits, id, cancellationToken),
            ScanQuery scan => Scan(segment, scan, rows, limits, id, cancellationToken),
            TimeBoundaryQuery => TimeBoundary(segment, rows, id, cancellationToken),
            _ => throw new ArgumentException($"unsupported query type '{query.QueryType}'", nameof(query)),
        };
    }

    /// <summary>
    /// The columns of <paramref name="spec"/>'s rows as Tributary.Query sees them (dimensions, then metrics): the
    /// schema <see cref="ReferenceEvaluator"/> needs, and the column order of a scan without <c>columns</c>.
    /// </summary>
    public static RowSchema Schema(DatasourceSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var columns = new List<ColumnSchema>(spec.Dimensions.Count + spec.Metrics.Count);
        columns.AddRange(spec.Dimensions.Select(d => new ColumnSchema(d.Name, d.Type == SchemaDimensionType.Long ? ColumnType.Long : ColumnType.String)));
        columns.AddRange(spec.Metrics.Select(m => new ColumnSchema(m.Name, m.Type switch
        {
            AggregatorType.Count or AggregatorType.LongSum or AggregatorType.LongMin or AggregatorType.LongMax => ColumnType.Long,
            AggregatorType.HyperUnique => ColumnType.HyperUnique,
            _ => ColumnType.Double,
        })));
        return new RowSchema(columns) { Dimensions = [.. spec.Dimensions.Select(d => d.Name)], Metadata = Metadata(spec) };
    }

    /// <summary>What <paramref name="spec"/>'s segments report to segmentMetadata about their ingestion.</summary>
    public static DatasourceMetadata Metadata(DatasourceSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var format = spec.Timestamp.Format switch
        {
            TimestampFormat.Millis => "millis",
            TimestampFormat.Posix => "posix",
            _ => "iso",
        };
        return new DatasourceMetadata(
            [.. spec.Metrics.Select(m => new AggregatorSpec(m.Type, m.Name, m.FieldName))],
            new SegmentTimestampSpec(spec.Timestamp.Field, format),
            spec.Granularity.Query.Name,
            spec.Granularity.Rollup);
    }

    private static AggregatePartial Aggregate(ISegment segment, AggregationQuery query, RowSet rows, ICardinalitySketchFactory sketches, QueryLimits limits, string id, CancellationToken cancellationToken)
    {
        var builder = new AggregatePartialBuilder(query, sketches, limits, id);
        if (rows.IsEmpty(segment.RowCount))
        {
            return builder.Build();
        }

        var feeders = new Feeder[query.Aggregations.Count];
        long minTime;
        for (var i = 0; i < feeders.Length; i++)
        {
            var spec = query.Aggregations[i];
            feeders[i] = Feeder.Create(segment, spec);
            if (spec.Filter is { } filter)
            {
                // a filtered aggregator's filter is one more bitmap, turned into a bitset the feeder tests rows against
                using var filtered = new FilterEvaluator(segment).Evaluate(filter);
                feeders[i] = Feeder.Filtered(feeders[i], filtered, segment.RowCount);
            }
        }

        var executor = new Aggregation(segment, query, rows, builder, feeders, sketches, cancellationToken);
        if (query.GroupDimensions.Count == 0)
        {
            minTime = executor.Timeseries();
        }
        else if (GroupPlan.TryCreate(segment, query.GroupDimensions) is { } plan)
        {
            minTime = executor.GroupByIds(plan);
        }
        else
        {
            minTime = executor.GroupByValues();
        }

        var partial = builder.Build();
        partial.MinTimestamp = minTime;
        return partial;
    }

    private static ScanPartial Scan(ISegment segment, ScanQuery query, RowSet rows, QueryLimits limits, string id, CancellationToken cancellationToken)
    {
        IReadOnlyList<string> columns = query.Columns.Count > 0 ? query.Columns : [Row.TimeColumn, .. Schema(segment.Spec).Columns.Select(c => c.Name)];
        var readers = columns.Select(c => ColumnReader.Create(segment, c)).ToArray();
        var wanted = query.Limit is { } limit ? query.Offset + limit : long.MaxValue;
        var sorted = VirtualColumnSegment.IsTimeSorted(segment);
        var stopEarly = query.Order == ScanOrder.None || (query.Order == ScanOrder.Ascending && sorted);
        var result = new List<ScanRow>();
        if (!rows.IsEmpty(segment.RowCount) && wanted > 0)
        {
            using var cursor = new RowCursor(rows, segment.RowCount);
            var batch = new uint[BatchSize];
            int n;
            while ((n = cursor.Read(batch)) > 0 && !(stopEarly && result.Count >= wanted))
            {
                cancellationToken.ThrowIfCancellationRequested();
                for (var i = 0; i < n && !(stopEarly && result.Count >= wanted); i++)
                {
                    var row = (int)batch[i];
                    var values = new object?[readers.Length];
                    for (var c = 0; c < readers.Length; c++)
                    {
                        values[c] = readers[c]?.Get(row);
                    }

                    result.Add(new ScanRow(segment.GetTimestamp(row), values));
                }
            }
        }

        if (!stopEarly)
        {
            // OrderBy is stable: rows of equal time keep row-id order, as the reference evaluator's do.
            result = query.Order == ScanOrder.Ascending ? [.. result.OrderBy(r => r.Timestamp)] : [.. result.OrderByDescending(r => r.Timestamp)];
            if (result.Count > wanted)
            {
                result.RemoveRange((int)wanted, result.Count - (int)wanted);
            }
        }

        limits.CheckRows(result.Count, "the number of scan rows in a segment");
        return new ScanPartial(columns, result) { SegmentId = id };
    }

    private static TimeBoundaryPartial TimeBoundary(ISegment segment, RowSet rows, string id, CancellationToken cancellationToken)
    {
        if (rows.IsEmpty(segment.RowCount))
        {
            return new TimeBoundaryPartial(null, null) { SegmentId = id };
        }

        if (rows.IsAll)
        {
            return new TimeBoundaryPartial(segment.MinTimestampMs, segment.MaxTimestampMs) { SegmentId = id };
        }

        if (VirtualColumnSegment.IsTimeSorted(segment))
        {
            // sealed rows are sorted by time
            return new TimeBoundaryPartial(segment.GetTimestamp((int)rows.Bitmap!.Minimum), segment.GetTimestamp((int)rows.Bitmap.Maximum)) { SegmentId = id };
        }

        var (min, max) = (long.MaxValue, long.MinValue);
        using var cursor = new RowCursor(rows, segment.RowCount);
        var batch = new uint[BatchSize];
        int n;
        while ((n = cursor.Read(batch)) > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            foreach (var row in batch.AsSpan(0, n))
            {
                var time = segment.GetTimestamp((int)row);
                min = Math.Min(min, time);
                max = Math.Max(max, time);
            }
        }

        return new TimeBoundaryPartial(min, max) { SegmentId = id };
    }

    /// <summary>segmentMetadata analyses the whole segment (Druid ignores the filter), from dictionaries and bitmap cardinalities.</summary>
    private static SegmentAnalysis Analyse(ISegment segment, SegmentMetadataQuery query, string id)
    {
        var wantSize = (query.AnalysisTypes & AnalysisTypes.Size) != 0;
        var columns = new OrderedDictionary<string, ColumnAnalysis>(StringComparer.Ordinal);
        long totalSize = 0;
        var rows = segment.RowCount;
        if (query.Includes(Row.TimeColumn))
        {
            var size = wantSize ? rows * 8L : 0;
            totalSize += size;
            columns[Row.TimeColumn] = new ColumnAnalysis("LONG", "LONG", false, false, size, null, null, null, null);
        }

        foreach (var dimension in segment.Spec.Dimensions.Where(d => query.Includes(d.Name)))
        {
            var column = segment.GetDimension(dimension.Name)!;
            var hasNulls = rows > 0 && column.IndexOf(null) >= 0;
            if (dimension.Type == SchemaDimensionType.Long)
            {
                var longSize = wantSize ? rows * 8L : 0;
                totalSize += longSize;
                columns[dimension.Name] = new ColumnAnalysis("LONG", "LONG", false, hasNulls, longSize, null, null, null, null);
                continue;
            }

            long size = 0;
            long distinct = 0;
            string? min = null;
            string? max = null;
            var rowsPerValue = wantSize ? new int[column.Cardinality] : [];
            for (var row = 0; row < rows && wantSize; row++)
            {
                rowsPerValue[column.GetId(row)]++; // one pass over the ids instead of one bitmap per value
            }

            for (var value = 0; value < column.Cardinality; value++)
            {
                if (column.GetValue(value) is not { } text)
                {
                    continue;
                }

                distinct++;
                if (wantSize)
                {
                    size += Encoding.UTF8.GetByteCount(text) * (long)rowsPerValue[value];
                }

                if (min is null || StringComparers.CompareLexicographic(text, min) < 0)
                {
                    min = text;
                }

                if (max is null || StringComparers.CompareLexicographic(text, max) > 0)
                {
                    max = text;
                }
            }

            var wantMinMax = (query.AnalysisTypes & AnalysisTypes.MinMax) != 0;
            totalSize += size;
            columns[dimension.Name] = new ColumnAnalysis(
                "STRING",
                "STRING",
                false,
                hasNulls,
                size,
                (query.AnalysisTypes & AnalysisTypes.Cardinality) != 0 ? distinct : null,
                wantMinMax ? min : null,
                wantMinMax ? max : null,
                null);
        }

        foreach (var metric in segment.Spec.Metrics.Where(m => query.Includes(m.Name)))
        {
            var kind = ColumnReader.Kind(segment.GetMetric(metric.Name)!);
            var size = wantSize && kind != MetricKind.Sketch ? rows * 8L : 0;
            totalSize += size;
            columns[metric.Name] = kind switch
            {
                MetricKind.Long => new ColumnAnalysis("LONG", "LONG", false, false, size, null, null, null, null),
                MetricKind.Double => new ColumnAnalysis("DOUBLE", "DOUBLE", false, false, size, null, null, null, null),
                _ => new ColumnAnalysis("hyperUnique", "COMPLEX<hyperUnique>", false, false, size, null, null, null, null),
            };
        }

        IReadOnlyList<Interval>? intervals = (query.AnalysisTypes & AnalysisTypes.Interval) != 0 ? [new Interval(segment.IntervalStartMs, segment.IntervalEndMs)] : null;
        return Metadata(segment.Spec).Apply(new SegmentAnalysis(id, intervals, columns, totalSize, rows), query);
    }
}
