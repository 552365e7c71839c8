using Tributary.Bitmaps.Sketches;
using Tributary.Query;
using Tributary.Segments;
using Tributary.Segments.Schema;

namespace Tributary.Grains.Segments;

/// <summary>Runs a native query on one segment and returns its partial result (the segment engine plugs in here).</summary>
public interface ISegmentQueryExecutor
{
    /// <summary>The sketch factory matching the partials this executor produces (for decoding and merging them).</summary>
    ICardinalitySketchFactory Sketches(DatasourceSpec spec);

    /// <summary>The partial result of <paramref name="query"/> over <paramref name="segment"/>.</summary>
    PartialResult Execute(NativeQuery query, ISegment segment, QueryLimits limits, CancellationToken cancellationToken);
}

/// <summary>
/// The fallback executor: materializes the segment's rows and evaluates them with the <see cref="ReferenceEvaluator"/>.
/// Exact but O(rows) per query; the bitmap-based engine of Tributary.Segments replaces it when registered.
/// </summary>
public sealed class MaterializingSegmentQueryExecutor : ISegmentQueryExecutor
{
    /// <inheritdoc />
    public ICardinalitySketchFactory Sketches(DatasourceSpec spec) => new HyperLogLogSketchFactory(spec.HyperUniquePrecision);

    /// <inheritdoc />
    public PartialResult Execute(NativeQuery query, ISegment segment, QueryLimits limits, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(segment);
        var spec = segment.Spec;
        var schema = new RowSchema([
            .. spec.Dimensions.Select(d => new ColumnSchema(d.Name, d.Type == DimensionType.Long ? ColumnType.Long : ColumnType.String)),
            .. spec.Metrics.Select(m => new ColumnSchema(m.Name, m.Type switch
            {
                MetricType.HyperUnique => ColumnType.HyperUnique,
                MetricType.DoubleSum or MetricType.DoubleMin or MetricType.DoubleMax => ColumnType.Double,
                _ => ColumnType.Long,
            })),
        ]);
        var dims = spec.Dimensions.Select(d => (d.Name, Column: segment.GetDimension(d.Name)!)).ToArray();
        var metrics = spec.Metrics.Select(m => (Spec: m, Column: segment.GetMetric(m.Name)!)).ToArray();
        var rows = new List<Row>(segment.RowCount);
        for (var r = 0; r < segment.RowCount; r++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var columns = new Dictionary<string, object?>(dims.Length + metrics.Length, StringComparer.Ordinal);
            foreach (var (name, column) in dims)
            {
                var id = column.GetId(r);
                columns[name] = column.Spec.Type == DimensionType.Long ? column.GetLong(id) : column.GetValue(id);
            }

            foreach (var (m, column) in metrics)
            {
                columns[m.Name] = m.Type switch
                {
                    MetricType.HyperUnique => Sketch(column, r, spec.HyperUniquePrecision),
                    MetricType.DoubleSum or MetricType.DoubleMin or MetricType.DoubleMax => column.GetDouble(r),
                    _ => column.GetLong(r),
                };
            }

            rows.Add(new Row(segment.GetTimestamp(r), columns));
        }

        var evaluator = new ReferenceEvaluator(schema, Sketches(spec), limits);
        return evaluator.EvaluatePartial(query, rows, segment.Id.ToString(), new Interval(segment.IntervalStartMs, segment.IntervalEndMs), cancellationToken);
    }

    private static HyperLogLogSketch Sketch(IMetricColumn column, int row, int precision)
    {
        var hll = new HyperLogLog(precision);
        column.AddTo(row, hll);
        return new HyperLogLogSketch(hll);
    }
}

/// <summary>Tributary.Bitmaps' <see cref="HyperLogLog"/> as the query model's <see cref="ICardinalitySketch"/>.</summary>
public sealed class HyperLogLogSketch(HyperLogLog sketch) : ICardinalitySketch
{
    /// <summary>The wrapped sketch.</summary>
    public HyperLogLog Sketch { get; } = sketch;

    /// <inheritdoc />
    public void Add(ReadOnlySpan<byte> value) => Sketch.Add(value);

    /// <inheritdoc />
    public void Merge(ICardinalitySketch other) => Sketch.Merge(((HyperLogLogSketch)other).Sketch);

    /// <inheritdoc />
    public double Estimate() => Sketch.Estimate();

    /// <inheritdoc />
    public ICardinalitySketch Clone() => new HyperLogLogSketch(Sketch.Clone());

    /// <inheritdoc />
    public byte[] Serialize() => Sketch.ToArray();
}

/// <summary>Creates <see cref="HyperLogLogSketch"/>es of one precision.</summary>
public sealed class HyperLogLogSketchFactory(int precision) : ICardinalitySketchFactory
{
    /// <inheritdoc />
    public ICardinalitySketch Create() => new HyperLogLogSketch(new HyperLogLog(precision));

    /// <inheritdoc />
    public ICardinalitySketch Deserialize(ReadOnlySpan<byte> bytes) => new HyperLogLogSketch(HyperLogLog.Read(bytes));
}
