using Tributary.Bitmaps.Sketches;
using Tributary.Query;
using SchemaDimensionType = Tributary.Segments.Schema.DimensionType;

namespace Tributary.Segments.Query;

/// <summary>
/// Reads one column of a row as the plain value Tributary.Query's <see cref="Row"/> would hold: <c>__time</c> and
/// long dimensions as <see cref="long"/>, string dimensions as <see cref="string"/>, metrics as long or double, and
/// hyperUnique metrics as a <see cref="HyperLogLogSketch"/> of the row. The slow, general path (scan columns,
/// unusual aggregator inputs); hot paths read columns directly.
/// </summary>
internal abstract class ColumnReader
{
    public abstract object? Get(int row);

    /// <summary>A reader of <paramref name="name"/>, or null when the segment has no such column.</summary>
    public static ColumnReader? Create(ISegment segment, string name)
    {
        if (name == Row.TimeColumn)
        {
            return new TimeReader(segment);
        }

        if (segment is VirtualColumnSegment view && view.Find(name) is { } virtualColumn)
        {
            return new VirtualReader(view, virtualColumn);
        }

        if (segment.GetDimension(name) is { } dimension)
        {
            return dimension.Spec.Type == SchemaDimensionType.Long ? new LongDimensionReader(dimension) : new StringDimensionReader(dimension);
        }

        if (segment.GetMetric(name) is { } metric)
        {
            return Kind(metric) switch
            {
                MetricKind.Long => new LongMetricReader(metric),
                MetricKind.Double => new DoubleMetricReader(metric),
                _ => new SketchMetricReader(metric, segment.Spec.HyperUniquePrecision),
            };
        }

        return null;
    }

    public static MetricKind Kind(IMetricColumn metric) => metric.Spec.Type switch
    {
        AggregatorType.Count or AggregatorType.LongSum or AggregatorType.LongMin or AggregatorType.LongMax => MetricKind.Long,
        AggregatorType.HyperUnique => MetricKind.Sketch,
        _ => MetricKind.Double,
    };

    /// <summary>Evaluates a virtual column per row over readers of the columns it reads (virtual ones included).</summary>
    private sealed class VirtualReader : ColumnReader
    {
        private readonly VirtualColumn _column;
        private readonly Dictionary<string, ColumnReader?> _inputs;

        public VirtualReader(VirtualColumnSegment segment, VirtualColumn column)
        {
            _column = column;
            _inputs = column.Parsed.Identifiers.ToDictionary(n => n, n => Create(segment, n), StringComparer.Ordinal);
        }

        public override object? Get(int row) => _column.Evaluate(name => _inputs.TryGetValue(name, out var reader) ? reader?.Get(row) : null);
    }

    private sealed class TimeReader(ISegment segment) : ColumnReader
    {
        public override object? Get(int row) => segment.GetTimestamp(row);
    }

    private sealed class StringDimensionReader(IDimensionColumn column) : ColumnReader
    {
        public override object? Get(int row) => column.GetValue(column.GetId(row));
    }

    private sealed class LongDimensionReader(IDimensionColumn column) : ColumnReader
    {
        public override object? Get(int row) => column.GetLong(column.GetId(row));
    }

    private sealed class LongMetricReader(IMetricColumn metric) : ColumnReader
    {
        public override object? Get(int row) => metric.GetLong(row);
    }

    private sealed class DoubleMetricReader(IMetricColumn metric) : ColumnReader
    {
        public override object? Get(int row) => metric.GetDouble(row);
    }

    private sealed class SketchMetricReader(IMetricColumn metric, int precision) : ColumnReader
    {
        public override object? Get(int row)
        {
            var sketch = new HyperLogLog(precision);
            metric.AddTo(row, sketch);
            return new HyperLogLogSketch(sketch);
        }
    }
}

/// <summary>How a metric column stores its values.</summary>
internal enum MetricKind
{
    Long,
    Double,
    Sketch,
}
