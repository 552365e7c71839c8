using Tributary.Bitmaps.Sketches;
using Tributary.Query;
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
        AggregatorType.Count or AggregatorType.LongSum or AggregatorType.LongMin or AggregatorType.LongMax => new LongMetric(spec, index),
        AggregatorType.HyperUnique => new HyperUniqueMetric(spec, index, hyperUniquePrecision),
        _ => new DoubleMetric(spec, index),
    };

    public abstract void AddRow(ParsedRow row);

    public abstract void Merge(int target, ParsedRow row);

    public abstract long GetLong(int row);

    public abstract double GetDouble(int row);

    public virtual void AddTo(int row, HyperLogLog sketch) => throw new InvalidOperationException($"metric '{Spec.Name}' is {Spec.Type}, not hyperUnique");

    internal sealed class LongMetric(MetricSpec spec, int index) : OpenMetric(spec, index)
    {
        public PackedColumn Values { get; } = new(256);

        public override long MemoryUsage => Values.AllocatedBytes;

        public override void AddRow(ParsedRow row) => Values.Add(Value(row));

        public override void Merge(int target, ParsedRow row)
        {
            var current = Values[target];
            var value = Value(row);
            Values[target] = Spec.Type switch
            {
                AggregatorType.LongMin => Math.Min(current, value),
                AggregatorType.LongMax => Math.Max(current, value),
                _ => current + value,
            };
        }

        public override long GetLong(int row) => Values[row];

        public override double GetDouble(int row) => Values[row];

        private long Value(ParsedRow row) => Spec.Type switch
        {
            AggregatorType.Count => 1,
            AggregatorType.LongMin => row.MetricPresent[Index] ? row.MetricLongs[Index] : long.MaxValue,
            AggregatorType.LongMax => row.MetricPresent[Index] ? row.MetricLongs[Index] : long.MinValue,
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
                AggregatorType.DoubleMin => Math.Min(current, value),
                AggregatorType.DoubleMax => Math.Max(current, value),
                _ => current + value,
            };
        }

        public override long GetLong(int row) => (long)Values[row];

        public override double GetDouble(int row) => Values[row];

        private double Value(ParsedRow row) => Spec.Type switch
        {
            AggregatorType.DoubleMin => row.MetricPresent[Index] ? row.MetricDoubles[Index] : double.PositiveInfinity,
            AggregatorType.DoubleMax => row.MetricPresent[Index] ? row.MetricDoubles[Index] : double.NegativeInfinity,
            _ => row.MetricDoubles[Index],
        };
    }

    /// <summary>
    /// One 4-byte register update per row (<see cref="HyperLogLog.Encode"/>, 0 = no value). A row that rolls up
    /// different updates points (<see cref="PoolTag"/> | offset) at a small list in a shared pool
    /// (<c>count, updates...</c>, capacity 2, 4, ..., 64 implied by the count); past <see cref="MaxListed"/> updates it gets a real sketch. Most rows
    /// hold one or a few users, so this costs about 4 bytes per distinct update instead of a sketch per row.
    /// </summary>
    internal sealed class HyperUniqueMetric(MetricSpec spec, int index, int precision) : OpenMetric(spec, index)
    {
        public const uint PoolTag = 0x8000_0000;
        public const uint SketchMarker = 0xFFFF_FFFF;
        public const int MaxListed = 64;

        private uint[] _encoded = new uint[256];
        private readonly Stack<int>[] _free = [.. Enumerable.Range(0, 6).Select(_ => new Stack<int>())]; // capacities 2, 4, ..., 64
        private uint[] _pool = new uint[64];
        private int _poolLength;
        private int _count;

        public int Precision { get; } = precision;

        public Dictionary<int, HyperLogLog> Sketches { get; } = [];

        public override long MemoryUsage
        {
            get
            {
                var bytes = (_encoded.Length * 4L) + (_pool.Length * 4L) + (Sketches.Count * 64L) + _free.Sum(f => f.Count * 4L);
                foreach (var sketch in Sketches.Values)
                {
                    bytes += sketch.IsDense ? 1L << Precision : sketch.SerializedSize;
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

            var update = HyperLogLog.Encode(row.MetricHashes[Index], Precision);
            var current = _encoded[target];
            if (current == 0)
            {
                _encoded[target] = update;
            }
            else if (current == SketchMarker)
            {
                Sketches[target].AddEncoded(update);
            }
            else if ((current & PoolTag) == 0)
            {
                if (current != update)
                {
                    var offset = Allocate(2);
                    _pool[offset] = 2;
                    _pool[offset + 1] = current;
                    _pool[offset + 2] = update;
                    _encoded[target] = PoolTag | (uint)offset;
                }
            }
            else
            {
                AddListed(target, (int)(current & ~PoolTag), update);
            }
        }

        /// <summary>Appends a row restored from a snapshot: its listed updates, or its own sketch.</summary>
        public void AddRestoredRow(ReadOnlySpan<uint> updates, HyperLogLog? sketch)
        {
            if (_count == _encoded.Length)
            {
                Array.Resize(ref _encoded, _encoded.Length + (_encoded.Length / 2));
            }

            var row = _count++;
            if (sketch is not null)
            {
                Sketches[row] = sketch.Clone();
                _encoded[row] = SketchMarker;
            }
            else if (updates.Length <= 1)
            {
                _encoded[row] = updates.IsEmpty ? 0 : updates[0];
            }
            else
            {
                var offset = Allocate((int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)updates.Length));
                _pool[offset] = (uint)updates.Length;
                updates.CopyTo(_pool.AsSpan(offset + 1));
                _encoded[row] = PoolTag | (uint)offset;
            }
        }

        /// <summary>The updates of <paramref name="row"/> when it holds a list, else empty.</summary>
        public ReadOnlySpan<uint> Listed(int row)
        {
            var entry = _encoded[row];
            if (entry == SketchMarker || (entry & PoolTag) == 0)
            {
                return default;
            }

            var offset = (int)(entry & ~PoolTag);
            return _pool.AsSpan(offset + 1, (int)_pool[offset]);
        }

        /// <summary>The raw per-row entry (update, pool pointer or <see cref="SketchMarker"/>).</summary>
        public uint Entry(int row) => _encoded[row];

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
            var entry = _encoded[row];
            if (entry == SketchMarker)
            {
                sketch.Merge(Sketches[row]);
            }
            else if ((entry & PoolTag) != 0)
            {
                foreach (var update in Listed(row))
                {
                    sketch.AddEncoded(update);
                }
            }
            else if (entry != 0)
            {
                sketch.AddEncoded(entry);
            }
        }

        private void AddListed(int row, int offset, uint update)
        {
            var count = (int)_pool[offset];
            var entries = _pool.AsSpan(offset + 1, count);
            var register = update >> 8;
            for (var i = 0; i < entries.Length; i++)
            {
                if (entries[i] >> 8 == register)
                {
                    if ((byte)entries[i] < (byte)update)
                    {
                        entries[i] = update;
                    }

                    return;
                }
            }

            var capacity = Capacity(count);
            if (count == capacity)
            {
                if (count >= MaxListed)
                {
                    var sketch = new HyperLogLog(Precision);
                    foreach (var listed in entries)
                    {
                        sketch.AddEncoded(listed);
                    }

                    sketch.AddEncoded(update);
                    Sketches[row] = sketch;
                    _encoded[row] = SketchMarker;
                    _free[SizeClass(capacity)].Push(offset);
                    return;
                }

                // move to a list twice the size; the old one is reused by the next list of its size
                var moved = Allocate(capacity * 2);
                _pool.AsSpan(offset + 1, count).CopyTo(_pool.AsSpan(moved + 1));
                _pool[moved] = (uint)count;
                _free[SizeClass(capacity)].Push(offset);
                offset = moved;
                _encoded[row] = PoolTag | (uint)offset;
            }

            _pool[offset + 1 + count] = update;
            _pool[offset] = (uint)(count + 1);
        }

        /// <summary>A list's capacity follows from its count: lists start at 2 and double when full.</summary>
        private static int Capacity(int count) => count <= 2 ? 2 : (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)count);

        private static int SizeClass(int capacity) => System.Numerics.BitOperations.Log2((uint)capacity) - 1;

        private int Allocate(int capacity)
        {
            if (_free[SizeClass(capacity)].TryPop(out var reused))
            {
                return reused;
            }

            if (_poolLength + 1 + capacity > _pool.Length)
            {
                Array.Resize(ref _pool, Math.Max(_pool.Length + (_pool.Length / 2), _poolLength + 1 + capacity));
            }

            var offset = _poolLength;
            _poolLength += 1 + capacity;
            return offset;
        }
    }
}
