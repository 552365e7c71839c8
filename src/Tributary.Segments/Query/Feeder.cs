using Tributary.Bitmaps.Sketches;
using Tributary.Query;

namespace Tributary.Segments.Query;

/// <summary>
/// Feeds one aggregator's state from the segment's columns by row id. The typed feeders read metric columns without
/// boxing; anything unusual (a dimension or <c>__time</c> as an aggregator input, a longSum over a double metric)
/// goes through <see cref="AggregatorStates.Add"/> with the value a plain row would hold, so it follows the reference
/// semantics exactly.
/// </summary>
internal abstract class Feeder
{
    public abstract void Add(IAggregatorState state, int row);

    public virtual void AddBatch(IAggregatorState state, ReadOnlySpan<uint> rows)
    {
        foreach (var row in rows)
        {
            Add(state, (int)row);
        }
    }

    /// <summary>Feeds row <c>rows[j]</c> into aggregator <paramref name="aggregator"/> of <c>groups[j]</c>, for every j.</summary>
    public virtual void AddEach(IAggregatorState[][] groups, int aggregator, ReadOnlySpan<uint> rows)
    {
        for (var j = 0; j < rows.Length; j++)
        {
            Add(groups[j][aggregator], (int)rows[j]);
        }
    }

    public static Feeder Create(ISegment segment, AggregatorSpec spec)
    {
        if (spec.Type == AggregatorType.Count)
        {
            return CountFeeder.Instance;
        }

        if (spec.FieldName is null)
        {
            return NoFeeder.Instance;
        }

        if (segment.GetDimension(spec.FieldName) is null && segment.GetMetric(spec.FieldName) is { } metric)
        {
            var kind = ColumnReader.Kind(metric);
            switch (spec.Type)
            {
                case AggregatorType.LongSum when kind == MetricKind.Long:
                    return new LongSumFeeder(metric);
                case AggregatorType.LongMin or AggregatorType.LongMax when kind == MetricKind.Long:
                    return new LongExtremumFeeder(metric);
                case AggregatorType.DoubleSum when kind != MetricKind.Sketch:
                    return new DoubleSumFeeder(metric);
                case AggregatorType.DoubleMin or AggregatorType.DoubleMax when kind != MetricKind.Sketch:
                    return new DoubleExtremumFeeder(metric);
                case AggregatorType.HyperUnique when kind == MetricKind.Sketch:
                    return new SketchFeeder(metric, segment.Spec.HyperUniquePrecision);
            }
        }

        return ColumnReader.Create(segment, spec.FieldName) is { } reader ? new GenericFeeder(reader) : NoFeeder.Instance;
    }

    private sealed class CountFeeder : Feeder
    {
        public static readonly CountFeeder Instance = new();

        public override void Add(IAggregatorState state, int row) => ((CountState)state).Count++;

        public override void AddBatch(IAggregatorState state, ReadOnlySpan<uint> rows) => ((CountState)state).Count += rows.Length;

        public override void AddEach(IAggregatorState[][] groups, int aggregator, ReadOnlySpan<uint> rows)
        {
            for (var j = 0; j < rows.Length; j++)
            {
                ((CountState)groups[j][aggregator]).Count++;
            }
        }
    }

    /// <summary>The input column does not exist: every value is null, which no aggregator but count notices.</summary>
    private sealed class NoFeeder : Feeder
    {
        public static readonly NoFeeder Instance = new();

        public override void Add(IAggregatorState state, int row)
        {
        }

        public override void AddBatch(IAggregatorState state, ReadOnlySpan<uint> rows)
        {
        }
    }

    private sealed class LongSumFeeder(IMetricColumn metric) : Feeder
    {
        public override void Add(IAggregatorState state, int row) => ((LongSumState)state).Add(metric.GetLong(row));

        public override void AddBatch(IAggregatorState state, ReadOnlySpan<uint> rows)
        {
            var sum = 0L;
            foreach (var row in rows)
            {
                sum = unchecked(sum + metric.GetLong((int)row));
            }

            ((LongSumState)state).Add(sum);
        }

        public override void AddEach(IAggregatorState[][] groups, int aggregator, ReadOnlySpan<uint> rows)
        {
            for (var j = 0; j < rows.Length; j++)
            {
                ((LongSumState)groups[j][aggregator]).Add(metric.GetLong((int)rows[j]));
            }
        }
    }

    private sealed class LongExtremumFeeder(IMetricColumn metric) : Feeder
    {
        public override void Add(IAggregatorState state, int row) => ((LongExtremumState)state).Add(metric.GetLong(row));
    }

    private sealed class DoubleSumFeeder(IMetricColumn metric) : Feeder
    {
        public override void Add(IAggregatorState state, int row) => ((DoubleSumState)state).Add(metric.GetDouble(row));
    }

    private sealed class DoubleExtremumFeeder(IMetricColumn metric) : Feeder
    {
        public override void Add(IAggregatorState state, int row) => ((DoubleExtremumState)state).Add(metric.GetDouble(row));
    }

    /// <summary>Folds the stored registers of each row straight into the group's HyperLogLog.</summary>
    private sealed class SketchFeeder(IMetricColumn metric, int precision) : Feeder
    {
        public override void Add(IAggregatorState state, int row) => metric.AddTo(row, Target(state));

        public override void AddBatch(IAggregatorState state, ReadOnlySpan<uint> rows)
        {
            var target = Target(state);
            foreach (var row in rows)
            {
                metric.AddTo((int)row, target);
            }
        }

        private HyperLogLog Target(IAggregatorState state)
        {
            var sketch = ((HyperUniqueState)state).Sketch;
            if (sketch is HyperLogLogSketch { Inner: var inner } && inner.Precision == precision)
            {
                return inner;
            }

            throw new InvalidOperationException(
                $"hyperUnique metric '{metric.Spec.Name}' holds p={precision} HyperLogLog registers; query with a HyperLogLogSketchFactory of that precision (got {sketch.GetType().Name})");
        }
    }

    private sealed class GenericFeeder(ColumnReader reader) : Feeder
    {
        public override void Add(IAggregatorState state, int row) => AggregatorStates.Add(state, reader.Get(row));
    }
}
