using System.Globalization;
using Tributary.Bitmaps.Roaring;
using Tributary.Segments.Columns;
using Tributary.Segments.Ingest;
using Tributary.Segments.Schema;

namespace Tributary.Segments;

/// <summary>A dimension of an <see cref="OpenSegment"/>: ids in first-seen order, one bitmap per value.</summary>
internal sealed class OpenDimension : IDimensionColumn, IDisposable
{
    private readonly Utf8Dictionary? _strings;
    private readonly Dictionary<long, int>? _longs;
    private readonly List<long> _longValues = [];
    private readonly List<RoaringBitmap> _bitmaps = [];
    private int _nullId = -1;
    private int _cardinality;

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

    public PackedColumn Ids { get; } = new();

    public int Cardinality => _cardinality;

    public bool IsSorted => false;

    public int NullId => _nullId;

    public long MemoryUsage
    {
        get
        {
            var bytes = Ids.AllocatedBytes + (_strings?.AllocatedBytes ?? 0) + ((_longs?.Count ?? 0) * 24L) + (_longValues.Capacity * 8L) + (_bitmaps.Capacity * 8L);
            foreach (var bitmap in _bitmaps)
            {
                bytes += bitmap.MemoryUsage + 64; // + the managed wrapper and its SafeHandle
            }

            return bytes;
        }
    }

    /// <summary>Value id of dimension <paramref name="index"/> of <paramref name="row"/>, adding the value when new.</summary>
    public int Resolve(ParsedRow row, int index)
    {
        if (row.IsNull(index))
        {
            return _nullId >= 0 ? _nullId : _nullId = NewValue();
        }

        if (_strings is { } strings)
        {
            var id = strings.GetOrAdd(row.DimensionUtf8(index));
            return id < _nextStringId ? Map(id) : NewString(id);
        }

        var value = row.DimensionLong(index);
        if (_longs!.TryGetValue(value, out var existing))
        {
            return existing;
        }

        var added = NewValue();
        _longs[value] = added;
        _longValues.Add(value);
        return added;
    }

    public void AddRow(int id, int row)
    {
        Ids.Add(id);
        _bitmaps[id].Add((uint)row);
    }

    // String ids in the Utf8Dictionary exclude the null value, so column ids are mapped through this table.
    private readonly List<int> _stringToColumn = [];
    private readonly List<int> _columnToString = [];
    private int _nextStringId;

    private int Map(int stringId) => _stringToColumn[stringId];

    private int NewString(int stringId)
    {
        var id = NewValue();
        _stringToColumn.Add(id);
        while (_columnToString.Count < id)
        {
            _columnToString.Add(-1);
        }

        _columnToString.Add(stringId);
        _nextStringId = stringId + 1;
        return id;
    }

    private int NewValue()
    {
        _bitmaps.Add(new RoaringBitmap());
        if (_longs is not null)
        {
            while (_longValues.Count < _cardinality)
            {
                _longValues.Add(0);
            }
        }

        return _cardinality++;
    }

    /// <summary>UTF-8 bytes of a non-null string value.</summary>
    public ReadOnlySpan<byte> Utf8(int id) => _strings!.Bytes(_columnToString[id]);

    public long LongValue(int id) => _longValues[id];

    public string? GetValue(int id)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)id, (uint)_cardinality, nameof(id));
        if (id == _nullId)
        {
            return null;
        }

        return _strings is { } strings ? strings.GetString(_columnToString[id]) : _longValues[id].ToString(CultureInfo.InvariantCulture);
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
            return stringId < 0 ? -1 : _stringToColumn[stringId];
        }

        return long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number) && _longs!.TryGetValue(number, out var id) ? id : -1;
    }

    public int GetId(int row) => (int)Ids[row];

    public RoaringBitmap GetRows(int id) => _bitmaps[id];

    public RoaringBitmap Select(string? value)
    {
        var id = IndexOf(value);
        return id < 0 ? new RoaringBitmap() : _bitmaps[id].Clone();
    }

    public RoaringBitmap Select(IEnumerable<string?> values) => Union(values.Select(IndexOf).Where(id => id >= 0).Distinct());

    public RoaringBitmap Select(Func<string?, bool> predicate) => Union(Enumerable.Range(0, _cardinality).Where(id => predicate(GetValue(id))));

    public RoaringBitmap SelectIdRange(int fromId, int toIdExclusive)
        => Union(Enumerable.Range(Math.Max(fromId, 0), Math.Max(0, Math.Min(toIdExclusive, _cardinality) - Math.Max(fromId, 0))));

    private RoaringBitmap Union(IEnumerable<int> ids) => RoaringBitmap.OrMany([.. ids.Select(id => _bitmaps[id])]);

    public void Dispose()
    {
        foreach (var bitmap in _bitmaps)
        {
            bitmap.Dispose();
        }
    }
}
