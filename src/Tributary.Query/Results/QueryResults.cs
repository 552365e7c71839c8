namespace Tributary.Query;

/// <summary>A finished query result, written as Druid's response JSON by <see cref="QueryResultWriter"/>.</summary>
public abstract class QueryResult
{
}

/// <summary>One timeseries bucket: <c>{"timestamp":..,"result":{..}}</c>; the grand-total row has a null timestamp.</summary>
public sealed record TimeseriesRow(long? Timestamp, OrderedDictionary<string, object?> Result);

/// <summary>A timeseries result.</summary>
public sealed class TimeseriesResult(IReadOnlyList<TimeseriesRow> rows) : QueryResult
{
    /// <summary>The buckets in output order.</summary>
    public IReadOnlyList<TimeseriesRow> Rows { get; } = rows;
}

/// <summary>One topN bucket: <c>{"timestamp":..,"result":[{..},..]}</c>.</summary>
public sealed record TopNBucket(long Timestamp, IReadOnlyList<OrderedDictionary<string, object?>> Result);

/// <summary>A topN result.</summary>
public sealed class TopNResult(IReadOnlyList<TopNBucket> buckets) : QueryResult
{
    /// <summary>The buckets in time order.</summary>
    public IReadOnlyList<TopNBucket> Buckets { get; } = buckets;
}

/// <summary>One groupBy row: <c>{"version":"v1","timestamp":..,"event":{..}}</c>.</summary>
public sealed record GroupByRow(long Timestamp, OrderedDictionary<string, object?> Event);

/// <summary>A groupBy result.</summary>
public sealed class GroupByResult(IReadOnlyList<GroupByRow> rows) : QueryResult
{
    /// <summary>The rows in output order.</summary>
    public IReadOnlyList<GroupByRow> Rows { get; } = rows;
}

/// <summary>One scan batch: <c>{"segmentId":..,"columns":[..],"events":[..]}</c>; events are value arrays in <see cref="Columns"/> order.</summary>
public sealed record ScanBatch(string SegmentId, IReadOnlyList<string> Columns, IReadOnlyList<object?[]> Events);

/// <summary>A scan result.</summary>
public sealed class ScanResult(ScanResultFormat format, IReadOnlyList<ScanBatch> batches) : QueryResult
{
    /// <summary>How events are written.</summary>
    public ScanResultFormat Format { get; } = format;

    /// <summary>The batches in output order.</summary>
    public IReadOnlyList<ScanBatch> Batches { get; } = batches;

    /// <summary>All events in output order as (column, value) maps.</summary>
    public IEnumerable<IReadOnlyDictionary<string, object?>> Events =>
        Batches.SelectMany(b => b.Events.Select(e =>
        {
            var d = new Dictionary<string, object?>(StringComparer.Ordinal);
            for (var i = 0; i < b.Columns.Count; i++)
            {
                d[b.Columns[i]] = e[i];
            }

            return (IReadOnlyDictionary<string, object?>)d;
        }));
}

/// <summary>A timeBoundary result; empty when no row matched.</summary>
public sealed class TimeBoundaryResult(long? minTime, long? maxTime, TimeBoundaryBound bound) : QueryResult
{
    /// <summary>The earliest matching timestamp.</summary>
    public long? MinTime { get; } = minTime;

    /// <summary>The latest matching timestamp.</summary>
    public long? MaxTime { get; } = maxTime;

    /// <summary>Which bounds are reported.</summary>
    public TimeBoundaryBound Bound { get; } = bound;
}

/// <summary>One column of a segment analysis (Druid's <c>ColumnAnalysis</c>).</summary>
/// <param name="Type">LONG, DOUBLE, STRING or hyperUnique.</param>
/// <param name="TypeSignature">Druid's type signature (STRING, LONG, DOUBLE, COMPLEX&lt;hyperUnique&gt;).</param>
/// <param name="HasMultipleValues">Always false: Tributary dimensions are single-valued.</param>
/// <param name="HasNulls">True if some row lacks a value.</param>
/// <param name="Size">Estimated bytes (0 unless the size analysis was asked for).</param>
/// <param name="Cardinality">Distinct values of a string column, if analysed.</param>
/// <param name="MinValue">Smallest value, if analysed.</param>
/// <param name="MaxValue">Largest value, if analysed.</param>
/// <param name="ErrorMessage">Set when analyses of different segments could not be merged.</param>
public sealed record ColumnAnalysis(string Type, string TypeSignature, bool HasMultipleValues, bool HasNulls, long Size, long? Cardinality, object? MinValue, object? MaxValue, string? ErrorMessage);

/// <summary>One segment's (or the merged) analysis.</summary>
public sealed record SegmentAnalysis(string Id, IReadOnlyList<Interval>? Intervals, OrderedDictionary<string, ColumnAnalysis> Columns, long Size, long NumRows)
{
    /// <summary>The <c>aggregators</c> analysis: name to combining aggregator (null where a lenient merge met a conflict); null when not analysed.</summary>
    public OrderedDictionary<string, AggregatorSpec?>? Aggregators { get; init; }

    /// <summary>The <c>timestampSpec</c> analysis, null when not analysed or when merged segments differ.</summary>
    public SegmentTimestampSpec? TimestampSpec { get; init; }

    /// <summary>The <c>queryGranularity</c> analysis (Druid's granularity name), null when not analysed or when merged segments differ.</summary>
    public string? QueryGranularity { get; init; }

    /// <summary>The <c>rollup</c> analysis, null when not analysed or when merged segments differ.</summary>
    public bool? Rollup { get; init; }
}

/// <summary>A segmentMetadata result.</summary>
public sealed class SegmentMetadataResult(IReadOnlyList<SegmentAnalysis> segments) : QueryResult
{
    /// <summary>One analysis per segment, or one merged analysis.</summary>
    public IReadOnlyList<SegmentAnalysis> Segments { get; } = segments;
}
