using System.Globalization;
using Tributary.Bitmaps.Roaring;
using Tributary.Segments.Columns;
using Tributary.Segments.Ingest;
using Tributary.Segments.Schema;

namespace Tributary.Segments;

/// <summary>
/// A dimension of an <see cref="OpenSegment"/>: one value id per row in a <see cref="PackedColumn"/> (ids in
/// first-seen order) and the dictionary. No bitmap is kept per value while the segment is open (like Druid's
/// incremental index, which keeps row values and builds no bitmap index until persist): a filter scans the id
/// column (vectorized for one value, one pass with a lookup table for many), and <see cref="GetRows"/> caches the
/// bitmaps it builds, catching them up with the rows appended since, within a byte budget that is enforced at the
/// next append (never during a read, so borrowed bitmaps stay valid until then).
/// </summary>
internal sealed class OpenDimension : IDimensionColumn, IDisposable
{
    /// <summary>Cached bitmaps may hold this many native bytes per dimension before the next append drops them all...</summary>
    internal const long CacheBaseBytes = 64 * 1024;

    /// <summary>... plus this many bytes per row of the segment.</summary>
    internal const long CacheBytesPerRow = 2;

    private readonly Utf8Dictionary? _strings;
    private readonly Dictionary<long, int>? _longs;
    private long[] _longValues = [];
    private int _nullId = -1;
    private int _cardinality;
    private Dictionary<int, CachedRows>? _cache;
    private long _cacheBytes;

    public OpenDimension(DimensionSpec spec)
    {
        Spec = spec;
        if (spec.Type == DimensionType.Long)
        {
            _longs = [];
        }
        else
        {
            _strings = new Utf8Dictionary();
        }
    }

    public DimensionSpec Spec { get; }

    public PackedColumn Ids { get; } = new(256);

    public int Cardinality => _cardinality;

    public bool IsSorted => false;

    public int NullId => _nullId;

    /// <summary>Bitmaps currently cached by <see cref="GetRows"/>.</summary>
    public int CachedBitmaps => _cache?.Count ?? 0;

    public long MemoryUsage => Ids.AllocatedBytes + DictionaryBytes + BitmapBytes;

    public long DictionaryBytes => (_strings?.AllocatedBytes ?? 0) + (_longs is null ? 0 : (_longs.Count * 24L) + (_longValues.Length * 8L));

    /// <summary>The bitmap cache: native bytes plus about 100 managed bytes per entry (dictionary entry, wrapper, SafeHandle).</summary>
    public long BitmapBytes => _cacheBytes + ((_cache?.Count ?? 0) * 100L);

    public long NativeMemoryUsage => _cacheBytes;

    /// <summary>Value id of dimension <paramref name="index"/> of <paramref name="row"/>, adding the value when new.</summary>
    public int Resolve(ParsedRow row, int index)
    {
        if (row.IsNull(index))
        {
            return _nullId >= 0 ? _nullId : _nullId = _cardinality++;
        }

        if (_strings is { } strings)
        {
            var before = strings.Count;
            var id = strings.GetOrAdd(row.DimensionUtf8(index));
            if (strings.Count != before)
            {
                _cardinality++;
            }

            return ColumnId(id);
        }

        var value = row.DimensionLong(index);
        if (_longs!.TryGetValue(value, out var existing))
        {
            return existing;
        }

        return AddLong(value);
    }

    /// <summary>Adds a dictionary value restored from a snapshot; returns its id (the next one).</summary>
    public int AddRestoredValue(string? value, long? number)
    {
        if (value is null)
        {
            return _nullId = _cardinality++;
        }

        if (_strings is { } strings)
        {
            var max = System.Text.Encoding.UTF8.GetMaxByteCount(value.Length);
            var buffer = new byte[max];
            var length = System.Text.Encoding.UTF8.GetBytes(value, buffer);
            strings.GetOrAdd(buffer.AsSpan(0, length));
            return _cardinality++;
        }

        return AddLong(number!.Value);
    }

    /// <summary>Records <paramref name="id"/> for the next row, first dropping the bitmap cache when it is over budget.</summary>
    public void AddRow(int id)
    {
        if (_cacheBytes > CacheBaseBytes + (Ids.Count * CacheBytesPerRow))
        {
            DropCache();
        }

        Ids.Add(id);
    }

    /// <summary>Disposes every cached bitmap (they are rebuilt on demand).</summary>
    public void DropCache()
    {
        if (_cache is null)
        {
            return;
        }

        foreach (var cached in _cache.Values)
        {
            cached.Bitmap.Dispose();
        }

        _cache = null;
        _cacheBytes = 0;
    }

    /// <summary>UTF-8 bytes of a non-null string value.</summary>
    public ReadOnlySpan<byte> Utf8(int id) => _strings!.Bytes(StringId(id));

    public long LongValue(int id) => _longValues[id];

    public string? GetValue(int id)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)id, (uint)_cardinality, nameof(id));
        if (id == _nullId)
        {
            return null;
        }

        return _strings is { } strings ? strings.GetString(StringId(id)) : _longValues[id].ToString(CultureInfo.InvariantCulture);
    }

    public long? GetLong(int id)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)id, (uint)_cardinality, nameof(id));
        return _longs is null || id == _nullId ? null : _longValues[id];
    }

    public int IndexOf(string? value)
    {
        if (value is null)
        {
            return _nullId;
        }

        if (_strings is { } strings)
        {
            var stringId = strings.Find(value);
            return stringId < 0 ? -1 : ColumnId(stringId);
        }

        return long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number) && _longs!.TryGetValue(number, out var id) ? id : -1;
    }

    public int GetId(int row) => (int)Ids[row];

    /// <summary>
    /// The rows of value <paramref name="id"/>: built by one vectorized scan of the id column on first use, cached,
    /// and caught up with a scan of only the rows appended since on later calls. Borrowed until the next append.
    /// </summary>
    public RoaringBitmap GetRows(int id)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)id, (uint)_cardinality, nameof(id));
        _cache ??= [];
        if (!_cache.TryGetValue(id, out var cached))
        {
            cached = new CachedRows(new RoaringBitmap());
            _cache[id] = cached;
        }

        if (cached.Rows < Ids.Count)
        {
            Ids.AddIndexesOf(id, cached.Rows, cached.Bitmap);
            cached.Rows = Ids.Count;
            var bytes = cached.Bitmap.MemoryUsage;
            _cacheBytes += bytes - cached.Bytes;
            cached.Bytes = bytes;
        }

        return cached.Bitmap;
    }

    public RoaringBitmap Select(string? value)
    {
        var id = IndexOf(value);
        return id < 0 ? new RoaringBitmap() : GetRows(id).Clone();
    }

    public RoaringBitmap Select(IEnumerable<string?> values) => SelectIds(values.Select(IndexOf).Where(id => id >= 0));

    public RoaringBitmap Select(Func<string?, bool> predicate)
    {
        ArgumentNullException.ThrowIfNull(predicate);
        var match = new bool[_cardinality];
        var any = false;
        for (var id = 0; id < match.Length; id++)
        {
            any |= match[id] = predicate(GetValue(id));
        }

        return Scan(match, any);
    }

    public RoaringBitmap SelectIdRange(int fromId, int toIdExclusive)
    {
        var from = Math.Max(fromId, 0);
        var to = Math.Min(toIdExclusive, _cardinality);
        var match = new bool[_cardinality];
        match.AsSpan(Math.Min(from, to), Math.Max(0, to - from)).Fill(true);
        return Scan(match, to > from);
    }

    /// <summary>One pass over the id column for any number of ids; a cached (or newly cached) bitmap's copy for one id.</summary>
    public RoaringBitmap SelectIds(IEnumerable<int> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var match = new bool[_cardinality];
        int count = 0, last = -1;
        foreach (var id in ids)
        {
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)id, (uint)_cardinality, nameof(ids));
            if (!match[id])
            {
                match[id] = true;
                count++;
                last = id;
            }
        }

        return count == 1 ? GetRows(last).Clone() : Scan(match, count > 0);
    }

    public bool TryGetIdRange(string? lower, bool lowerStrict, string? upper, bool upperStrict, out int fromId, out int toIdExclusive)
    {
        // ids are in first-seen order while the segment is open
        fromId = toIdExclusive = 0;
        return false;
    }

    public void Dispose() => DropCache();

    private RoaringBitmap Scan(bool[] match, bool any)
    {
        var result = new RoaringBitmap();
        if (any)
        {
            Ids.AddIndexesWhere(match, 0, result);
        }

        return result;
    }

    private int AddLong(long value)
    {
        var id = _cardinality++;
        _longs![value] = id;
        if (id >= _longValues.Length)
        {
            Array.Resize(ref _longValues, Math.Max(16, _longValues.Length * 2));
        }

        _longValues[id] = value;
        return id;
    }

    // The Utf8Dictionary numbers strings without the null value; null takes the column id it was first seen at,
    // so column ids at or after it are one above their string ids (no mapping table needed).
    private int ColumnId(int stringId) => _nullId < 0 || stringId < _nullId ? stringId : stringId + 1;

    private int StringId(int columnId) => _nullId < 0 || columnId < _nullId ? columnId : columnId - 1;

    private sealed class CachedRows(RoaringBitmap bitmap)
    {
        public RoaringBitmap Bitmap { get; } = bitmap;

        public int Rows { get; set; }

        public long Bytes { get; set; }
    }
}
