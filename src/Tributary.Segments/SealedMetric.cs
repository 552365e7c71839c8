using System.Buffers.Binary;
using Tributary.Bitmaps.Sketches;
using Tributary.Query;
using Tributary.Segments.Columns;
using Tributary.Segments.Format;
using Tributary.Segments.Schema;

namespace Tributary.Segments;

/// <summary>The metric columns of a <see cref="SealedSegment"/>, read as zero-copy views over their sections (the counterpart of <see cref="OpenMetric"/>).</summary>
internal static class SealedMetric
{
    public static IMetricColumn Create(SealedSegment segment, MetricSpec spec, int index) => spec.Type switch
    {
        AggregatorType.HyperUnique => new HyperUniqueMetric(spec, segment.Section(SectionKind.HyperUnique, index), segment.RowCount, segment.Spec.HyperUniquePrecision, segment.Id),
        AggregatorType.DoubleSum or AggregatorType.DoubleMin or AggregatorType.DoubleMax => new DoubleMetric(spec, segment.Section(SectionKind.DoubleMetric, index), segment.RowCount, segment.Id),
        _ => new LongMetric(spec, segment.Column(SectionKind.LongMetric, index, $"metric '{spec.Name}'")),
    };

    internal sealed class LongMetric(MetricSpec spec, PackedColumnView values) : IMetricColumn
    {
        public MetricSpec Spec { get; } = spec;

        public long GetLong(int row) => values[row];

        public double GetDouble(int row) => values[row];

        public void AddTo(int row, HyperLogLog sketch) => throw new InvalidOperationException($"metric '{Spec.Name}' is {Spec.Type}, not hyperUnique");
    }

    internal sealed class DoubleMetric : IMetricColumn
    {
        private readonly ReadOnlyMemory<byte> _values;

        public DoubleMetric(MetricSpec spec, ReadOnlyMemory<byte> section, int rows, SegmentId id)
        {
            Spec = spec;
            if (section.Length < 8 || BinaryPrimitives.ReadInt32LittleEndian(section.Span) != rows || section.Length < 8 + (rows * 8L))
            {
                throw new InvalidDataException($"segment {id} metric '{spec.Name}': double column does not hold {rows} rows");
            }

            _values = section.Slice(8, rows * 8);
        }

        public MetricSpec Spec { get; }

        public long GetLong(int row) => (long)GetDouble(row);

        public double GetDouble(int row) => BinaryPrimitives.ReadDoubleLittleEndian(_values.Span[(row * 8)..]);

        public void AddTo(int row, HyperLogLog sketch) => throw new InvalidOperationException($"metric '{Spec.Name}' is {Spec.Type}, not hyperUnique");
    }

    internal sealed class HyperUniqueMetric : IMetricColumn, IHyperUniqueRows
    {
        private const uint PoolTag = 0x8000_0000;
        private const uint SketchMarker = 0xFFFF_FFFF;
        private readonly ReadOnlyMemory<byte> _entries;
        private readonly ReadOnlyMemory<byte> _pool;
        private readonly Dictionary<int, HyperLogLog> _sketches = [];
        private readonly int _precision;

        public HyperUniqueMetric(MetricSpec spec, ReadOnlyMemory<byte> section, int rows, int precision, SegmentId id)
        {
            Spec = spec;
            _precision = precision;
            var span = section.Span;
            var what = $"segment {id} metric '{spec.Name}'";
            var poolLength = span.Length >= 16 ? BinaryPrimitives.ReadInt32LittleEndian(span[4..]) : -1;
            if (span.Length < 16 || BinaryPrimitives.ReadInt32LittleEndian(span) != rows || poolLength < 0 || span.Length < 16 + ((rows + (long)poolLength) * 4))
            {
                throw new InvalidDataException($"{what}: hyperUnique column does not hold {rows} rows");
            }

            _entries = section.Slice(16, rows * 4);
            _pool = section.Slice(16 + (rows * 4), poolLength * 4);
            var sketches = BinaryPrimitives.ReadInt32LittleEndian(span[8..]);
            var position = 16 + ((rows + poolLength) * 4);
            for (var i = 0; i < sketches; i++)
            {
                if (span.Length - position < 8)
                {
                    throw new InvalidDataException($"{what}: sketch {i} header truncated at section byte {position}");
                }

                var row = BinaryPrimitives.ReadInt32LittleEndian(span[position..]);
                var length = BinaryPrimitives.ReadInt32LittleEndian(span[(position + 4)..]);
                if (row < 0 || row >= rows || length < 0 || span.Length - position - 8 < length)
                {
                    throw new InvalidDataException($"{what}: sketch {i} (row {row}, {length} bytes) is out of range");
                }

                var sketch = HyperLogLog.Read(span.Slice(position + 8, length));
                _sketches[row] = sketch.Precision == precision ? sketch : throw new InvalidDataException($"{what}: sketch {i} has p={sketch.Precision}, expected {precision}");
                position += 8 + length;
            }
        }

        public MetricSpec Spec { get; }

        public long GetLong(int row) => (long)Math.Round(GetDouble(row));

        public double GetDouble(int row)
        {
            var sketch = new HyperLogLog(_precision);
            AddTo(row, sketch);
            return sketch.Estimate();
        }

        public HyperLogLog? ReadRow(int row, List<uint> updates)
        {
            updates.Clear();
            var entry = BinaryPrimitives.ReadUInt32LittleEndian(_entries.Span[(row * 4)..]);
            if (entry == SketchMarker)
            {
                return _sketches[row];
            }

            if ((entry & PoolTag) != 0)
            {
                var pool = _pool.Span;
                var offset = (int)(entry & ~PoolTag) * 4;
                var count = (int)BinaryPrimitives.ReadUInt32LittleEndian(pool[offset..]);
                for (var i = 0; i < count; i++)
                {
                    updates.Add(BinaryPrimitives.ReadUInt32LittleEndian(pool[(offset + 4 + (i * 4))..]));
                }
            }
            else if (entry != 0)
            {
                updates.Add(entry);
            }

            return null;
        }

        public void AddTo(int row, HyperLogLog sketch)
        {
            ArgumentNullException.ThrowIfNull(sketch);
            var entry = BinaryPrimitives.ReadUInt32LittleEndian(_entries.Span[(row * 4)..]);
            if (entry == SketchMarker)
            {
                sketch.Merge(_sketches[row]);
            }
            else if ((entry & PoolTag) != 0)
            {
                var pool = _pool.Span;
                var offset = (int)(entry & ~PoolTag) * 4;
                var count = offset + 4 <= pool.Length ? (int)BinaryPrimitives.ReadUInt32LittleEndian(pool[offset..]) : -1;
                if (count < 0 || pool.Length - offset - 4 < (long)count * 4)
                {
                    throw new InvalidDataException($"metric '{Spec.Name}': row {row} points outside the update pool");
                }

                for (var i = 0; i < count; i++)
                {
                    sketch.AddEncoded(BinaryPrimitives.ReadUInt32LittleEndian(pool[(offset + 4 + (i * 4))..]));
                }
            }
            else if (entry != 0)
            {
                sketch.AddEncoded(entry);
            }
        }
    }
}

/// <summary>Raw hyperUnique rows, for restoring an open segment from a snapshot.</summary>
internal interface IHyperUniqueRows
{
    /// <summary>The row's updates (into <paramref name="updates"/>) or its own sketch.</summary>
    HyperLogLog? ReadRow(int row, List<uint> updates);
}
