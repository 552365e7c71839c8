using Tributary.Bitmaps.Sketches;
using Tributary.Segments.Columns;
using Tributary.Segments.Ingest;
using Tributary.Segments.Schema;

namespace Tributary.Segments;

/// <summary>A metric column of an <see cref="OpenSegment"/>, aggregated in place on rollup.</summary>
internal abstract class OpenMetric(MetricSpec spec, int index) : IMetricColumn
{
    public MetricSpec Spec { get; } = spec;

    protected int Index { get; } = index;

    public abstract long MemoryUsage { get; }

    public static OpenMetric Create(MetricSpec spec, int hyperUniquePrecision, int index) => spec.Type switch
    {
        MetricType.Count or MetricType.LongSum or MetricType.LongMin or MetricType.LongMax => new LongMetric(spec, index),
        MetricType.HyperUnique => new HyperUniqueMetric(spec, index, hyperUniquePrecision),
        _ => new DoubleMetric(spec, index),
    };

    public abstract void AddRow(ParsedRow row);

    public abstract void Merge(int target, ParsedRow row);

    public abstract long GetLong(int row);

    public abstract double GetDouble(int row);

    public virtual void AddTo(int row, HyperLogLog sketch) => throw new InvalidOperationException($"metric '{Spec.Name}' is {Spec.Type}, not hyperUnique");

    internal sealed class LongMetric(MetricSpec spec, int index) : OpenMetric(spec, index)
    {
        public PackedColumn Values { get; } = new();

        public override long MemoryUsage => Values.AllocatedBytes;

        public override void AddRow(ParsedRow row) => Values.Add(Value(row));

        public override void Merge(int target, ParsedRow row)
        {
            var current = Values[target];
            var value = Value(row);
            Values[target] = Spec.Type switch
            {
                MetricType.LongMin => Math.Min(current, value),
                MetricType.LongMax => Math.Max(current, value),
                _ => current + value,
            };
        }

        public override long GetLong(int row) => Values[row];

        public override double GetDouble(int row) => Values[row];

        private long Value(ParsedRow row) => Spec.Type switch
        {
            MetricType.Count => 1,
            MetricType.LongMin => row.MetricPresent[Index] ? row.MetricLongs[Index] : long.MaxValue,
            MetricType.LongMax => row.MetricPresent[Index] ? row.MetricLongs[Index] : long.MinValue,
            _ => row.MetricLongs[Index],
        };
    }

    internal sealed class DoubleMetric(MetricSpec spec, int index) : OpenMetric(spec, index)
    {
        public DoubleColumn Values { get; } = new();

        public override long MemoryUsage => Values.AllocatedBytes;

        public override void AddRow(ParsedRow row) => Values.Add(Value(row));

        public override void Merge(int target, ParsedRow row)
        {
            var current = Values[target];
            var value = Value(row);
            Values[target] = Spec.Type switch
            {
                MetricType.DoubleMin => Math.Min(current, value),
                MetricType.DoubleMax => Math.Max(current, value),
                _ => current + value,
            };
        }

        public override long GetLong(int row) => (long)Values[row];

        public override double GetDouble(int row) => Values[row];

        private double Value(ParsedRow row) => Spec.Type switch
        {
            MetricType.DoubleMin => row.MetricPresent[Index] ? row.MetricDoubles[Index] : double.PositiveInfinity,
            MetricType.DoubleMax => row.MetricPresent[Index] ? row.MetricDoubles[Index] : double.NegativeInfinity,
            _ => row.MetricDoubles[Index],
        };
    }

    /// <summary>
    /// One 4-byte register update per row (<see cref="HyperLogLog.Encode"/>, 0 = no value); a row that rolls up
    /// a second, different update gets a sketch of its own. Most rows hold one user, so this costs ~4 bytes a row.
    /// </summary>
    internal sealed class HyperUniqueMetric(MetricSpec spec, int index, int precision) : OpenMetric(spec, index)
    {
        private uint[] _encoded = new uint[1024];
        private int _count;

        public int Precision { get; } = precision;

        public Dictionary<int, HyperLogLog> Sketches { get; } = [];

        public ReadOnlySpan<uint> Encoded => _encoded.AsSpan(0, _count);

        public override long MemoryUsage
        {
            get
            {
                var bytes = _encoded.Length * 4L + (Sketches.Count * 48L);
                foreach (var sketch in Sketches.Values)
                {
                    bytes += sketch.SerializedSize;
                }

                return bytes;
            }
        }

        public override void AddRow(ParsedRow row)
        {
            if (_count == _encoded.Length)
            {
                Array.Resize(ref _encoded, _encoded.Length + (_encoded.Length / 2));
            }

            _encoded[_count++] = row.MetricPresent[Index] ? HyperLogLog.Encode(row.MetricHashes[Index], Precision) : 0;
        }

        public override void Merge(int target, ParsedRow row)
        {
            if (!row.MetricPresent[Index])
            {
                return;
            }

            var encoded = HyperLogLog.Encode(row.MetricHashes[Index], Precision);
            if (Sketches.TryGetValue(target, out var sketch))
            {
                sketch.AddEncoded(encoded);
                return;
            }

            var current = _encoded[target];
            if (current == 0)
            {
                _encoded[target] = encoded;
            }
            else if (current != encoded)
            {
                sketch = new HyperLogLog(Precision);
                sketch.AddEncoded(current);
                sketch.AddEncoded(encoded);
                Sketches[target] = sketch;
            }
        }

        public override long GetLong(int row) => (long)Math.Round(GetDouble(row));

        public override double GetDouble(int row)
        {
            var sketch = new HyperLogLog(Precision);
            AddTo(row, sketch);
            return sketch.Estimate();
        }

        public override void AddTo(int row, HyperLogLog sketch)
        {
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)row, (uint)_count, nameof(row));
            if (Sketches.TryGetValue(row, out var own))
            {
                sketch.Merge(own);
            }
            else if (_encoded[row] != 0)
            {
                sketch.AddEncoded(_encoded[row]);
            }
        }
    }
}
