using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Tributary.Bitmaps.Roaring;
using Tributary.Segments.Columns;
using Tributary.Segments.Format;
using Tributary.Segments.Ingest;
using Tributary.Segments.Schema;

namespace Tributary.Segments;

/// <summary>
/// A segment that is still receiving events: rows are rolled up by (query-granularity time, dimension values)
/// as they arrive, dimensions are dictionary-encoded into per-row id columns, and metrics are aggregated in place.
/// It answers the <see cref="ISegment"/> scan primitives at any time: value bitmaps are built from the id columns
/// when a filter first asks for them and cached (see the README), so appends never touch a bitmap.
/// </summary>
/// <remarks>
/// Thread safety: one caller at a time, reads included (a read may build and cache a bitmap). The owning
/// SegmentGrain gets this for free from Orleans' one-turn-at-a-time execution; other hosts must serialise calls
/// themselves. A bitmap returned by <see cref="IDimensionColumn.GetRows"/> is valid until the next append.
/// </remarks>
public sealed class OpenSegment : ISegment
{
    private readonly OpenDimension[] _dimensions;
    private readonly OpenMetric[] _metrics;
    private readonly PackedColumn _time = new(256);
    private readonly long _granularityMs;
    private readonly bool _rollup;
    private readonly int[] _scratchIds;
    // Rollup table: open addressing over row ids (row + 1, 0 = empty), each slot as narrow as the largest row id the
    // table can hold before it grows (2, 3 or 4 bytes), padded so a slot can always be read as an unaligned u32.
    // Small to start: many open segments hold few rows.
    private byte[] _table = new byte[(256 * 2) + 4];
    private int _tableSlots = 256;
    private int _tableWidth = 2;
    private uint _tableMask = 0xFFFF;
    private int _rows;
    private long _events;
    private long _minTime = long.MaxValue;
    private long _maxTime = long.MinValue;
    private bool _sealed;
    private bool _disposed;

    /// <summary>Creates an empty segment for <paramref name="id"/>, whose start must be aligned to the segment granularity.</summary>
    public OpenSegment(DatasourceSpec spec, SegmentId id)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (spec.Granularity.Segment.Truncate(id.IntervalStartMs) != id.IntervalStartMs)
        {
            throw new ArgumentException($"segment start {id.IntervalStartMs} is not aligned to {spec.Granularity.Segment} granularity", nameof(id));
        }

        if (id.Datasource != spec.Name)
        {
            throw new ArgumentException($"segment datasource '{id.Datasource}' is not the spec's '{spec.Name}'", nameof(id));
        }

        Spec = spec;
        Id = id;
        IntervalEndMs = id.IntervalStartMs + spec.Granularity.Segment.Milliseconds;
        _granularityMs = spec.Granularity.Query.Milliseconds;
        _rollup = spec.Granularity.Rollup;
        _dimensions = [.. spec.Dimensions.Select(d => new OpenDimension(d))];
        _metrics = [.. spec.Metrics.Select((m, i) => OpenMetric.Create(m, spec.HyperUniquePrecision, i))];
        _scratchIds = new int[_dimensions.Length];
    }

    /// <inheritdoc />
    public SegmentId Id { get; }

    /// <inheritdoc />
    public DatasourceSpec Spec { get; }

    /// <inheritdoc />
    public bool IsSealed => _sealed;

    /// <inheritdoc />
    public int RowCount => _rows;

    /// <inheritdoc />
    public long EventCount => _events;

    /// <inheritdoc />
    public long IntervalStartMs => Id.IntervalStartMs;

    /// <inheritdoc />
    public long IntervalEndMs { get; }

    /// <inheritdoc />
    public long MinTimestampMs => _minTime;

    /// <inheritdoc />
    public long MaxTimestampMs => _maxTime;

    internal OpenDimension[] Dimensions => _dimensions;

    internal OpenMetric[] Metrics => _metrics;

    internal PackedColumn TimeBuckets => _time;

    internal long GranularityMs => _granularityMs;

    /// <summary>
    /// Approximate bytes held: managed columns, dictionaries and rollup table at their allocated sizes plus the
    /// cached bitmaps (native memory and managed wrappers). See <see cref="MemoryBreakdown"/>.
    /// </summary>
    public long MemoryUsage
    {
        get
        {
            var bytes = _time.AllocatedBytes + _table.Length;
            foreach (var dimension in _dimensions)
            {
                bytes += dimension.MemoryUsage;
            }

            foreach (var metric in _metrics)
            {
                bytes += metric.MemoryUsage;
            }

            return bytes;
        }
    }

    /// <summary>Native (CRoaring) bytes held by the segment's bitmaps; part of <see cref="MemoryUsage"/>.</summary>
    public long NativeMemoryUsage => _dimensions.Sum(d => d.NativeMemoryUsage);

    /// <summary>
    /// <see cref="MemoryUsage"/> by component (time column, rollup table, and per dimension and metric), for
    /// diagnostics and the ingest bench. Keys are stable: <c>time</c>, <c>rollup</c>, <c>dim:NAME:ids</c>,
    /// <c>dim:NAME:dictionary</c>, <c>dim:NAME:bitmaps</c>, <c>metric:NAME</c>.
    /// </summary>
    public IReadOnlyDictionary<string, long> MemoryBreakdown()
    {
        var parts = new Dictionary<string, long>(StringComparer.Ordinal)
        {
            ["time"] = _time.AllocatedBytes,
            ["rollup"] = _table.Length,
        };
        foreach (var dimension in _dimensions)
        {
            parts[$"dim:{dimension.Spec.Name}:ids"] = dimension.Ids.AllocatedBytes;
            parts[$"dim:{dimension.Spec.Name}:dictionary"] = dimension.DictionaryBytes;
            parts[$"dim:{dimension.Spec.Name}:bitmaps"] = dimension.BitmapBytes;
        }

        foreach (var metric in _metrics)
        {
            parts[$"metric:{metric.Spec.Name}"] = metric.MemoryUsage;
        }

        return parts;
    }

    /// <summary>
    /// Rebuilds an open segment from a snapshot written by <see cref="WriteSnapshotTo"/> (or <see cref="SealTo"/>). Rows, dictionaries, metrics (hyperUnique updates included) and event
    /// counts come back exactly, and appending continues as if the segment had never been sealed.
    /// </summary>
    public static OpenSegment Restore(SealedSegment snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var segment = new OpenSegment(snapshot.Spec, snapshot.Id);
        var sources = segment._dimensions.Select(d => snapshot.GetDimension(d.Spec.Name)!).ToArray();
        for (var d = 0; d < sources.Length; d++)
        {
            for (var id = 0; id < sources[d].Cardinality; id++)
            {
                segment._dimensions[d].AddRestoredValue(sources[d].GetValue(id), sources[d].GetLong(id));
            }
        }

        var metrics = segment.Spec.Metrics.Select(m => snapshot.GetMetric(m.Name)!).ToArray();
        var updates = new List<uint>();
        for (var row = 0; row < snapshot.RowCount; row++)
        {
            segment._time.Add((snapshot.GetTimestamp(row) - segment.IntervalStartMs) / segment._granularityMs);
            for (var d = 0; d < sources.Length; d++)
            {
                segment._dimensions[d].AddRow(sources[d].GetId(row));
            }

            for (var m = 0; m < metrics.Length; m++)
            {
                switch (segment._metrics[m])
                {
                    case OpenMetric.LongMetric longMetric:
                        longMetric.Values.Add(metrics[m].GetLong(row));
                        break;
                    case OpenMetric.DoubleMetric doubleMetric:
                        doubleMetric.Values.Add(metrics[m].GetDouble(row));
                        break;
                    case OpenMetric.HyperUniqueMetric hll:
                        var sketch = ((IHyperUniqueRows)metrics[m]).ReadRow(row, updates);
                        hll.AddRestoredRow(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(updates), sketch);
                        break;
                }
            }

            segment._rows++;
            if (segment._rollup)
            {
                segment.InsertIntoTable(row);
            }
        }

        segment._events = snapshot.EventCount;
        segment._minTime = snapshot.MinTimestampMs;
        segment._maxTime = snapshot.MaxTimestampMs;
        return segment;
    }

    /// <summary>Parses <paramref name="json"/> and appends it; false with the reason when it is malformed or outside this segment.</summary>
    public bool TryAppend(ReadOnlySpan<byte> json, RowParser parser, ParsedRow scratch, out string? error)
    {
        ArgumentNullException.ThrowIfNull(parser);
        if (!parser.TryParse(json, scratch, out error))
        {
            return false;
        }

        if (scratch.TimestampMs < IntervalStartMs || scratch.TimestampMs >= IntervalEndMs)
        {
            error = $"event time {scratch.TimestampMs} is outside segment {Id}";
            return false;
        }

        Append(scratch);
        return true;
    }

    /// <summary>Appends one parsed event (rolled up into an existing row when one has the same time bucket and dimension values).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The event's time is outside the segment's interval.</exception>
    /// <exception cref="InvalidOperationException">The segment is sealed.</exception>
    public void Append(ParsedRow row)
    {
        ArgumentNullException.ThrowIfNull(row);
        if (_sealed)
        {
            throw new InvalidOperationException($"segment {Id} is sealed");
        }

        var offset = row.TimestampMs - IntervalStartMs;
        if (offset < 0 || row.TimestampMs >= IntervalEndMs)
        {
            throw new ArgumentOutOfRangeException(nameof(row), row.TimestampMs, $"event time is outside segment {Id}");
        }

        var bucket = offset / _granularityMs;
        var ids = _scratchIds;
        var hash = (ulong)bucket * 0x9E3779B97F4A7C15UL;
        for (var d = 0; d < _dimensions.Length; d++)
        {
            var id = _dimensions[d].Resolve(row, d);
            ids[d] = id;
            hash = (hash ^ (uint)id) * 0xFF51AFD7ED558CCDUL;
        }

        hash ^= hash >> 29;
        _events++;
        if (_rollup)
        {
            var mask = _tableSlots - 1;
            var slot = (int)hash & mask;
            while (true)
            {
                var entry = TableAt(slot);
                if (entry == 0)
                {
                    break;
                }

                if (SameKey(entry - 1, bucket, ids))
                {
                    foreach (var metric in _metrics)
                    {
                        metric.Merge(entry - 1, row);
                    }

                    return;
                }

                slot = (slot + 1) & mask;
            }

            SetTable(_table, _tableWidth, slot, _rows + 1);
        }

        _time.Add(bucket);
        for (var d = 0; d < _dimensions.Length; d++)
        {
            _dimensions[d].AddRow(ids[d]);
        }

        foreach (var metric in _metrics)
        {
            metric.AddRow(row);
        }

        _rows++;
        var time = IntervalStartMs + (bucket * _granularityMs);
        _minTime = Math.Min(_minTime, time);
        _maxTime = Math.Max(_maxTime, time);
        if (_rollup && _rows * 4 > _tableSlots * 3)
        {
            GrowTable();
        }
    }

    /// <summary>
    /// Seals the segment: rows are sorted by (time, dimension values), dictionaries sorted, bitmaps rebuilt and
    /// run-optimized, a Bloom filter of the partition-key values built, and the result written to
    /// <paramref name="destination"/> in the format described in the README. No append is accepted afterwards.
    /// </summary>
    /// <returns>Bytes written.</returns>
    public long SealTo(Stream destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        ObjectDisposedException.ThrowIf(_disposed, this);
        _sealed = true;
        return SegmentWriter.Write(this, destination);
    }

    /// <summary>
    /// Writes the segment as it is now in the sealed format without sealing it: the snapshot a SegmentGrain persists
    /// periodically and hands to <see cref="Restore"/> after a restart. Appending continues afterwards.
    /// </summary>
    /// <returns>Bytes written.</returns>
    public long WriteSnapshotTo(Stream destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        ObjectDisposedException.ThrowIf(_disposed, this);
        return SegmentWriter.Write(this, destination);
    }

    /// <summary>Seals into memory and loads the result: the immutable, compact form of this segment.</summary>
    public SealedSegment Seal()
    {
        using var buffer = new MemoryStream();
        SealTo(buffer);
        return SealedSegment.Load(buffer.GetBuffer().AsMemory(0, (int)buffer.Length));
    }

    /// <inheritdoc />
    public long GetTimestamp(int row) => IntervalStartMs + (_time[row] * _granularityMs);

    /// <inheritdoc />
    public RoaringBitmap AllRows() => RoaringBitmap.FromRange(0, (uint)_rows);

    /// <inheritdoc />
    public RoaringBitmap RowsInInterval(long startMs, long endMs)
    {
        var result = new RoaringBitmap();
        if (startMs <= IntervalStartMs && endMs >= IntervalEndMs)
        {
            result.AddRange(0, (uint)_rows);
            return result;
        }

        Span<uint> batch = stackalloc uint[256];
        var n = 0;
        for (var row = 0; row < _rows; row++)
        {
            var time = IntervalStartMs + (_time[row] * _granularityMs);
            if (time >= startMs && time < endMs)
            {
                batch[n++] = (uint)row;
                if (n == batch.Length)
                {
                    result.AddMany(batch);
                    n = 0;
                }
            }
        }

        result.AddMany(batch[..n]);
        return result;
    }

    /// <inheritdoc />
    public IDimensionColumn? GetDimension(string name)
    {
        var index = Spec.DimensionIndex(name);
        return index < 0 ? null : _dimensions[index];
    }

    /// <inheritdoc />
    public IMetricColumn? GetMetric(string name)
    {
        var index = Spec.MetricIndex(name);
        return index < 0 ? null : _metrics[index];
    }

    /// <summary>Frees the native bitmaps.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _sealed = true;
        foreach (var dimension in _dimensions)
        {
            dimension.Dispose();
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool SameKey(int row, long bucket, int[] ids)
    {
        if (_time[row] != bucket)
        {
            return false;
        }

        for (var d = 0; d < ids.Length; d++)
        {
            if (_dimensions[d].Ids[row] != ids[d])
            {
                return false;
            }
        }

        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int TableAt(int slot)
        => (int)(Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_table), slot * _tableWidth)) & _tableMask);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void SetTable(byte[] table, int width, int slot, int entry)
    {
        ref var at = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(table), slot * width);
        switch (width)
        {
            case 2:
                Unsafe.WriteUnaligned(ref at, (ushort)entry);
                break;
            case 3:
                Unsafe.WriteUnaligned(ref at, (ushort)entry);
                Unsafe.Add(ref at, 2) = (byte)(entry >> 16);
                break;
            default:
                Unsafe.WriteUnaligned(ref at, (uint)entry);
                break;
        }
    }

    private void GrowTable()
    {
        _tableSlots *= 2;
        var largest = ((long)_tableSlots * 3 / 4) + 2; // the most rows (+ 1) it holds before growing again
        _tableWidth = largest <= ushort.MaxValue ? 2 : largest < 1 << 24 ? 3 : 4;
        _tableMask = _tableWidth == 4 ? uint.MaxValue : (1u << (_tableWidth * 8)) - 1;
        _table = new byte[((long)_tableSlots * _tableWidth) + 4 is var size && size <= Array.MaxLength ? (int)size : throw new InvalidOperationException($"segment {Id}: rollup table of {_tableSlots} slots is too large")];
        for (var row = 0; row < _rows; row++)
        {
            Place(row);
        }
    }

    private void InsertIntoTable(int row)
    {
        Place(row);
        if (_rows * 4 > _tableSlots * 3)
        {
            GrowTable();
        }
    }

    private void Place(int row)
    {
        var mask = _tableSlots - 1;
        var hash = (ulong)_time[row] * 0x9E3779B97F4A7C15UL;
        for (var d = 0; d < _dimensions.Length; d++)
        {
            hash = (hash ^ (uint)_dimensions[d].Ids[row]) * 0xFF51AFD7ED558CCDUL;
        }

        hash ^= hash >> 29;
        var slot = (int)hash & mask;
        while (TableAt(slot) != 0)
        {
            slot = (slot + 1) & mask;
        }

        SetTable(_table, _tableWidth, slot, row + 1);
    }
}
