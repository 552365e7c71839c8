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
}

/// <summary>
/// One entry of a query's <c>aggregations</c>: <c>{"type":"longSum","name":"n","fieldName":"f"}</c>.
/// <see cref="FieldName"/> is null only for <c>count</c>.
/// </summary>
public sealed record AggregatorSpec(AggregatorType Type, string Name, string? FieldName, bool Round = false)
{
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
