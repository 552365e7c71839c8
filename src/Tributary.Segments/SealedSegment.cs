using System.Buffers.Binary;
using System.Globalization;
using System.IO.Hashing;
using System.Text;
using System.Text.Json;
using Tributary.Bitmaps.Bloom;
using Tributary.Bitmaps.Roaring;
using Tributary.Bitmaps.Sketches;
using Tributary.Segments.Columns;
using Tributary.Segments.Format;
using Tributary.Segments.Schema;

namespace Tributary.Segments;

/// <summary>
/// An immutable segment read from the sealed format. Loading checks the checksum and the section table and
/// parses only the metadata; dictionaries, columns and the Bloom filter are decoded on first use, and each
/// value's bitmap is deserialized the first time a query asks for it. Columns are zero-copy views over the bytes.
/// </summary>
/// <remarks>Thread safety: every member is safe to call from many threads at once.</remarks>
public sealed class SealedSegment : ISegment
{
    private readonly ReadOnlyMemory<byte> _bytes;
    private readonly Dictionary<(SectionKind Kind, int Column), ReadOnlyMemory<byte>> _sections;
    private readonly Lazy<PackedColumnView> _time;
    private readonly Lazy<SealedDimension>[] _dimensions;
    private readonly Lazy<IMetricColumn>[] _metrics;
    private readonly Lazy<BlockedBloomFilter> _bloom;
    private readonly long _granularityMs;

    private SealedSegment(ReadOnlyMemory<byte> bytes, Dictionary<(SectionKind, int), ReadOnlyMemory<byte>> sections, JsonElement metadata, DatasourceSpec spec)
    {
        _bytes = bytes;
        _sections = sections;
        Spec = spec;
        Id = new SegmentId(metadata.GetProperty("datasource").GetString()!, metadata.GetProperty("intervalStart").GetInt64(), metadata.GetProperty("partition").GetInt32());
        IntervalEndMs = metadata.GetProperty("intervalEnd").GetInt64();
        RowCount = metadata.GetProperty("rows").GetInt32();
        EventCount = metadata.GetProperty("events").GetInt64();
        MinTimestampMs = metadata.GetProperty("minTime").GetInt64();
        MaxTimestampMs = metadata.GetProperty("maxTime").GetInt64();
        _granularityMs = spec.Granularity.Query.Milliseconds;
        _time = new(() => Column(SectionKind.Time, 0, "time"));
        _dimensions = [.. spec.Dimensions.Select((d, i) => new Lazy<SealedDimension>(() => new SealedDimension(this, d, i)))];
        _metrics = [.. spec.Metrics.Select((m, i) => new Lazy<IMetricColumn>(() => CreateMetric(m, i)))];
        _bloom = new(() => BlockedBloomFilter.Read(Section(SectionKind.BloomFilter, spec.DimensionIndex(spec.Partitioning.Key)).Span));
    }

    /// <inheritdoc />
    public SegmentId Id { get; }

    /// <inheritdoc />
    public DatasourceSpec Spec { get; }

    /// <inheritdoc />
    public bool IsSealed => true;

    /// <inheritdoc />
    public int RowCount { get; }

    /// <inheritdoc />
    public long EventCount { get; }

    /// <inheritdoc />
    public long IntervalStartMs => Id.IntervalStartMs;

    /// <inheritdoc />
    public long IntervalEndMs { get; }

    /// <inheritdoc />
    public long MinTimestampMs { get; }

    /// <inheritdoc />
    public long MaxTimestampMs { get; }

    /// <summary>Size of the serialized segment.</summary>
    public long SizeInBytes => _bytes.Length;

    /// <summary>Bloom filter of the partition-key values (their text as UTF-8), for the catalog and the broker.</summary>
    public BlockedBloomFilter BloomFilter => _bloom.Value;

    /// <summary>Reads a sealed segment from <paramref name="stream"/> (to its end) and loads it.</summary>
    public static async Task<SealedSegment> LoadAsync(Stream stream, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var buffer = stream.CanSeek ? new MemoryStream(checked((int)(stream.Length - stream.Position))) : new MemoryStream();
        await stream.CopyToAsync(buffer, cancellationToken).ConfigureAwait(false);
        return Load(buffer.GetBuffer().AsMemory(0, (int)buffer.Length));
    }

    /// <summary>Loads a sealed segment from its bytes, which must stay unchanged while the segment is used.</summary>
    /// <exception cref="InvalidDataException">The bytes are not a valid sealed segment; the message names the offset or section.</exception>
    public static SealedSegment Load(ReadOnlyMemory<byte> bytes)
    {
        var span = bytes.Span;
        if (span.Length < SegmentFormat.HeaderBytes + SegmentFormat.FooterBytes)
        {
            throw new InvalidDataException($"sealed segment truncated: {span.Length} bytes, header and footer alone take {SegmentFormat.HeaderBytes + SegmentFormat.FooterBytes}");
        }

        var magic = BinaryPrimitives.ReadUInt32LittleEndian(span);
        if (magic != SegmentFormat.Magic)
        {
            throw new InvalidDataException($"sealed segment: magic at byte 0 is 0x{magic:X8}, not 'TSEG'");
        }

        var version = BinaryPrimitives.ReadUInt16LittleEndian(span[4..]);
        if (version != SegmentFormat.Version)
        {
            throw new InvalidDataException($"sealed segment: format version {version} at byte 4 is not supported (expected {SegmentFormat.Version})");
        }

        var footer = span[^SegmentFormat.FooterBytes..];
        var checksum = BinaryPrimitives.ReadUInt64LittleEndian(footer[24..]);
        if (checksum != XxHash3.HashToUInt64(span[..^8]))
        {
            throw new InvalidDataException($"sealed segment: checksum at byte {span.Length - 8} does not match the content (corrupt or truncated)");
        }

        var metadataOffset = BinaryPrimitives.ReadInt64LittleEndian(footer);
        var metadataLength = BinaryPrimitives.ReadInt32LittleEndian(footer[8..]);
        var sectionCount = BinaryPrimitives.ReadInt32LittleEndian(footer[12..]);
        var tableOffset = BinaryPrimitives.ReadInt64LittleEndian(footer[16..]);
        var end = span.Length - SegmentFormat.FooterBytes;
        if (metadataOffset < SegmentFormat.HeaderBytes || metadataLength < 0 || metadataOffset + metadataLength > end
            || sectionCount < 0 || tableOffset < 0 || tableOffset + ((long)sectionCount * SegmentFormat.SectionEntryBytes) > end)
        {
            throw new InvalidDataException($"sealed segment: footer at byte {end} points outside the file");
        }

        var sections = new Dictionary<(SectionKind, int), ReadOnlyMemory<byte>>();
        for (var i = 0; i < sectionCount; i++)
        {
            var entry = span.Slice((int)tableOffset + (i * SegmentFormat.SectionEntryBytes), SegmentFormat.SectionEntryBytes);
            var kind = (SectionKind)BinaryPrimitives.ReadUInt16LittleEndian(entry);
            var column = BinaryPrimitives.ReadInt32LittleEndian(entry[4..]);
            var offset = BinaryPrimitives.ReadInt64LittleEndian(entry[8..]);
            var length = BinaryPrimitives.ReadInt64LittleEndian(entry[16..]);
            if (offset < SegmentFormat.HeaderBytes || length < 0 || offset + length > metadataOffset)
            {
                throw new InvalidDataException($"sealed segment: section {i} ({kind}, column {column}) at [{offset}, {offset + length}) is outside the data area");
            }

            sections[(kind, column)] = bytes.Slice((int)offset, (int)length);
        }

        using var document = JsonDocument.Parse(bytes.Slice((int)metadataOffset, metadataLength));
        var metadata = document.RootElement.Clone();
        var spec = DatasourceSpecLoader.Parse(metadata.GetProperty("spec").GetRawText(), "segment metadata");
        return new SealedSegment(bytes, sections, metadata, spec);
    }

    /// <inheritdoc />
    public long GetTimestamp(int row) => IntervalStartMs + (_time.Value[row] * _granularityMs);

    /// <inheritdoc />
    public RoaringBitmap AllRows() => RoaringBitmap.FromRange(0, (uint)RowCount);

    /// <inheritdoc />
    public RoaringBitmap RowsInInterval(long startMs, long endMs)
    {
        // rows are sorted by time, so the interval is one contiguous row range
        var first = FirstRowAtOrAfter(startMs);
        var last = FirstRowAtOrAfter(endMs);
        return RoaringBitmap.FromRange((uint)first, (uint)Math.Max(first, last));
    }

    /// <inheritdoc />
    public IDimensionColumn? GetDimension(string name)
    {
        var index = Spec.DimensionIndex(name);
        return index < 0 ? null : _dimensions[index].Value;
    }

    /// <inheritdoc />
    public IMetricColumn? GetMetric(string name)
    {
        var index = Spec.MetricIndex(name);
        return index < 0 ? null : _metrics[index].Value;
    }

    /// <summary>Frees the bitmaps deserialized so far.</summary>
    public void Dispose()
    {
        foreach (var dimension in _dimensions)
        {
            if (dimension.IsValueCreated)
            {
                dimension.Value.Dispose();
            }
        }
    }

    internal ReadOnlyMemory<byte> Section(SectionKind kind, int column)
        => _sections.TryGetValue((kind, column), out var section) ? section : throw new InvalidDataException($"sealed segment {Id}: section {kind} of column {column} is missing");

    private PackedColumnView Column(SectionKind kind, int column, string what)
    {
        var view = new PackedColumnView(Section(kind, column), $"segment {Id} {what}");
        return view.Count == RowCount ? view : throw new InvalidDataException($"segment {Id} {what}: {view.Count} values for {RowCount} rows");
    }

    private int FirstRowAtOrAfter(long timeMs)
    {
        int low = 0, high = RowCount;
        while (low < high)
        {
            var mid = (low + high) >>> 1;
            if (GetTimestamp(mid) < timeMs)
            {
                low = mid + 1;
            }
            else
            {
                high = mid;
            }
        }

        return low;
    }

    private IMetricColumn CreateMetric(MetricSpec spec, int index) => spec.Type switch
    {
        MetricType.HyperUnique => new SealedHyperUnique(spec, Section(SectionKind.HyperUnique, index), RowCount, Spec.HyperUniquePrecision, Id),
        MetricType.DoubleSum or MetricType.DoubleMin or MetricType.DoubleMax => new SealedDouble(spec, Section(SectionKind.DoubleMetric, index), RowCount, Id),
        _ => new SealedLong(spec, Column(SectionKind.LongMetric, index, $"metric '{spec.Name}'")),
    };

    private sealed class SealedLong(MetricSpec spec, PackedColumnView values) : IMetricColumn
    {
        public MetricSpec Spec { get; } = spec;

        public long GetLong(int row) => values[row];

        public double GetDouble(int row) => values[row];

        public void AddTo(int row, HyperLogLog sketch) => throw new InvalidOperationException($"metric '{Spec.Name}' is {Spec.Type}, not hyperUnique");
    }

    private sealed class SealedDouble : IMetricColumn
    {
        private readonly ReadOnlyMemory<byte> _values;

        public SealedDouble(MetricSpec spec, ReadOnlyMemory<byte> section, int rows, SegmentId id)
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

    /// <summary>Raw hyperUnique rows, for restoring an open segment from a snapshot.</summary>
    internal interface IHyperUniqueRows
    {
        /// <summary>The row's updates (into <paramref name="updates"/>) or its own sketch.</summary>
        HyperLogLog? ReadRow(int row, List<uint> updates);
    }

    private sealed class SealedHyperUnique : IMetricColumn, IHyperUniqueRows
    {
        private const uint PoolTag = 0x8000_0000;
        private const uint SketchMarker = 0xFFFF_FFFF;
        private readonly ReadOnlyMemory<byte> _entries;
        private readonly ReadOnlyMemory<byte> _pool;
        private readonly Dictionary<int, HyperLogLog> _sketches = [];
        private readonly int _precision;

        public SealedHyperUnique(MetricSpec spec, ReadOnlyMemory<byte> section, int rows, int precision, SegmentId id)
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

    private sealed class SealedDimension : IDimensionColumn, IDisposable
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
}
