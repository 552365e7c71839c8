using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text.Json;
using Tributary.Bitmaps.Bloom;
using Tributary.Bitmaps.Roaring;
using Tributary.Segments.Columns;
using Tributary.Segments.Schema;

namespace Tributary.Segments.Format;

/// <summary>Writes an <see cref="OpenSegment"/> in the sealed format: sorted, run-optimized, checksummed.</summary>
internal static class SegmentWriter
{
    public static long Write(OpenSegment segment, Stream destination)
    {
        var spec = segment.Spec;
        var rows = segment.RowCount;
        var dimensions = segment.Dimensions;

        // 1. sorted dictionaries: newId[oldId]
        var remaps = new int[dimensions.Length][];
        var orders = new int[dimensions.Length][];
        for (var d = 0; d < dimensions.Length; d++)
        {
            var dimension = dimensions[d];
            var order = Enumerable.Range(0, dimension.Cardinality).ToArray();
            Array.Sort(order, (a, b) => CompareValues(dimension, a, b));
            var remap = new int[order.Length];
            for (var i = 0; i < order.Length; i++)
            {
                remap[order[i]] = i;
            }

            remaps[d] = remap;
            orders[d] = order;
        }

        // 2. rows sorted by (time, dimension values in spec order)
        var time = segment.TimeBuckets;
        var keys = new int[rows * (dimensions.Length + 1)];
        var width = dimensions.Length + 1;
        for (var row = 0; row < rows; row++)
        {
            keys[row * width] = (int)time[row];
            for (var d = 0; d < dimensions.Length; d++)
            {
                keys[(row * width) + d + 1] = remaps[d][(int)dimensions[d].Ids[row]];
            }
        }

        var permutation = Enumerable.Range(0, rows).ToArray();
        Array.Sort(permutation, (a, b) => keys.AsSpan(a * width, width).SequenceCompareTo(keys.AsSpan(b * width, width)));

        using var output = new HashingStream(destination);
        var sections = new List<(SectionKind Kind, int Column, long Offset, long Length)>();
        Span<byte> header = stackalloc byte[SegmentFormat.HeaderBytes];
        header.Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(header, SegmentFormat.Magic);
        BinaryPrimitives.WriteUInt16LittleEndian(header[4..], SegmentFormat.Version);
        output.Write(header);

        void Section(SectionKind kind, int column, Action<Stream> write)
        {
            output.Align(8);
            var start = output.Position;
            write(output);
            sections.Add((kind, column, start, output.Position - start));
        }

        Section(SectionKind.Time, 0, s => time.Permute(permutation).WriteTo(s));
        for (var d = 0; d < dimensions.Length; d++)
        {
            var dimension = dimensions[d];
            var remap = remaps[d];
            Section(SectionKind.Dictionary, d, s => WriteDictionary(s, dimension, orders[d]));
            Section(SectionKind.Ids, d, s => dimension.Ids.Permute(permutation, id => remap[(int)id]).WriteTo(s));
            Section(SectionKind.Bitmaps, d, s => WriteBitmaps(s, keys, width, d + 1, permutation, dimension.Cardinality));
        }

        for (var m = 0; m < segment.Metrics.Length; m++)
        {
            switch (segment.Metrics[m])
            {
                case OpenMetric.LongMetric longMetric:
                    Section(SectionKind.LongMetric, m, s => longMetric.Values.Permute(permutation).WriteTo(s));
                    break;
                case OpenMetric.DoubleMetric doubleMetric:
                    Section(SectionKind.DoubleMetric, m, s => WriteDoubles(s, doubleMetric.Values, permutation));
                    break;
                case OpenMetric.HyperUniqueMetric hll:
                    Section(SectionKind.HyperUnique, m, s => WriteHyperUnique(s, hll, permutation));
                    break;
            }
        }

        var keyIndex = spec.DimensionIndex(spec.Partitioning.Key);
        var bloom = BuildBloomFilter(dimensions[keyIndex], spec.BloomFilterFalsePositiveRate);
        Section(SectionKind.BloomFilter, keyIndex, s => s.Write(bloom.ToArray()));

        output.Align(8);
        var metadataOffset = output.Position;
        var metadata = Metadata(segment);
        output.Write(metadata);
        output.Align(8);
        var tableOffset = output.Position;
        Span<byte> entry = stackalloc byte[SegmentFormat.SectionEntryBytes];
        foreach (var (kind, column, offset, length) in sections)
        {
            entry.Clear();
            BinaryPrimitives.WriteUInt16LittleEndian(entry, (ushort)kind);
            BinaryPrimitives.WriteInt32LittleEndian(entry[4..], column);
            BinaryPrimitives.WriteInt64LittleEndian(entry[8..], offset);
            BinaryPrimitives.WriteInt64LittleEndian(entry[16..], length);
            output.Write(entry);
        }

        Span<byte> footer = stackalloc byte[SegmentFormat.FooterBytes];
        BinaryPrimitives.WriteInt64LittleEndian(footer, metadataOffset);
        BinaryPrimitives.WriteInt32LittleEndian(footer[8..], metadata.Length);
        BinaryPrimitives.WriteInt32LittleEndian(footer[12..], sections.Count);
        BinaryPrimitives.WriteInt64LittleEndian(footer[16..], tableOffset);
        output.Write(footer[..24]);
        BinaryPrimitives.WriteUInt64LittleEndian(footer[24..], output.Checksum);
        output.Write(footer[24..]);
        output.Flush();
        return output.Position;
    }

    internal static int CompareValues(OpenDimension dimension, int a, int b)
    {
        if (a == b)
        {
            return 0;
        }

        if (a == dimension.NullId)
        {
            return -1;
        }

        if (b == dimension.NullId)
        {
            return 1;
        }

        return dimension.Spec.Type == DimensionType.Long
            ? dimension.LongValue(a).CompareTo(dimension.LongValue(b))
            : dimension.Utf8(a).SequenceCompareTo(dimension.Utf8(b));
    }

    private static void WriteDictionary(Stream stream, OpenDimension dimension, int[] order)
    {
        // u32 count, u8 hasNull, 3 zero bytes; strings: u32 offsets[n + 1] then UTF-8 bytes; longs: i64[n]
        var hasNull = dimension.NullId >= 0;
        var values = order.Where(id => id != dimension.NullId).ToArray();
        Span<byte> header = stackalloc byte[8];
        header.Clear();
        BinaryPrimitives.WriteInt32LittleEndian(header, order.Length);
        header[4] = hasNull ? (byte)1 : (byte)0;
        stream.Write(header);
        Span<byte> word = stackalloc byte[8];
        if (dimension.Spec.Type == DimensionType.Long)
        {
            foreach (var id in values)
            {
                BinaryPrimitives.WriteInt64LittleEndian(word, dimension.LongValue(id));
                stream.Write(word);
            }

            return;
        }

        var offset = 0;
        BinaryPrimitives.WriteInt32LittleEndian(word, 0);
        stream.Write(word[..4]);
        foreach (var id in values)
        {
            offset += dimension.Utf8(id).Length;
            BinaryPrimitives.WriteInt32LittleEndian(word, offset);
            stream.Write(word[..4]);
        }

        foreach (var id in values)
        {
            stream.Write(dimension.Utf8(id));
        }
    }

    private static void WriteBitmaps(Stream stream, int[] keys, int width, int column, int[] permutation, int cardinality)
    {
        // counting sort of new row ids by value id: rows of each value come out ascending
        var counts = new int[cardinality + 1];
        for (var row = 0; row < permutation.Length; row++)
        {
            counts[keys[(permutation[row] * width) + column] + 1]++;
        }

        for (var i = 1; i <= cardinality; i++)
        {
            counts[i] += counts[i - 1];
        }

        var starts = (int[])counts.Clone();
        var rowsByValue = new uint[permutation.Length];
        for (var row = 0; row < permutation.Length; row++)
        {
            rowsByValue[starts[keys[(permutation[row] * width) + column]]++] = (uint)row;
        }

        // u32 count, 4 zero bytes, u64 offsets[count + 1] relative to the first bitmap, then portable bitmaps
        var blobs = new byte[cardinality][];
        for (var id = 0; id < cardinality; id++)
        {
            using var bitmap = RoaringBitmap.FromValues(rowsByValue.AsSpan(counts[id], counts[id + 1] - counts[id]));
            bitmap.RunOptimize();
            blobs[id] = bitmap.Serialize();
        }

        Span<byte> word = stackalloc byte[8];
        word.Clear();
        BinaryPrimitives.WriteInt32LittleEndian(word, cardinality);
        stream.Write(word);
        long offset = 0;
        BinaryPrimitives.WriteInt64LittleEndian(word, 0);
        stream.Write(word);
        foreach (var blob in blobs)
        {
            offset += blob.Length;
            BinaryPrimitives.WriteInt64LittleEndian(word, offset);
            stream.Write(word);
        }

        foreach (var blob in blobs)
        {
            stream.Write(blob);
        }
    }

    private static void WriteDoubles(Stream stream, DoubleColumn values, int[] permutation)
    {
        // u32 count, 4 zero bytes, f64[count]
        Span<byte> word = stackalloc byte[8];
        word.Clear();
        BinaryPrimitives.WriteInt32LittleEndian(word, permutation.Length);
        stream.Write(word);
        foreach (var row in permutation)
        {
            BinaryPrimitives.WriteDoubleLittleEndian(word, values[row]);
            stream.Write(word);
        }
    }

    private static void WriteHyperUnique(Stream stream, OpenMetric.HyperUniqueMetric metric, int[] permutation)
    {
        // u32 rows, u32 pool length, u32 sketches, u32 reserved, u32 entry[rows], u32 pool[pool length],
        // then per sketch: u32 row, u32 length, sketch bytes. An entry is 0 (none), an update, PoolTag | offset
        // of "count, updates..." in the pool, or SketchMarker.
        var entries = new uint[permutation.Length];
        var pool = new List<uint>();
        var sketches = new List<(int Row, byte[] Bytes)>();
        for (var row = 0; row < permutation.Length; row++)
        {
            var old = permutation[row];
            var entry = metric.Entry(old);
            if (entry == OpenMetric.HyperUniqueMetric.SketchMarker)
            {
                sketches.Add((row, metric.Sketches[old].ToArray()));
            }
            else if ((entry & OpenMetric.HyperUniqueMetric.PoolTag) != 0)
            {
                var listed = metric.Listed(old);
                entry = OpenMetric.HyperUniqueMetric.PoolTag | (uint)pool.Count;
                pool.Add((uint)listed.Length);
                foreach (var update in listed)
                {
                    pool.Add(update);
                }
            }

            entries[row] = entry;
        }

        Span<byte> word = stackalloc byte[16];
        BinaryPrimitives.WriteInt32LittleEndian(word, permutation.Length);
        BinaryPrimitives.WriteInt32LittleEndian(word[4..], pool.Count);
        BinaryPrimitives.WriteInt32LittleEndian(word[8..], sketches.Count);
        BinaryPrimitives.WriteInt32LittleEndian(word[12..], 0);
        stream.Write(word);
        foreach (var entry in entries)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(word, entry);
            stream.Write(word[..4]);
        }

        foreach (var value in pool)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(word, value);
            stream.Write(word[..4]);
        }

        foreach (var (row, bytes) in sketches)
        {
            BinaryPrimitives.WriteInt32LittleEndian(word, row);
            BinaryPrimitives.WriteInt32LittleEndian(word[4..], bytes.Length);
            stream.Write(word[..8]);
            stream.Write(bytes);
        }
    }

    private static BlockedBloomFilter BuildBloomFilter(OpenDimension key, double falsePositiveRate)
    {
        var filter = new BlockedBloomFilter(BloomFilterParameters.ForFalsePositiveRate(key.Cardinality, falsePositiveRate));
        for (var id = 0; id < key.Cardinality; id++)
        {
            if (key.GetValue(id) is { } value)
            {
                // the value's text: the Kafka key bytes the producer partitioned by
                filter.Add(value);
            }
        }

        return filter;
    }

    private static byte[] Metadata(OpenSegment segment)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteNumber("formatVersion", SegmentFormat.Version);
            json.WriteString("datasource", segment.Id.Datasource);
            json.WriteNumber("partition", segment.Id.Partition);
            json.WriteNumber("intervalStart", segment.IntervalStartMs);
            json.WriteNumber("intervalEnd", segment.IntervalEndMs);
            json.WriteNumber("rows", segment.RowCount);
            json.WriteNumber("events", segment.EventCount);
            json.WriteNumber("minTime", segment.MinTimestampMs);
            json.WriteNumber("maxTime", segment.MaxTimestampMs);
            json.WritePropertyName("spec");
            DatasourceSpecWriter.Write(json, segment.Spec);
            json.WriteEndObject();
        }

        return buffer.ToArray();
    }

    /// <summary>Counts, checksums (XxHash3) and aligns what it forwards; never seeks, so any writable stream works.</summary>
    private sealed class HashingStream(Stream inner) : Stream
    {
        private readonly XxHash3 _hash = new();

        public ulong Checksum => _hash.GetCurrentHashAsUInt64();

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => Position;

        public override long Position { get; set; }

        public void Align(int alignment)
        {
            Span<byte> zeros = stackalloc byte[8];
            zeros.Clear();
            var pad = (int)((alignment - (Position % alignment)) % alignment);
            Write(zeros[..pad]);
        }

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            _hash.Append(buffer);
            inner.Write(buffer);
            Position += buffer.Length;
        }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Flush() => inner.Flush();

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
