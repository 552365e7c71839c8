namespace Tributary.Query;

/// <summary>The value type a dimension is returned as (Druid's <c>outputType</c>).</summary>
public enum DimensionOutputType
{
    /// <summary>Strings (the default).</summary>
    String,

    /// <summary>Longs (values that do not parse become null).</summary>
    Long,

    /// <summary>Doubles (values that do not parse become null).</summary>
    Double,
}

/// <summary>
/// A dimension spec: <c>"page"</c>, <c>{"type":"default","dimension":"page","outputName":"p"}</c>, or
/// <c>{"type":"extraction","dimension":"page","outputName":"p","extractionFn":{..}}</c> (<see cref="ExtractionFn"/> set).
/// </summary>
public sealed record DimensionSpec(string Dimension, string OutputName, DimensionOutputType OutputType = DimensionOutputType.String, ExtractionFn? ExtractionFn = null)
{
    /// <summary>The grouping value of a row whose column holds <paramref name="columnValue"/>: its string form, through <see cref="ExtractionFn"/> if any.</summary>
    public string? ValueOf(object? columnValue)
    {
        var text = StringComparers.ToDimensionString(columnValue);
        return ExtractionFn is null ? text : ExtractionFn.Apply(text);
    }
}

/// <summary>How topN ranks its values.</summary>
public abstract record TopNMetricSpec;

/// <summary><c>"metric"</c> or <c>{"type":"numeric","metric":m}</c>: by an aggregator or post-aggregator, highest first.</summary>
public sealed record NumericTopNMetric(string Metric) : TopNMetricSpec;

/// <summary><c>{"type":"inverted","metric":inner}</c>: the inner ordering reversed.</summary>
public sealed record InvertedTopNMetric(TopNMetricSpec Inner) : TopNMetricSpec;

/// <summary><c>{"type":"dimension","ordering":o,"previousStop":s}</c>: by the dimension value, ascending, after <c>previousStop</c>.</summary>
public sealed record DimensionTopNMetric(StringOrdering Ordering, string? PreviousStop) : TopNMetricSpec;

/// <summary>A groupBy <c>having</c> clause, evaluated on merged result rows.</summary>
public abstract record HavingSpec
{
    /// <summary>True if the row (output name to value) passes.</summary>
    public abstract bool Matches(IReadOnlyDictionary<string, object?> row);

    internal static int? CompareNumber(object? value, double target)
    {
        return PostAggregator.AsDouble(value) is { } d ? d.CompareTo(target) : null;
    }
}

/// <summary><c>{"type":"greaterThan","aggregation":a,"value":v}</c>.</summary>
public sealed record GreaterThanHaving(string Aggregation, double Value) : HavingSpec
{
    /// <inheritdoc />
    public override bool Matches(IReadOnlyDictionary<string, object?> row) => CompareNumber(row.GetValueOrDefault(Aggregation), Value) > 0;
}

/// <summary><c>{"type":"lessThan","aggregation":a,"value":v}</c>.</summary>
public sealed record LessThanHaving(string Aggregation, double Value) : HavingSpec
{
    /// <inheritdoc />
    public override bool Matches(IReadOnlyDictionary<string, object?> row) => CompareNumber(row.GetValueOrDefault(Aggregation), Value) < 0;
}

/// <summary><c>{"type":"equalTo","aggregation":a,"value":v}</c>.</summary>
public sealed record EqualToHaving(string Aggregation, double Value) : HavingSpec
{
    /// <inheritdoc />
    public override bool Matches(IReadOnlyDictionary<string, object?> row) => CompareNumber(row.GetValueOrDefault(Aggregation), Value) == 0;
}

/// <summary><c>{"type":"dimSelector","dimension":d,"value":v}</c>.</summary>
public sealed record DimSelectorHaving(string Dimension, string? Value) : HavingSpec
{
    /// <inheritdoc />
    public override bool Matches(IReadOnlyDictionary<string, object?> row) =>
        string.Equals(StringComparers.ToDimensionString(row.GetValueOrDefault(Dimension)), Value, StringComparison.Ordinal);
}

/// <summary><c>{"type":"filter","filter":f}</c>: a filter over the result row's values as strings.</summary>
public sealed record FilterHaving(Filter Filter) : HavingSpec
{
    /// <inheritdoc />
    public override bool Matches(IReadOnlyDictionary<string, object?> row) =>
        Filter.Evaluate(name => StringComparers.ToDimensionString(row.GetValueOrDefault(name)));
}

/// <summary><c>{"type":"and","havingSpecs":[...]}</c>.</summary>
public sealed record AndHaving(IReadOnlyList<HavingSpec> Specs) : HavingSpec
{
    /// <inheritdoc />
    public override bool Matches(IReadOnlyDictionary<string, object?> row) => Specs.All(s => s.Matches(row));
}

/// <summary><c>{"type":"or","havingSpecs":[...]}</c>.</summary>
public sealed record OrHaving(IReadOnlyList<HavingSpec> Specs) : HavingSpec
{
    /// <inheritdoc />
    public override bool Matches(IReadOnlyDictionary<string, object?> row) => Specs.Any(s => s.Matches(row));
}

/// <summary><c>{"type":"not","havingSpec":h}</c>.</summary>
public sealed record NotHaving(HavingSpec Spec) : HavingSpec
{
    /// <inheritdoc />
    public override bool Matches(IReadOnlyDictionary<string, object?> row) => !Spec.Matches(row);
}

/// <summary>One <c>limitSpec.columns</c> entry: <c>"name"</c> or <c>{"dimension":n,"direction":"descending","dimensionOrder":"numeric"}</c>.</summary>
public sealed record OrderByColumn(string Column, bool Descending, StringOrdering DimensionOrder);

/// <summary>Druid's <c>{"type":"default","columns":[...],"limit":n,"offset":m}</c>.</summary>
public sealed record LimitSpec(IReadOnlyList<OrderByColumn> Columns, long? Limit, long Offset);

/// <summary>Scan's <c>order</c>.</summary>
public enum ScanOrder
{
    /// <summary>Segment order (<c>none</c>).</summary>
    None,

    /// <summary>By <c>__time</c> ascending.</summary>
    Ascending,

    /// <summary>By <c>__time</c> descending.</summary>
    Descending,
}

/// <summary>Scan's <c>resultFormat</c>.</summary>
public enum ScanResultFormat
{
    /// <summary><c>list</c>: events are objects.</summary>
    List,

    /// <summary><c>compactedList</c>: events are arrays in <c>columns</c> order.</summary>
    CompactedList,
}

/// <summary>timeBoundary's <c>bound</c>.</summary>
public enum TimeBoundaryBound
{
    /// <summary>Both <c>minTime</c> and <c>maxTime</c>.</summary>
    Both,

    /// <summary><c>minTime</c> only.</summary>
    MinTime,

    /// <summary><c>maxTime</c> only.</summary>
    MaxTime,
}

/// <summary>segmentMetadata's analyses.</summary>
[Flags]
public enum AnalysisTypes
{
    /// <summary>Nothing.</summary>
    None = 0,

    /// <summary><c>cardinality</c> of string columns.</summary>
    Cardinality = 1,

    /// <summary><c>minmax</c> of columns.</summary>
    MinMax = 2,

    /// <summary><c>size</c> estimates.</summary>
    Size = 4,

    /// <summary><c>interval</c> of segments.</summary>
    Interval = 8,

    /// <summary>Druid's default: cardinality, interval, minmax.</summary>
    Default = Cardinality | MinMax | Interval,

    /// <summary><c>aggregators</c>: the metrics' combining aggregators.</summary>
    Aggregators = 16,

    /// <summary><c>timestampSpec</c> of the ingestion.</summary>
    TimestampSpec = 32,

    /// <summary><c>queryGranularity</c> (the rollup granularity).</summary>
    QueryGranularity = 64,

    /// <summary><c>rollup</c>: whether rows were rolled up.</summary>
    Rollup = 128,
}
