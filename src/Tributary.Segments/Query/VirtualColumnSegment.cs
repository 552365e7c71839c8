using Tributary.Bitmaps.Roaring;
using Tributary.Query;
using Tributary.Segments.Schema;
using SchemaDimensionType = Tributary.Segments.Schema.DimensionType;

namespace Tributary.Segments.Query;

/// <summary>
/// A segment seen through a query's virtual columns: everything is the inner segment's, except that a virtual
/// column's name is no stored column (so lookups fall to <see cref="ColumnReader"/>, which evaluates it per row) and
/// a virtual column that reads exactly one string or long dimension can be evaluated once per dictionary value
/// (<see cref="TryDictionary"/>). Disposing it leaves the inner segment alone.
/// </summary>
internal sealed class VirtualColumnSegment(ISegment inner, IReadOnlyList<VirtualColumn> columns) : ISegment
{
    private readonly Dictionary<string, VirtualColumn> _columns = columns.ToDictionary(c => c.Name, StringComparer.Ordinal);

    public ISegment Inner { get; } = inner;

    public SegmentId Id => Inner.Id;

    public DatasourceSpec Spec => Inner.Spec;

    public bool IsSealed => Inner.IsSealed;

    public int RowCount => Inner.RowCount;

    public long EventCount => Inner.EventCount;

    public long IntervalStartMs => Inner.IntervalStartMs;

    public long IntervalEndMs => Inner.IntervalEndMs;

    public long MinTimestampMs => Inner.MinTimestampMs;

    public long MaxTimestampMs => Inner.MaxTimestampMs;

    /// <summary>True if rows are sorted by time (a sealed segment's are), seen through any virtual-column view.</summary>
    public static bool IsTimeSorted(ISegment segment) => (segment is VirtualColumnSegment v ? v.Inner : segment) is SealedSegment;

    public long GetTimestamp(int row) => Inner.GetTimestamp(row);

    public RoaringBitmap AllRows() => Inner.AllRows();

    public RoaringBitmap RowsInInterval(long startMs, long endMs) => Inner.RowsInInterval(startMs, endMs);

    public IDimensionColumn? GetDimension(string name) => _columns.ContainsKey(name) ? null : Inner.GetDimension(name);

    public IMetricColumn? GetMetric(string name) => _columns.ContainsKey(name) ? null : Inner.GetMetric(name);

    /// <summary>The virtual column <paramref name="name"/>, or null.</summary>
    public VirtualColumn? Find(string name) => _columns.GetValueOrDefault(name);

    /// <summary>
    /// For a virtual column that reads only one stored dictionary dimension: that column and the virtual value of each
    /// of its dictionary ids (as strings), computed once per id; otherwise false.
    /// </summary>
    public bool TryDictionary(VirtualColumn column, out IDimensionColumn source, out string?[] values)
    {
        source = null!;
        values = [];
        var inputs = column.Parsed.Identifiers;
        if (inputs.Count != 1 || _columns.ContainsKey(inputs[0]) || Inner.GetDimension(inputs[0]) is not { } dimension)
        {
            return false;
        }

        var isLong = dimension.Spec.Type == SchemaDimensionType.Long;
        values = new string?[dimension.Cardinality];
        for (var id = 0; id < values.Length; id++)
        {
            // a plain row holds a long dimension as a long and a string dimension as its string
            object? value = isLong ? dimension.GetLong(id) : dimension.GetValue(id);
            values[id] = StringComparers.ToDimensionString(column.Evaluate(_ => value));
        }

        source = dimension;
        return true;
    }

    public void Dispose()
    {
    }
}
