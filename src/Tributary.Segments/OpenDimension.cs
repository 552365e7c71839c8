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
    private const int FlushBatch = 4096;
    private int _nullId = -1;
    private int _cardinality;
    private int _flushedRows;
    private uint[] _flushRows = [];
    private int[] _flushCounts = [];

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
            Flush();
            var bytes = (_flushRows.Length * 4L) + (_flushCounts.Length * 4L) + Ids.AllocatedBytes + (_strings?.AllocatedBytes ?? 0) + ((_longs?.Count ?? 0) * 24L) + (_longValues.Capacity * 8L) + (_bitmaps.Capacity * 8L);
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

    /// <summary>Adds a dictionary value restored from a snapshot; returns its id (the next one).</summary>
    public int AddRestoredValue(string? value, long? number)
    {
        if (value is null)
        {
            return _nullId = NewValue();
        }

        if (_strings is { } strings)
        {
            var max = System.Text.Encoding.UTF8.GetMaxByteCount(value.Length);
            var buffer = new byte[max];
            var length = System.Text.Encoding.UTF8.GetBytes(value, buffer);
            return NewString(strings.GetOrAdd(buffer.AsSpan(0, length)));
        }

        var id = NewValue();
        _longs![number!.Value] = id;
        _longValues.Add(number.Value);
        return id;
    }

    /// <summary>Records <paramref name="id"/> for the next row; bitmaps catch up in batches (<see cref="Flush"/>).</summary>
    public void AddRow(int id)
    {
        Ids.Add(id);
        if (Ids.Count - _flushedRows >= FlushBatch)
        {
            Flush();
        }
    }

    /// <summary>
    /// Adds the rows appended since the last flush to their values' bitmaps with one add_many per value present
    /// in the batch, instead of one native call per row and dimension. Every read path flushes first.
    /// </summary>
    public void Flush()
    {
        var pending = Ids.Count - _flushedRows;
        if (pending == 0)
        {
            return;
        }

        var rows = _flushRows.Length >= pending ? _flushRows : _flushRows = new uint[pending];
        if (_cardinality <= pending * 4)
        {
            // counting sort by id: rows of each id come out ascending
            if (_flushCounts.Length < (_cardinality + 1) * 2)
            {
                _flushCounts = new int[(_cardinality + 1) * 2];
            }

            var starts = _flushCounts.AsSpan(0, _cardinality + 1);
            var next = _flushCounts.AsSpan(_cardinality + 1, _cardinality + 1);
            starts.Clear();
            for (var row = _flushedRows; row < Ids.Count; row++)
            {
                starts[(int)Ids[row] + 1]++;
            }

            for (var id = 1; id <= _cardinality; id++)
            {
                starts[id] += starts[id - 1];
            }

            starts.CopyTo(next);
            for (var row = _flushedRows; row < Ids.Count; row++)
            {
                rows[next[(int)Ids[row]]++] = (uint)row;
            }

            for (var id = 0; id < _cardinality; id++)
            {
                if (starts[id + 1] > starts[id])
                {
                    _bitmaps[id].AddMany(rows.AsSpan(starts[id], starts[id + 1] - starts[id]));
                }
            }
        }
        else
        {
            // many more values than pending rows: sort (id, row) pairs instead of scanning every id
            var pairs = new ulong[pending];
            for (var i = 0; i < pending; i++)
            {
                var row = _flushedRows + i;
                pairs[i] = ((ulong)Ids[row] << 32) | (uint)row;
            }

            Array.Sort(pairs);
            var start = 0;
            for (var i = 0; i < pending; i++)
            {
                rows[i] = (uint)pairs[i];
                if (i + 1 == pending || pairs[i + 1] >> 32 != pairs[i] >> 32)
                {
                    _bitmaps[(int)(pairs[i] >> 32)].AddMany(rows.AsSpan(start, i + 1 - start));
                    start = i + 1;
                }
            }
        }

        _flushedRows = Ids.Count;
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

    public RoaringBitmap GetRows(int id)
    {
        Flush();
        return _bitmaps[id];
    }

    public RoaringBitmap Select(string? value)
    {
        var id = IndexOf(value);
        return id < 0 ? new RoaringBitmap() : GetRows(id).Clone();
    }

    public RoaringBitmap Select(IEnumerable<string?> values) => Union(values.Select(IndexOf).Where(id => id >= 0).Distinct());

    public RoaringBitmap Select(Func<string?, bool> predicate) => Union(Enumerable.Range(0, _cardinality).Where(id => predicate(GetValue(id))));

    public RoaringBitmap SelectIdRange(int fromId, int toIdExclusive)
        => Union(Enumerable.Range(Math.Max(fromId, 0), Math.Max(0, Math.Min(toIdExclusive, _cardinality) - Math.Max(fromId, 0))));

    public bool TryGetIdRange(string? lower, bool lowerStrict, string? upper, bool upperStrict, out int fromId, out int toIdExclusive)
    {
        // ids are in first-seen order while the segment is open
        fromId = toIdExclusive = 0;
        return false;
    }

    private RoaringBitmap Union(IEnumerable<int> ids)
    {
        Flush();
        return RoaringBitmap.OrMany([.. ids.Select(id => _bitmaps[id])]);
    }

    public void Dispose()
    {
        foreach (var bitmap in _bitmaps)
        {
            bitmap.Dispose();
        }
    }
}
