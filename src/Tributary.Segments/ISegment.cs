using Tributary.Bitmaps.Roaring;
using Tributary.Bitmaps.Sketches;
using Tributary.Segments.Schema;

namespace Tributary.Segments;

/// <summary>
/// The read side shared by open and sealed segments: the scan primitives that per-segment query execution
/// is built from. Filters become bitmap operations over dimension dictionaries (selector and in:
/// <see cref="IDimensionColumn.Select(string?)"/>; bound, like and regex: <see cref="IDimensionColumn.Select(Func{string?, bool})"/>
/// or an id range on sorted dictionaries; and/or/not: <see cref="RoaringBitmap"/> and/or/andnot against
/// <see cref="AllRows"/>), and aggregators read metric columns by row id.
/// </summary>
/// <remarks>
/// Row ids are dense (0 .. <see cref="RowCount"/> − 1). One row is one rolled-up (time bucket, dimension values)
/// combination; <c>count</c> metrics hold how many events it stands for.
/// </remarks>
public interface ISegment : IDisposable
{
    /// <summary>Which segment this is.</summary>
    SegmentId Id { get; }

    /// <summary>The datasource spec its columns follow.</summary>
    DatasourceSpec Spec { get; }

    /// <summary>Whether the segment is sealed (immutable).</summary>
    bool IsSealed { get; }

    /// <summary>Rows (after rollup).</summary>
    int RowCount { get; }

    /// <summary>Events appended (before rollup).</summary>
    long EventCount { get; }

    /// <summary>Start of the segment's interval, Unix ms (inclusive).</summary>
    long IntervalStartMs { get; }

    /// <summary>End of the segment's interval, Unix ms (exclusive).</summary>
    long IntervalEndMs { get; }

    /// <summary>Smallest (truncated) row time, or <see cref="long.MaxValue"/> when empty.</summary>
    long MinTimestampMs { get; }

    /// <summary>Largest (truncated) row time, or <see cref="long.MinValue"/> when empty.</summary>
    long MaxTimestampMs { get; }

    /// <summary>The (query-granularity truncated) time of <paramref name="row"/>, Unix ms.</summary>
    long GetTimestamp(int row);

    /// <summary>A new bitmap of every row (the universe for <c>not</c>). The caller owns and disposes it.</summary>
    RoaringBitmap AllRows();

    /// <summary>A new bitmap of the rows whose time is in [<paramref name="startMs"/>, <paramref name="endMs"/>). The caller owns it.</summary>
    RoaringBitmap RowsInInterval(long startMs, long endMs);

    /// <summary>The dimension column called <paramref name="name"/>, or null when the datasource has none.</summary>
    IDimensionColumn? GetDimension(string name);

    /// <summary>The metric column called <paramref name="name"/>, or null when the datasource has none.</summary>
    IMetricColumn? GetMetric(string name);
}

/// <summary>A dictionary-encoded dimension with one bitmap of row ids per distinct value.</summary>
public interface IDimensionColumn
{
    /// <summary>The column's spec.</summary>
    DimensionSpec Spec { get; }

    /// <summary>Distinct values (null counts as one when present).</summary>
    int Cardinality { get; }

    /// <summary>
    /// Whether ids follow value order (null first, then UTF-8 byte order for strings, numeric order for longs):
    /// true for sealed segments, so bound filters can binary-search an id range.
    /// </summary>
    bool IsSorted { get; }

    /// <summary>The value of <paramref name="id"/> as Druid sees it (longs as decimal text); null for the null value.</summary>
    string? GetValue(int id);

    /// <summary>The numeric value of <paramref name="id"/> for long dimensions; null for the null value or a string dimension.</summary>
    long? GetLong(int id);

    /// <summary>The id of <paramref name="value"/> (null for the null value), or -1 when absent. Long dimensions parse the text.</summary>
    int IndexOf(string? value);

    /// <summary>The value id of <paramref name="row"/> (for grouping).</summary>
    int GetId(int row);

    /// <summary>
    /// The rows holding value <paramref name="id"/>. Borrowed: owned by the segment, valid while a sealed segment lives
    /// and, for an open segment (which builds it on demand and caches it), until the next append; never dispose or
    /// mutate it (combine it into a bitmap you own, or <see cref="RoaringBitmap.Clone"/> it).
    /// </summary>
    RoaringBitmap GetRows(int id);

    /// <summary>A new bitmap of the rows whose value is <paramref name="value"/> (selector). The caller owns it.</summary>
    RoaringBitmap Select(string? value);

    /// <summary>A new bitmap of the rows whose value is any of <paramref name="values"/> (in). The caller owns it.</summary>
    RoaringBitmap Select(IEnumerable<string?> values);

    /// <summary>A new bitmap of the rows whose value passes <paramref name="predicate"/> (bound, like, regex); the predicate runs once per distinct value.</summary>
    RoaringBitmap Select(Func<string?, bool> predicate);

    /// <summary>
    /// A new bitmap of the rows whose value id is any of <paramref name="ids"/> (in filters, after the values are
    /// looked up). The caller owns it. The default unions <see cref="GetRows"/>; an open segment scans its id column once.
    /// </summary>
    RoaringBitmap SelectIds(IEnumerable<int> ids) => RoaringBitmap.OrMany([.. ids.Distinct().Order().Select(GetRows)]);

    /// <summary>A new bitmap of the rows whose value id is in [<paramref name="fromId"/>, <paramref name="toIdExclusive"/>) (bound filters over sorted dictionaries).</summary>
    RoaringBitmap SelectIdRange(int fromId, int toIdExclusive);

    /// <summary>
    /// The ids of the non-null values within the bounds (null bound = unbounded), by binary search: UTF-8 byte order
    /// (Druid's lexicographic ordering) for string dimensions, numeric order for long dimensions (bounds parsed as
    /// numbers). False when the dictionary is not sorted (<see cref="IsSorted"/>) or a long bound is not a number:
    /// then evaluate the bound with <see cref="Select(Func{string?, bool})"/>.
    /// </summary>
    bool TryGetIdRange(string? lower, bool lowerStrict, string? upper, bool upperStrict, out int fromId, out int toIdExclusive);
}

/// <summary>A metric column, read by row id.</summary>
public interface IMetricColumn
{
    /// <summary>The column's spec.</summary>
    MetricSpec Spec { get; }

    /// <summary>The value of a count/long metric at <paramref name="row"/> (doubles are truncated).</summary>
    long GetLong(int row);

    /// <summary>The value of a numeric metric at <paramref name="row"/>.</summary>
    double GetDouble(int row);

    /// <summary>Folds the hyperUnique sketch of <paramref name="row"/> into <paramref name="sketch"/> (same precision as the spec's).</summary>
    void AddTo(int row, HyperLogLog sketch);
}

/// <summary>Names one segment: datasource, interval start (Unix ms) and Kafka partition.</summary>
/// <param name="Datasource">Datasource name.</param>
/// <param name="IntervalStartMs">Start of the segment's interval, Unix ms.</param>
/// <param name="Partition">Kafka partition whose events it holds.</param>
public readonly record struct SegmentId(string Datasource, long IntervalStartMs, int Partition)
{
    /// <summary>The segment's grain key, <c>{datasource}/{yyyy-MM-ddTHH}/{partition}</c> (<see cref="SegmentKey"/>).</summary>
    public override string ToString() => SegmentKey.FormatUnchecked(Datasource, IntervalStartMs, Partition);
}
