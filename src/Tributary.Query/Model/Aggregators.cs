namespace Tributary.Query;

/// <summary>
/// The aggregator types Tributary supports, in queries (<c>aggregations</c>) and at ingestion (a datasource's
/// <c>metrics</c>, aggregated on rollup): Druid uses the same type names for both.
/// </summary>
public enum AggregatorType
{
    /// <summary><c>count</c>: number of (rolled-up) rows.</summary>
    Count,

    /// <summary><c>longSum</c>.</summary>
    LongSum,

    /// <summary><c>doubleSum</c> (also accepted as <c>floatSum</c>).</summary>
    DoubleSum,

    /// <summary><c>longMin</c>.</summary>
    LongMin,

    /// <summary><c>longMax</c>.</summary>
    LongMax,

    /// <summary><c>doubleMin</c> (also <c>floatMin</c>).</summary>
    DoubleMin,

    /// <summary><c>doubleMax</c> (also <c>floatMax</c>).</summary>
    DoubleMax,

    /// <summary><c>hyperUnique</c>: HyperLogLog distinct count over a hyperUnique metric or a raw column.</summary>
    HyperUnique,

    /// <summary><c>cardinality</c>: HyperLogLog distinct count of dimension values (<see cref="AggregatorSpec.Fields"/>), by value or by row.</summary>
    Cardinality,

    /// <summary><c>doubleMean</c>: the mean of the values (0 when none).</summary>
    DoubleMean,

    /// <summary><c>longFirst</c>: the value at the earliest time.</summary>
    LongFirst,

    /// <summary><c>longLast</c>: the value at the latest time.</summary>
    LongLast,

    /// <summary><c>doubleFirst</c> (also <c>floatFirst</c>).</summary>
    DoubleFirst,

    /// <summary><c>doubleLast</c> (also <c>floatLast</c>).</summary>
    DoubleLast,

    /// <summary><c>stringFirst</c>.</summary>
    StringFirst,

    /// <summary><c>stringLast</c>.</summary>
    StringLast,
}

/// <summary>
/// One entry of a query's <c>aggregations</c>: <c>{"type":"longSum","name":"n","fieldName":"f"}</c>.
/// <see cref="FieldName"/> is null only for <c>count</c> and <c>cardinality</c>. A <c>filtered</c> aggregator is its
/// inner aggregator with <see cref="Filter"/> set (nested ones and-ed), named as Druid names it.
/// </summary>
public sealed record AggregatorSpec(AggregatorType Type, string Name, string? FieldName, bool Round = false)
{
    /// <summary>The filter of a <c>filtered</c> aggregator: only matching rows are aggregated.</summary>
    public Filter? Filter { get; init; }

    /// <summary>The fields of a <c>cardinality</c> aggregator (dimension specs, extraction allowed).</summary>
    public IReadOnlyList<DimensionSpec> Fields { get; init; } = [];

    /// <summary><c>cardinality</c>'s <c>byRow</c>: count distinct tuples of the fields instead of distinct values over all of them.</summary>
    public bool ByRow { get; init; }

    /// <summary>The time column of first/last aggregators (<c>timeColumn</c>, default <c>__time</c>).</summary>
    public string TimeColumn { get; init; } = Row.TimeColumn;

    /// <summary><c>stringFirst</c>/<c>stringLast</c>'s <c>maxStringBytes</c>: longer values are cut to this many UTF-8 bytes.</summary>
    public int MaxStringBytes { get; init; } = 1024;

    /// <summary><c>stringFirst</c>/<c>stringLast</c>'s <c>filterNullValues</c>: null values are skipped.</summary>
    public bool FilterNullValues { get; init; }

    /// <summary>Every column the aggregator reads (its field, cardinality fields, the filter's columns, first/last's time column).</summary>
    public IEnumerable<string> Columns()
    {
        if (FieldName is not null)
        {
            yield return FieldName;
        }

        foreach (var field in Fields)
        {
            yield return field.Dimension;
        }

        foreach (var column in Filter?.Dimensions ?? [])
        {
            yield return column;
        }

        if (IsFirstLast)
        {
            yield return TimeColumn;
        }
    }

    /// <summary>True for the first/last aggregators.</summary>
    public bool IsFirstLast => Type is AggregatorType.LongFirst or AggregatorType.LongLast or AggregatorType.DoubleFirst or AggregatorType.DoubleLast or AggregatorType.StringFirst or AggregatorType.StringLast;

    /// <summary>The Druid type name.</summary>
    public string TypeName => Type switch
    {
        AggregatorType.Count => "count",
        AggregatorType.LongSum => "longSum",
        AggregatorType.DoubleSum => "doubleSum",
        AggregatorType.LongMin => "longMin",
        AggregatorType.LongMax => "longMax",
        AggregatorType.DoubleMin => "doubleMin",
        AggregatorType.DoubleMax => "doubleMax",
        AggregatorType.Cardinality => "cardinality",
        AggregatorType.DoubleMean => "doubleMean",
        AggregatorType.LongFirst => "longFirst",
        AggregatorType.LongLast => "longLast",
        AggregatorType.DoubleFirst => "doubleFirst",
        AggregatorType.DoubleLast => "doubleLast",
        AggregatorType.StringFirst => "stringFirst",
        AggregatorType.StringLast => "stringLast",
        _ => "hyperUnique",
    };
}

/// <summary>
/// A HyperLogLog-style distinct-count sketch, implemented by the segment engine (Tributary.Segments adapts
/// Tributary.Bitmaps' HyperLogLog). Merging two sketches must give exactly the sketch of the union of their
/// inputs, so partial results merge exactly.
/// </summary>
public interface ICardinalitySketch
{
    /// <summary>Adds one value (its UTF-8 bytes).</summary>
    void Add(ReadOnlySpan<byte> value);

    /// <summary>Folds <paramref name="other"/> into this sketch (register-wise union).</summary>
    void Merge(ICardinalitySketch other);

    /// <summary>The estimated number of distinct values added.</summary>
    double Estimate();

    /// <summary>A deep copy.</summary>
    ICardinalitySketch Clone();

    /// <summary>The sketch's portable bytes, readable by <see cref="ICardinalitySketchFactory.Deserialize"/>.</summary>
    byte[] Serialize();
}

/// <summary>Creates and reads <see cref="ICardinalitySketch"/>es of one implementation.</summary>
public interface ICardinalitySketchFactory
{
    /// <summary>An empty sketch.</summary>
    ICardinalitySketch Create();

    /// <summary>Reads bytes written by <see cref="ICardinalitySketch.Serialize"/>.</summary>
    ICardinalitySketch Deserialize(ReadOnlySpan<byte> bytes);
}
