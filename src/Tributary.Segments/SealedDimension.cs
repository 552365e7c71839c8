using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using Tributary.Bitmaps.Roaring;
using Tributary.Segments.Columns;
using Tributary.Segments.Format;
using Tributary.Segments.Schema;

namespace Tributary.Segments;

/// <summary>
/// A dimension of a <see cref="SealedSegment"/> (the counterpart of <see cref="OpenDimension"/>): the sorted
/// dictionary, the packed id column and one roaring bitmap per value, each deserialized the first time it is asked for.
/// </summary>
internal sealed class SealedDimension : IDimensionColumn, IDisposable
{
    private readonly SealedSegment _segment;
    private readonly PackedColumnView _ids;
    private readonly ReadOnlyMemory<byte> _bitmapSection;
    private readonly ReadOnlyMemory<byte> _dictionary;
    private readonly RoaringBitmap?[] _bitmaps;
    private readonly string?[] _strings;
    private readonly bool _hasNull;
    private readonly int _values;
    private readonly int _bitmapData;

    public SealedDimension(SealedSegment segment, DimensionSpec spec, int index)
    {
        _segment = segment;
        Spec = spec;
        var what = $"segment {segment.Id} dimension '{spec.Name}'";
        _ids = segment.Column(SectionKind.Ids, index, what + " ids");
        var dictionary = segment.Section(SectionKind.Dictionary, index);
        var span = dictionary.Span;
        if (span.Length < 8)
        {
            throw new InvalidDataException($"{what}: dictionary header truncated");
        }

        Cardinality = BinaryPrimitives.ReadInt32LittleEndian(span);
        _hasNull = span[4] == 1;
        _values = Cardinality - (_hasNull ? 1 : 0);
        var needed = spec.Type == DimensionType.Long ? 8 + (_values * 8L) : 8 + ((_values + 1) * 4L);
        if (Cardinality < 0 || _values < 0 || span.Length < needed)
        {
            throw new InvalidDataException($"{what}: dictionary of {Cardinality} values does not fit its {span.Length}-byte section");
        }

        _dictionary = dictionary;
        _bitmapSection = segment.Section(SectionKind.Bitmaps, index);
        if (_bitmapSection.Length < 8 + ((Cardinality + 1) * 8L) || BinaryPrimitives.ReadInt32LittleEndian(_bitmapSection.Span) != Cardinality)
        {
            throw new InvalidDataException($"{what}: bitmap index does not hold {Cardinality} values");
        }

        _bitmapData = 8 + ((Cardinality + 1) * 8);
        _bitmaps = new RoaringBitmap?[Cardinality];
        _strings = new string?[Cardinality];
    }

    public DimensionSpec Spec { get; }

    public int Cardinality { get; }

    public bool IsSorted => true;

    public string? GetValue(int id)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)id, (uint)Cardinality, nameof(id));
        if (_hasNull && id == 0)
        {
            return null;
        }

        if (_strings[id] is { } cached)
        {
            return cached;
        }

        var text = Spec.Type == DimensionType.Long
            ? LongAt(id - (_hasNull ? 1 : 0)).ToString(CultureInfo.InvariantCulture)
            : Encoding.UTF8.GetString(Utf8At(id - (_hasNull ? 1 : 0)));
        return _strings[id] = text;
    }

    public long? GetLong(int id)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)id, (uint)Cardinality, nameof(id));
        return Spec.Type != DimensionType.Long || (_hasNull && id == 0) ? null : LongAt(id - (_hasNull ? 1 : 0));
    }

    public int IndexOf(string? value)
    {
        if (value is null)
        {
            return _hasNull ? 0 : -1;
        }

        var shift = _hasNull ? 1 : 0;
        int low = 0, high = _values - 1;
        if (Spec.Type == DimensionType.Long)
        {
            if (!long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number))
            {
                return -1;
            }

            while (low <= high)
            {
                var mid = (low + high) >>> 1;
                var compare = LongAt(mid).CompareTo(number);
                if (compare == 0)
                {
                    return mid + shift;
                }

                (low, high) = compare < 0 ? (mid + 1, high) : (low, mid - 1);
            }

            return -1;
        }

        Span<byte> buffer = stackalloc byte[0];
        var max = Encoding.UTF8.GetMaxByteCount(value.Length);
        buffer = max <= 512 ? stackalloc byte[max] : new byte[max];
        var utf8 = buffer[..Encoding.UTF8.GetBytes(value, buffer)];
        while (low <= high)
        {
            var mid = (low + high) >>> 1;
            var compare = Utf8At(mid).SequenceCompareTo(utf8);
            if (compare == 0)
            {
                return mid + shift;
            }

            (low, high) = compare < 0 ? (mid + 1, high) : (low, mid - 1);
        }

        return -1;
    }

    public int GetId(int row) => (int)_ids[row];

    public RoaringBitmap GetRows(int id)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)id, (uint)Cardinality, nameof(id));
        var existing = Volatile.Read(ref _bitmaps[id]);
        if (existing is not null)
        {
            return existing;
        }

        var span = _bitmapSection.Span;
        var start = BinaryPrimitives.ReadInt64LittleEndian(span[(8 + (id * 8))..]);
        var end = BinaryPrimitives.ReadInt64LittleEndian(span[(8 + ((id + 1) * 8))..]);
        if (start < 0 || end < start || _bitmapData + end > span.Length)
        {
            throw new InvalidDataException($"segment {_segment.Id} dimension '{Spec.Name}': bitmap {id} at [{start}, {end}) is outside its section");
        }

        var bitmap = RoaringBitmap.Deserialize(span.Slice(_bitmapData + (int)start, (int)(end - start)));
        var winner = Interlocked.CompareExchange(ref _bitmaps[id], bitmap, null);
        if (winner is not null)
        {
            bitmap.Dispose();
            return winner;
        }

        return bitmap;
    }

    public RoaringBitmap Select(string? value)
    {
        var id = IndexOf(value);
        return id < 0 ? new RoaringBitmap() : GetRows(id).Clone();
    }

    public RoaringBitmap Select(IEnumerable<string?> values) => Union(values.Select(IndexOf).Where(id => id >= 0).Distinct());

    public RoaringBitmap Select(Func<string?, bool> predicate) => Union(Enumerable.Range(0, Cardinality).Where(id => predicate(GetValue(id))));

    public RoaringBitmap SelectIdRange(int fromId, int toIdExclusive)
    {
        var from = Math.Max(fromId, 0);
        var to = Math.Min(toIdExclusive, Cardinality);
        return Union(Enumerable.Range(from, Math.Max(0, to - from)));
    }

    public bool TryGetIdRange(string? lower, bool lowerStrict, string? upper, bool upperStrict, out int fromId, out int toIdExclusive)
    {
        var shift = _hasNull ? 1 : 0;
        fromId = shift;
        toIdExclusive = Cardinality;
        if (Spec.Type == DimensionType.Long)
        {
            double low = double.NegativeInfinity, high = double.PositiveInfinity;
            if ((lower is not null && !double.TryParse(lower, NumberStyles.Float, CultureInfo.InvariantCulture, out low))
                || (upper is not null && !double.TryParse(upper, NumberStyles.Float, CultureInfo.InvariantCulture, out high)))
            {
                return false;
            }

            fromId = shift + FirstIndex(i => lowerStrict ? LongAt(i) > low : LongAt(i) >= low);
            toIdExclusive = shift + FirstIndex(i => upperStrict ? LongAt(i) >= high : LongAt(i) > high);
        }
        else
        {
            var lowUtf8 = lower is null ? null : Encoding.UTF8.GetBytes(lower);
            var highUtf8 = upper is null ? null : Encoding.UTF8.GetBytes(upper);
            if (lowUtf8 is not null)
            {
                fromId = shift + FirstIndex(i => Utf8At(i).SequenceCompareTo(lowUtf8) is var c && (lowerStrict ? c > 0 : c >= 0));
            }

            if (highUtf8 is not null)
            {
                toIdExclusive = shift + FirstIndex(i => Utf8At(i).SequenceCompareTo(highUtf8) is var c && (upperStrict ? c >= 0 : c > 0));
            }
        }

        toIdExclusive = Math.Max(fromId, toIdExclusive);
        return true;
    }

    public void Dispose()
    {
        foreach (var bitmap in _bitmaps)
        {
            bitmap?.Dispose();
        }
    }

    private RoaringBitmap Union(IEnumerable<int> ids) => RoaringBitmap.OrMany([.. ids.Select(GetRows)]);

    /// <summary>First index in 0.._values whose value satisfies a predicate that is monotone (false ... true).</summary>
    private int FirstIndex(Func<int, bool> atOrAfter)
    {
        int low = 0, high = _values;
        while (low < high)
        {
            var mid = (low + high) >>> 1;
            if (atOrAfter(mid))
            {
                high = mid;
            }
            else
            {
                low = mid + 1;
            }
        }

        return low;
    }

    private long LongAt(int index) => BinaryPrimitives.ReadInt64LittleEndian(_dictionary.Span[(8 + (index * 8))..]);

    private ReadOnlySpan<byte> Utf8At(int index)
    {
        var span = _dictionary.Span;
        var start = BinaryPrimitives.ReadInt32LittleEndian(span[(8 + (index * 4))..]);
        var end = BinaryPrimitives.ReadInt32LittleEndian(span[(8 + ((index + 1) * 4))..]);
        var data = 8 + ((_values + 1) * 4);
        if (start < 0 || end < start || data + end > span.Length)
        {
            throw new InvalidDataException($"segment {_segment.Id} dimension '{Spec.Name}': dictionary entry {index} at [{start}, {end}) is outside its section");
        }

        return span.Slice(data + start, end - start);
    }
}
