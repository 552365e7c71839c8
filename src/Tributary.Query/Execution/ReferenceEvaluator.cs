using System.Text;

namespace Tributary.Query;

/// <summary>A plain row: its time and its column values (string or long dimensions; long, double, string or sketch metrics).</summary>
public sealed record Row(long Timestamp, IReadOnlyDictionary<string, object?> Columns)
{
    /// <summary>The name of the time column.</summary>
    public const string TimeColumn = "__time";

    /// <summary>The value of <paramref name="column"/> (the time for <c>__time</c>), null if missing.</summary>
    public object? Get(string column) => column == TimeColumn ? Timestamp : Columns.GetValueOrDefault(column);
}

/// <summary>Column types as segmentMetadata reports them.</summary>
public enum ColumnType
{
    /// <summary>STRING dimension.</summary>
    String,

    /// <summary>LONG dimension or metric.</summary>
    Long,

    /// <summary>DOUBLE metric.</summary>
    Double,

    /// <summary>hyperUnique metric (a sketch per row).</summary>
    HyperUnique,
}

/// <summary>A column of a <see cref="RowSchema"/>.</summary>
public sealed record ColumnSchema(string Name, ColumnType Type);

/// <summary>The columns of a datasource in order (dimensions then metrics), excluding <c>__time</c>.</summary>
public sealed record RowSchema(IReadOnlyList<ColumnSchema> Columns)
{
    /// <summary>The names of the dimension columns (what a search without <c>searchDimensions</c> searches); null: the string columns.</summary>
    public IReadOnlyList<string>? Dimensions { get; init; }

    /// <summary>What the segments record about their ingestion (segmentMetadata's aggregators, timestampSpec, queryGranularity, rollup); null: unknown, reported as null.</summary>
    public DatasourceMetadata? Metadata { get; init; }

    /// <summary>The dimension names: <see cref="Dimensions"/>, or the string columns when not given.</summary>
    public IEnumerable<string> DimensionNames => Dimensions ?? Columns.Where(c => c.Type == ColumnType.String).Select(c => c.Name);
}

/// <summary>
/// A deliberately straightforward evaluator of every supported query over plain rows: a row-at-a-time loop with
/// no indexes. It is the oracle the bitmap-based segment engine is compared against, and with
/// <see cref="EvaluatePartial"/> it produces the same partials a segment would, so merging can be tested by
/// splitting rows into random segments.
/// </summary>
public sealed class ReferenceEvaluator
{
    private readonly RowSchema _schema;
    private readonly ICardinalitySketchFactory? _sketches;
    private readonly QueryLimits _limits;

    /// <summary>Creates an evaluator over rows of <paramref name="schema"/>.</summary>
    public ReferenceEvaluator(RowSchema schema, ICardinalitySketchFactory? sketches = null, QueryLimits? limits = null)
    {
        _schema = schema ?? throw new ArgumentNullException(nameof(schema));
        _sketches = sketches;
        _limits = limits ?? QueryLimits.Unlimited;
    }

    /// <summary>Evaluates <paramref name="query"/> over all <paramref name="rows"/> as if they were one segment.</summary>
    public QueryResult Evaluate(NativeQuery query, IEnumerable<Row> rows, CancellationToken cancellationToken = default)
    {
        var rowList = rows as IReadOnlyList<Row> ?? rows.ToList();
        var merger = new QueryMerger(query, _limits, _sketches);
        merger.Add(EvaluatePartial(query, rowList, "all", SpanOf(rowList), cancellationToken));
        return merger.Complete(cancellationToken);
    }

    /// <summary>The partial result of one segment holding <paramref name="rows"/>.</summary>
    public PartialResult EvaluatePartial(NativeQuery query, IEnumerable<Row> rows, string segmentId, Interval segmentInterval, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(rows);
        if (query is SegmentMetadataQuery sm)
        {
            return new SegmentMetadataPartial(Analyse(sm, rows.ToList(), segmentId, segmentInterval)) { SegmentId = segmentId };
        }

        if (query.VirtualColumns.Count > 0)
        {
            rows = rows.Select(r => VirtualColumn.Extend(r, query.VirtualColumns));
        }

        var matching = Matching(query, rows, cancellationToken);
        switch (query)
        {
            case AggregationQuery aggregation:
            {
                var builder = new AggregatePartialBuilder(aggregation, _sketches, _limits, segmentId);
                var dims = aggregation.GroupDimensions;
                foreach (var row in matching)
                {
                    var key = dims.Count == 0 ? GroupKey.Empty : new GroupKey(dims.Select(d => DimensionValues.Canonical(d.OutputType, d.ValueOf(row.Get(d.Dimension)))).ToArray());
                    var states = builder.GetStates(row.Timestamp, key);
                    for (var i = 0; i < states.Length; i++)
                    {
                        AggregatorStates.AddRow(states[i], aggregation.Aggregations[i], row);
                    }
                }

                return builder.Build();
            }

            case ScanQuery scan:
            {
                var columns = scan.Columns.Count > 0 ? scan.Columns : [Row.TimeColumn, .. _schema.Columns.Select(c => c.Name)];
                var list = matching.Select(r => new ScanRow(r.Timestamp, columns.Select(r.Get).ToArray())).ToList();
                if (scan.Order != ScanOrder.None)
                {
                    // OrderBy is stable: equal times keep row order.
                    list = scan.Order == ScanOrder.Ascending ? [.. list.OrderBy(r => r.Timestamp)] : [.. list.OrderByDescending(r => r.Timestamp)];
                }

                if (scan.Limit is { } limit && list.Count > scan.Offset + limit)
                {
                    list.RemoveRange((int)(scan.Offset + limit), list.Count - (int)(scan.Offset + limit));
                }

                _limits.CheckRows(list.Count, "the number of scan rows in a segment");
                return new ScanPartial(columns, list) { SegmentId = segmentId };
            }

            case TimeBoundaryQuery:
            {
                long? min = null;
                long? max = null;
                foreach (var row in matching)
                {
                    min = min is null ? row.Timestamp : Math.Min(min.Value, row.Timestamp);
                    max = max is null ? row.Timestamp : Math.Max(max.Value, row.Timestamp);
                }

                return new TimeBoundaryPartial(min, max) { SegmentId = segmentId };
            }

            case SearchQuery search:
            {
                var partial = new SearchPartial { SegmentId = segmentId };
                var dimensions = search.DimensionsOf(_schema.DimensionNames);
                long? min = null;
                foreach (var row in matching)
                {
                    min = min is null ? row.Timestamp : Math.Min(min.Value, row.Timestamp);
                    foreach (var dimension in dimensions)
                    {
                        var value = StringComparers.ToDimensionString(row.Get(dimension.Dimension));
                        if (value is not null && search.Query.Accepts(value))
                        {
                            partial.Add(search.Granularity, row.Timestamp, new SearchHitKey(dimension.OutputName, value), 1);
                        }
                    }
                }

                // the "all" bucket's time is the earliest matching row's, hit or not, as for the aggregating queries
                partial.MinTimestamp = min;
                _limits.CheckBuckets(partial.Buckets.Count);
                return partial;
            }

            case DataSourceMetadataQuery:
            {
                long? max = null;
                foreach (var row in matching)
                {
                    max = max is null ? row.Timestamp : Math.Max(max.Value, row.Timestamp);
                }

                return new DataSourceMetadataPartial(max) { SegmentId = segmentId };
            }

            default:
                throw new ArgumentException($"Unsupported query type {query.QueryType}.", nameof(query));
        }
    }

    private static IEnumerable<Row> Matching(NativeQuery query, IEnumerable<Row> rows, CancellationToken cancellationToken)
    {
        var n = 0;
        foreach (var row in rows)
        {
            if ((++n & 1023) == 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
            }

            if (query.InIntervals(row.Timestamp) && (query.Filter is null || query.Filter.Evaluate(d => StringComparers.ToDimensionString(row.Get(d)))))
            {
                yield return row;
            }
        }
    }

    private SegmentAnalysis Analyse(SegmentMetadataQuery query, List<Row> rows, string segmentId, Interval segmentInterval)
    {
        var wantSize = (query.AnalysisTypes & AnalysisTypes.Size) != 0;
        var columns = new OrderedDictionary<string, ColumnAnalysis>(StringComparer.Ordinal);
        long totalSize = 0;
        if (query.Includes(Row.TimeColumn))
        {
            var size = wantSize ? rows.Count * 8L : 0;
            totalSize += size;
            columns[Row.TimeColumn] = new ColumnAnalysis("LONG", "LONG", false, false, size, null, null, null, null);
        }

        foreach (var column in _schema.Columns.Where(c => query.Includes(c.Name)))
        {
            var values = rows.Select(r => r.Get(column.Name)).ToList();
            var hasNulls = values.Any(v => v is null);
            long size = 0;
            long? cardinality = null;
            object? minValue = null;
            object? maxValue = null;
            if (column.Type == ColumnType.String)
            {
                var strings = values.Select(StringComparers.ToDimensionString).OfType<string>().ToList();
                size = wantSize ? strings.Sum(s => (long)Encoding.UTF8.GetByteCount(s)) : 0;
                if ((query.AnalysisTypes & AnalysisTypes.Cardinality) != 0)
                {
                    cardinality = strings.Distinct(StringComparer.Ordinal).Count();
                }

                if ((query.AnalysisTypes & AnalysisTypes.MinMax) != 0 && strings.Count > 0)
                {
                    minValue = strings.Aggregate((a, b) => StringComparers.CompareLexicographic(a, b) <= 0 ? a : b);
                    maxValue = strings.Aggregate((a, b) => StringComparers.CompareLexicographic(a, b) >= 0 ? a : b);
                }
            }
            else if (column.Type != ColumnType.HyperUnique)
            {
                size = wantSize ? rows.Count * 8L : 0;
            }

            totalSize += size;
            var (type, signature) = column.Type switch
            {
                ColumnType.String => ("STRING", "STRING"),
                ColumnType.Long => ("LONG", "LONG"),
                ColumnType.Double => ("DOUBLE", "DOUBLE"),
                _ => ("hyperUnique", "COMPLEX<hyperUnique>"),
            };
            columns[column.Name] = new ColumnAnalysis(type, signature, false, hasNulls, size, cardinality, minValue, maxValue, null);
        }

        IReadOnlyList<Interval>? intervals = (query.AnalysisTypes & AnalysisTypes.Interval) != 0 ? [segmentInterval] : null;
        var analysis = new SegmentAnalysis(segmentId, intervals, columns, totalSize, rows.Count);
        return _schema.Metadata?.Apply(analysis, query) ?? analysis;
    }

    private static Interval SpanOf(IReadOnlyList<Row> rows)
    {
        if (rows.Count == 0)
        {
            return new Interval(0, 0);
        }

        var min = rows.Min(r => r.Timestamp);
        var max = rows.Max(r => r.Timestamp);
        return new Interval(min, max + 1);
    }
}
