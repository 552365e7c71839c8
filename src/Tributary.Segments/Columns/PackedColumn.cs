using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Tributary.Bitmaps.Roaring;

namespace Tributary.Segments.Columns;

/// <summary>
/// A growable column of integers stored at the narrowest width that holds every value so far: 1, 2 or 4
/// bytes unsigned, or 8 bytes signed once a value is negative or above <see cref="uint.MaxValue"/>. Widening
/// rewrites the column once; a segment's dimension ids and small counters mostly stay at one or two bytes.
/// </summary>
/// <remarks>Not thread-safe.</remarks>
public sealed class PackedColumn
{
    private byte[] _data;
    private int _width;
    private int _count;

    /// <summary>Creates an empty column with room for <paramref name="capacity"/> one-byte values.</summary>
    public PackedColumn(int capacity = 1024)
    {
        _data = new byte[Math.Max(capacity, 16)];
        _width = 1;
    }

    private PackedColumn(byte[] data, int width, int count)
    {
        _data = data;
        _width = width;
        _count = count;
    }

    /// <summary>Number of values.</summary>
    public int Count => _count;

    /// <summary>Bytes per value (1, 2, 4 or 8).</summary>
    public int Width => _width;

    /// <summary>Bytes allocated.</summary>
    public long AllocatedBytes => _data.Length;

    /// <summary>The value at <paramref name="index"/>.</summary>
    public long this[int index]
    {
        get
        {
            if ((uint)index >= (uint)_count)
            {
                ThrowIndex(index);
            }

            ref var at = ref MemoryMarshal.GetArrayDataReference(_data);
            return _width switch
            {
                1 => Unsafe.Add(ref at, index),
                2 => Unsafe.ReadUnaligned<ushort>(ref Unsafe.Add(ref at, index * 2)),
                4 => Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref at, index * 4)),
                _ => Unsafe.ReadUnaligned<long>(ref Unsafe.Add(ref at, index * 8)),
            };
        }

        set
        {
            if ((uint)index >= (uint)_count)
            {
                ThrowIndex(index);
            }

            EnsureWidth(value);
            Write(index, value);
        }
    }

    /// <summary>Appends <paramref name="value"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Add(long value)
    {
        EnsureWidth(value);
        if ((_count + 1) * _width > _data.Length)
        {
            Grow();
        }

        Write(_count++, value);
    }

    /// <summary>
    /// Adds to <paramref name="destination"/> every index in [<paramref name="start"/>, <see cref="Count"/>) whose value
    /// is <paramref name="value"/>, in ascending order, comparing a vector of values at a time.
    /// </summary>
    public void AddIndexesOf(long value, int start, RoaringBitmap destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentOutOfRangeException.ThrowIfGreaterThan((uint)start, (uint)_count, nameof(start));
        var needed = value < 0 || value > uint.MaxValue ? 8 : value > ushort.MaxValue ? 4 : value > byte.MaxValue ? 2 : 1;
        if (needed > _width)
        {
            return; // no value that wide was ever stored
        }

        var bytes = _data.AsSpan(start * _width, (_count - start) * _width);
        switch (_width)
        {
            case 1:
                AddMatches(bytes, (byte)value, start, destination);
                break;
            case 2:
                AddMatches(MemoryMarshal.Cast<byte, ushort>(bytes), (ushort)value, start, destination);
                break;
            case 4:
                AddMatches(MemoryMarshal.Cast<byte, uint>(bytes), (uint)value, start, destination);
                break;
            default:
                AddMatches(MemoryMarshal.Cast<byte, long>(bytes), value, start, destination);
                break;
        }
    }

    /// <summary>
    /// Adds to <paramref name="destination"/> every index in [<paramref name="start"/>, <see cref="Count"/>) whose value
    /// <c>v</c> has <c>match[v]</c> set (values outside <paramref name="match"/> do not match): one pass for any number of values.
    /// </summary>
    public void AddIndexesWhere(ReadOnlySpan<bool> match, int start, RoaringBitmap destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentOutOfRangeException.ThrowIfGreaterThan((uint)start, (uint)_count, nameof(start));
        var bytes = _data.AsSpan(start * _width, (_count - start) * _width);
        switch (_width)
        {
            case 1:
                AddWhere<byte>(bytes, match, start, destination);
                break;
            case 2:
                AddWhere(MemoryMarshal.Cast<byte, ushort>(bytes), match, start, destination);
                break;
            case 4:
                AddWhere(MemoryMarshal.Cast<byte, uint>(bytes), match, start, destination);
                break;
            default:
                AddWhere(MemoryMarshal.Cast<byte, long>(bytes), match, start, destination);
                break;
        }
    }

    /// <summary>Copies the column into a trimmed column in <paramref name="order"/> (new row i = old row order[i]).</summary>
    public PackedColumn Permute(ReadOnlySpan<int> order, Func<long, long>? map = null)
    {
        var result = new PackedColumn(new byte[Math.Max(order.Length * _width, 16)], _width, order.Length);
        for (var i = 0; i < order.Length; i++)
        {
            var value = this[order[i]];
            result.Write(i, map is null ? value : map(value));
        }

        return result;
    }

    /// <summary>
    /// Writes the column's serialized form: u8 width, three zero bytes, u32 count, then count values of that
    /// width, little-endian (unsigned for 1, 2 and 4 bytes, signed for 8).
    /// </summary>
    public void WriteTo(Stream stream)
    {
        Span<byte> header = stackalloc byte[8];
        header.Clear();
        header[0] = (byte)_width;
        BinaryPrimitives.WriteInt32LittleEndian(header[4..], _count);
        stream.Write(header);
        if (BitConverter.IsLittleEndian)
        {
            stream.Write(_data, 0, _count * _width);
        }
        else
        {
            Span<byte> value = stackalloc byte[8];
            for (var i = 0; i < _count; i++)
            {
                BinaryPrimitives.WriteInt64LittleEndian(value, this[i]);
                stream.Write(value[.._width]);
            }
        }
    }

    /// <summary>Bytes <see cref="WriteTo"/> writes.</summary>
    public long SerializedSize => 8 + ((long)_count * _width);

    /// <summary>Largest value (0 when empty).</summary>
    public long Max()
    {
        long max = 0;
        for (var i = 0; i < _count; i++)
        {
            max = Math.Max(max, this[i]);
        }

        return max;
    }

    // AggressiveOptimization: a segment's first filter runs these once over a million rows, too soon for tiering to help
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AddMatches<T>(ReadOnlySpan<T> values, T value, int firstIndex, RoaringBitmap destination)
        where T : unmanaged, IEquatable<T>
    {
        var batch = new IndexBatch(stackalloc uint[512], destination);
        var i = 0;
        if (Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported)
        {
            var target = Vector256.Create(value);
            ref var at = ref MemoryMarshal.GetReference(values);
            for (; i <= values.Length - Vector256<T>.Count; i += Vector256<T>.Count)
            {
                var mask = Vector256.Equals(Vector256.LoadUnsafe(ref at, (nuint)i), target).ExtractMostSignificantBits();
                if (mask == 0)
                {
                    continue;
                }

                do
                {
                    batch.Add((uint)(firstIndex + i + BitOperations.TrailingZeroCount(mask)));
                    mask &= mask - 1;
                }
                while (mask != 0);
            }
        }

        for (; i < values.Length; i++)
        {
            if (values[i].Equals(value))
            {
                batch.Add((uint)(firstIndex + i));
            }
        }

        batch.Flush();
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AddWhere<T>(ReadOnlySpan<T> values, ReadOnlySpan<bool> match, int firstIndex, RoaringBitmap destination)
        where T : unmanaged, IBinaryInteger<T>
    {
        var batch = new IndexBatch(stackalloc uint[512], destination);
        for (var i = 0; i < values.Length; i++)
        {
            var v = ulong.CreateTruncating(values[i]);
            if (v < (ulong)match.Length && match[(int)v])
            {
                batch.Add((uint)(firstIndex + i));
            }
        }

        batch.Flush();
    }

    /// <summary>Row indexes gathered on the stack and added to a bitmap a buffer at a time (one native call each).</summary>
    private ref struct IndexBatch(Span<uint> buffer, RoaringBitmap destination)
    {
        private readonly Span<uint> _buffer = buffer;
        private int _count;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Add(uint index)
        {
            if (_count == _buffer.Length)
            {
                destination.AddMany(_buffer);
                _count = 0;
            }

            _buffer[_count++] = index;
        }

        public void Flush()
        {
            if (_count > 0)
            {
                destination.AddMany(_buffer[.._count]);
                _count = 0;
            }
        }
    }

    private void EnsureWidth(long value)
    {
        var needed = value < 0 || value > uint.MaxValue ? 8 : value > ushort.MaxValue ? 4 : value > byte.MaxValue ? 2 : 1;
        if (needed > _width)
        {
            Widen(needed);
        }
    }

    private void Widen(int width)
    {
        var old = this;
        var data = new byte[Math.Max(_data.Length / _width, 16) * width];
        var wider = new PackedColumn(data, width, _count);
        for (var i = 0; i < _count; i++)
        {
            wider.Write(i, old[i]);
        }

        _data = data;
        _width = width;
    }

    private void Grow()
    {
        // 1.5x: the slack counts against bytes per row while a segment is open
        var size = Math.Max(_data.Length + (_data.Length / 2), (_count + 1) * _width);
        Array.Resize(ref _data, size);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Write(int index, long value)
    {
        ref var at = ref MemoryMarshal.GetArrayDataReference(_data);
        switch (_width)
        {
            case 1:
                Unsafe.Add(ref at, index) = (byte)value;
                break;
            case 2:
                Unsafe.WriteUnaligned(ref Unsafe.Add(ref at, index * 2), (ushort)value);
                break;
            case 4:
                Unsafe.WriteUnaligned(ref Unsafe.Add(ref at, index * 4), (uint)value);
                break;
            default:
                Unsafe.WriteUnaligned(ref Unsafe.Add(ref at, index * 8), value);
                break;
        }
    }

    private void ThrowIndex(int index) => throw new ArgumentOutOfRangeException(nameof(index), index, $"row {index} is outside 0..{_count - 1}");
}

/// <summary>A read-only view of a serialized <see cref="PackedColumn"/> (zero-copy over a sealed segment's bytes).</summary>
public readonly struct PackedColumnView
{
    private readonly ReadOnlyMemory<byte> _values;

    /// <summary>Reads the header at the start of <paramref name="section"/>.</summary>
    public PackedColumnView(ReadOnlyMemory<byte> section, string what)
    {
        var span = section.Span;
        if (span.Length < 8)
        {
            throw new InvalidDataException($"{what}: packed column header truncated");
        }

        Width = span[0];
        Count = BinaryPrimitives.ReadInt32LittleEndian(span[4..]);
        if (Width is not (1 or 2 or 4 or 8) || Count < 0 || span.Length - 8 < (long)Count * Width)
        {
            throw new InvalidDataException($"{what}: packed column of width {Width} and {Count} values does not fit its {span.Length}-byte section");
        }

        _values = section.Slice(8, Count * Width);
    }

    /// <summary>Number of values.</summary>
    public int Count { get; }

    /// <summary>Bytes per value.</summary>
    public int Width { get; }

    /// <summary>The value at <paramref name="index"/>.</summary>
    public long this[int index]
    {
        get
        {
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)index, (uint)Count, nameof(index));
            var span = _values.Span;
            return Width switch
            {
                1 => span[index],
                2 => BinaryPrimitives.ReadUInt16LittleEndian(span[(index * 2)..]),
                4 => BinaryPrimitives.ReadUInt32LittleEndian(span[(index * 4)..]),
                _ => BinaryPrimitives.ReadInt64LittleEndian(span[(index * 8)..]),
            };
        }
    }
}
