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
    /// <summary>True for a plain <c>count</c>, which a timeseries over all rows can answer from the bitmap's cardinality.</summary>
    public virtual bool IsCount => false;

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

    /// <summary>The feeder of <paramref name="spec"/>, ignoring its filter (see <see cref="Filtered"/>).</summary>
    public static Feeder Create(ISegment segment, AggregatorSpec spec)
    {
        if (spec.Type == AggregatorType.Count)
        {
            return CountFeeder.Instance;
        }

        if (spec.Type == AggregatorType.Cardinality)
        {
            return new CardinalityFeeder(segment, spec);
        }

        if (spec.IsFirstLast)
        {
            return new FirstLastFeeder(segment, spec);
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

    /// <summary>Feeds <paramref name="inner"/> only the rows of <paramref name="rows"/> (a filtered aggregator's filter), tested against a bitset of the segment's rows.</summary>
    public static Feeder Filtered(Feeder inner, RowSet rows, int rowCount)
    {
        if (rows.IsAll)
        {
            return inner;
        }

        if (rows.IsEmpty(rowCount))
        {
            return NoFeeder.Instance;
        }

        var bits = new ulong[(rowCount + 63) >> 6];
        using var cursor = new RowCursor(rows, rowCount);
        Span<uint> batch = stackalloc uint[256];
        int n;
        while ((n = cursor.Read(batch)) > 0)
        {
            foreach (var row in batch[..n])
            {
                bits[row >> 6] |= 1UL << (int)(row & 63);
            }
        }

        return new FilteredFeeder(inner, bits);
    }

    private sealed class FilteredFeeder(Feeder inner, ulong[] bits) : Feeder
    {
        private bool Matches(uint row) => (bits[row >> 6] & (1UL << (int)(row & 63))) != 0;

        public override void Add(IAggregatorState state, int row)
        {
            if (Matches((uint)row))
            {
                inner.Add(state, row);
            }
        }

        public override void AddBatch(IAggregatorState state, ReadOnlySpan<uint> rows)
        {
            Span<uint> kept = rows.Length <= 4096 ? stackalloc uint[rows.Length] : new uint[rows.Length];
            var n = 0;
            foreach (var row in rows)
            {
                if (Matches(row))
                {
                    kept[n++] = row;
                }
            }

            if (n > 0)
            {
                inner.AddBatch(state, kept[..n]);
            }
        }

        public override void AddEach(IAggregatorState[][] groups, int aggregator, ReadOnlySpan<uint> rows)
        {
            for (var j = 0; j < rows.Length; j++)
            {
                if (Matches(rows[j]))
                {
                    inner.Add(groups[j][aggregator], (int)rows[j]);
                }
            }
        }
    }

    /// <summary>
    /// cardinality: each field's value per row, as UTF-8 bytes computed once per dictionary value (extraction applied)
    /// for dimensions, or per row for <c>__time</c> and metrics; hashed into the group's sketch exactly as
    /// <see cref="AggregatorStates.AddCardinality"/> does for plain rows.
    /// </summary>
    private sealed class CardinalityFeeder : Feeder
    {
        private static readonly byte[] Separator = [1];
        private readonly bool _byRow;
        private readonly Func<int, byte[]?>[] _fields;
        private byte[] _buffer = new byte[256];

        public CardinalityFeeder(ISegment segment, AggregatorSpec spec)
        {
            _byRow = spec.ByRow;
            _fields = [.. spec.Fields.Select(f => Field(segment, f))];
        }

        public override void Add(IAggregatorState state, int row)
        {
            var h = (HyperUniqueState)state;
            if (!_byRow)
            {
                foreach (var field in _fields)
                {
                    if (field(row) is { } bytes)
                    {
                        h.Sketch.Add(bytes);
                    }
                }

                return;
            }

            var length = 0;
            var any = false;
            for (var i = 0; i < _fields.Length; i++)
            {
                var bytes = _fields[i](row);
                any |= bytes is not null;
                if (i > 0)
                {
                    Append(ref length, Separator);
                }

                if (bytes is not null)
                {
                    Append(ref length, bytes);
                }
            }

            if (any)
            {
                h.Sketch.Add(_buffer.AsSpan(0, length));
            }
        }

        private void Append(ref int length, byte[] bytes)
        {
            if (length + bytes.Length > _buffer.Length)
            {
                Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, length + bytes.Length));
            }

            bytes.CopyTo(_buffer, length);
            length += bytes.Length;
        }

        private static Func<int, byte[]?> Field(ISegment segment, Tributary.Query.DimensionSpec field)
        {
            if (segment.GetDimension(field.Dimension) is { } column)
            {
                var byId = new byte[]?[column.Cardinality];
                for (var id = 0; id < byId.Length; id++)
                {
                    byId[id] = field.ValueOf(column.GetValue(id)) is { } v ? System.Text.Encoding.UTF8.GetBytes(v) : null;
                }

                return row => byId[column.GetId(row)];
            }

            if (ColumnReader.Create(segment, field.Dimension) is { } reader)
            {
                return row => field.ValueOf(reader.Get(row)) is { } v ? System.Text.Encoding.UTF8.GetBytes(v) : null;
            }

            var constant = field.ValueOf(null) is { } c ? System.Text.Encoding.UTF8.GetBytes(c) : null;
            return _ => constant;
        }
    }

    /// <summary>first/last: the row's time (segment row time for <c>__time</c>) and the field's value as a plain row holds it.</summary>
    private sealed class FirstLastFeeder(ISegment segment, AggregatorSpec spec) : Feeder
    {
        private readonly ColumnReader? _time = spec.TimeColumn == Row.TimeColumn ? null : ColumnReader.Create(segment, spec.TimeColumn);
        private readonly ColumnReader? _value = spec.FieldName is null ? null : ColumnReader.Create(segment, spec.FieldName);
        private readonly bool _timeMissing = spec.TimeColumn != Row.TimeColumn && ColumnReader.Create(segment, spec.TimeColumn) is null;

        public override void Add(IAggregatorState state, int row)
        {
            long time;
            if (_timeMissing)
            {
                return;
            }

            if (_time is null)
            {
                time = segment.GetTimestamp(row);
            }
            else if (AggregatorStates.AsLong(_time.Get(row)) is { } t)
            {
                time = t;
            }
            else
            {
                return;
            }

            var value = _value?.Get(row);
            if (!(spec.FilterNullValues && value is null))
            {
                ((FirstLastState)state).Offer(time, value);
            }
        }
    }

    private sealed class CountFeeder : Feeder
    {
        public static readonly CountFeeder Instance = new();

        public override bool IsCount => true;

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
