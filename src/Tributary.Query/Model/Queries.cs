namespace Tributary.Query;

/// <summary>A Druid native query, as parsed by <see cref="QueryParser"/>.</summary>
public abstract record NativeQuery
{
    /// <summary>The table queried.</summary>
    public required string DataSource { get; init; }

    /// <summary>Condensed (sorted, non-overlapping) intervals.</summary>
    public required IReadOnlyList<Interval> Intervals { get; init; }

    /// <summary>The filter, if any.</summary>
    public Filter? Filter { get; init; }

    /// <summary>The context.</summary>
    public QueryContext Context { get; init; } = QueryContext.Empty;

    /// <summary>The <c>virtualColumns</c>, ordered so that each comes after the virtual columns it reads.</summary>
    public IReadOnlyList<VirtualColumn> VirtualColumns { get; init; } = [];

    /// <summary>The Druid <c>queryType</c>.</summary>
    public abstract string QueryType { get; }

    /// <summary>
    /// The columns a segment must read to answer the query (filter, grouping and aggregator inputs, scan columns),
    /// or null when it needs every column (scan without columns, segmentMetadata, search over every dimension). Lets a lazily loaded segment
    /// load only what is asked.
    /// </summary>
    public IReadOnlySet<string>? RequiredColumns()
    {
        var columns = new HashSet<string>(Filter?.Dimensions ?? [], StringComparer.Ordinal);
        columns.UnionWith(Tributary.Query.VirtualColumn.Inputs(VirtualColumns));
        switch (this)
        {
            case AggregationQuery a:
                columns.UnionWith(a.GroupDimensions.Select(d => d.Dimension));
                columns.UnionWith(a.Aggregations.SelectMany(x => x.Columns()));
                return columns;
            case ScanQuery { Columns.Count: > 0 } s:
                columns.UnionWith(s.Columns);
                return columns;
            case TimeBoundaryQuery or DataSourceMetadataQuery:
                return columns;
            case SearchQuery { SearchDimensions: { } searched }:
                columns.UnionWith(searched.Select(d => d.Dimension));
                return columns;
            default:
                return null;
        }
    }

    /// <summary>True if a row at <paramref name="timestamp"/> lies in one of the intervals.</summary>
    public bool InIntervals(long timestamp)
    {
        foreach (var interval in Intervals)
        {
            if (interval.Contains(timestamp))
            {
                return true;
            }
        }

        return false;
    }
}

/// <summary>A query that aggregates rows into buckets (timeseries, topN, groupBy).</summary>
public abstract record AggregationQuery : NativeQuery
{
    /// <summary>The bucketing.</summary>
    public Granularity Granularity { get; init; } = Granularity.All;

    /// <summary>The aggregators.</summary>
    public IReadOnlyList<AggregatorSpec> Aggregations { get; init; } = [];

    /// <summary>The post-aggregators, in evaluation order.</summary>
    public IReadOnlyList<PostAggregator> PostAggregations { get; init; } = [];

    /// <summary>The grouping dimensions (none for timeseries, one for topN).</summary>
    public abstract IReadOnlyList<DimensionSpec> GroupDimensions { get; }
}

/// <summary><c>timeseries</c>.</summary>
public sealed record TimeseriesQuery : AggregationQuery
{
    /// <summary><c>descending</c>: buckets newest first.</summary>
    public bool Descending { get; init; }

    /// <summary><c>limit</c>: buckets returned at most.</summary>
    public int? Limit { get; init; }

    /// <inheritdoc />
    public override string QueryType => "timeseries";

    /// <inheritdoc />
    public override IReadOnlyList<DimensionSpec> GroupDimensions => [];
}

/// <summary><c>topN</c>.</summary>
public sealed record TopNQuery : AggregationQuery
{
    /// <summary>The ranked dimension.</summary>
    public required DimensionSpec Dimension { get; init; }

    /// <summary>The ranking.</summary>
    public required TopNMetricSpec Metric { get; init; }

    /// <summary>Values per bucket returned.</summary>
    public required int Threshold { get; init; }

    /// <summary>Values each segment ships per bucket: max(1000, threshold), as Druid's default <c>minTopNThreshold</c>.</summary>
    public int SegmentThreshold => Math.Max(1000, Threshold);

    /// <inheritdoc />
    public override string QueryType => "topN";

    /// <inheritdoc />
    public override IReadOnlyList<DimensionSpec> GroupDimensions => [Dimension];
}

/// <summary><c>groupBy</c>.</summary>
public sealed record GroupByQuery : AggregationQuery
{
    /// <summary>The grouping dimensions.</summary>
    public IReadOnlyList<DimensionSpec> Dimensions { get; init; } = [];

    /// <summary>The having clause, if any.</summary>
    public HavingSpec? Having { get; init; }

    /// <summary>The limit spec, if any.</summary>
    public LimitSpec? LimitSpec { get; init; }

    /// <inheritdoc />
    public override string QueryType => "groupBy";

    /// <inheritdoc />
    public override IReadOnlyList<DimensionSpec> GroupDimensions => Dimensions;
}

/// <summary><c>scan</c>.</summary>
public sealed record ScanQuery : NativeQuery
{
    /// <summary>Columns to return; empty means all (<c>__time</c> first).</summary>
    public IReadOnlyList<string> Columns { get; init; } = [];

    /// <summary>Rows to return at most.</summary>
    public long? Limit { get; init; }

    /// <summary>Rows to skip.</summary>
    public long Offset { get; init; }

    /// <summary>Time ordering.</summary>
    public ScanOrder Order { get; init; }

    /// <summary>Event format.</summary>
    public ScanResultFormat ResultFormat { get; init; }

    /// <summary>Events per result batch.</summary>
    public int BatchSize { get; init; } = 20480;

    /// <inheritdoc />
    public override string QueryType => "scan";
}

/// <summary><c>timeBoundary</c>.</summary>
public sealed record TimeBoundaryQuery : NativeQuery
{
    /// <summary>Which bounds to return.</summary>
    public TimeBoundaryBound Bound { get; init; }

    /// <inheritdoc />
    public override string QueryType => "timeBoundary";
}

/// <summary><c>segmentMetadata</c>.</summary>
public sealed record SegmentMetadataQuery : NativeQuery
{
    /// <summary>Columns to analyse; null means all.</summary>
    public IReadOnlyList<string>? ToInclude { get; init; }

    /// <summary>Merge all segments' analyses into one.</summary>
    public bool Merge { get; init; }

    /// <summary>Which analyses to run.</summary>
    public AnalysisTypes AnalysisTypes { get; init; } = AnalysisTypes.Default;

    /// <summary>How merged aggregators are combined (<c>aggregatorMergeStrategy</c>, or <c>lenientAggregatorMerge</c>).</summary>
    public AggregatorMergeStrategy AggregatorMergeStrategy { get; init; }

    /// <inheritdoc />
    public override string QueryType => "segmentMetadata";

    /// <summary>True if <paramref name="column"/> is analysed.</summary>
    public bool Includes(string column) => ToInclude is null || ToInclude.Contains(column, StringComparer.Ordinal);
}
