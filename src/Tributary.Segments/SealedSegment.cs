using Tributary.Bitmaps.Bloom;
using Tributary.Bitmaps.Roaring;
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

    private SealedSegment(ReadOnlyMemory<byte> bytes, SegmentContents contents)
    {
        _bytes = bytes;
        _sections = contents.Sections;
        var metadata = contents.Metadata;
        var spec = contents.Spec;
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
        _metrics = [.. spec.Metrics.Select((m, i) => new Lazy<IMetricColumn>(() => SealedMetric.Create(this, m, i)))];
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
    public static SealedSegment Load(ReadOnlyMemory<byte> bytes) => new(bytes, SegmentReader.Read(bytes));

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

    internal PackedColumnView Column(SectionKind kind, int column, string what)
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
}
