using System.Collections;
using Roaring.Net.CRoaring;

namespace Tributary.Bitmaps.Roaring;

/// <summary>
/// A compressed set of 32-bit unsigned integers: CRoaring through Roaring.Net (<see cref="Roaring32Bitmap"/>,
/// which bundles the native library for every runtime it supports).
/// </summary>
/// <remarks>
/// Thread safety: concurrent readers are safe (CRoaring's read functions do not mutate); any mutation
/// (<c>Add</c>, <c>*InPlace</c>, <see cref="RunOptimize"/>) needs exclusive access. Disposal frees the native
/// memory at once (Roaring.Net keeps it in a SafeHandle, so a call in flight on another thread finishes first);
/// a bitmap that is never disposed is freed by the finalizers. Using a disposed bitmap throws
/// <see cref="ObjectDisposedException"/>.
/// </remarks>
public sealed class RoaringBitmap : IDisposable, IEnumerable<uint>, IEquatable<RoaringBitmap>
{
    private static long _live;
    private readonly Roaring32Bitmap _bitmap;
    private int _disposed;

    /// <summary>Creates an empty bitmap.</summary>
    public RoaringBitmap()
        : this(new Roaring32Bitmap())
    {
    }

    /// <summary>Creates an empty bitmap with room for <paramref name="containerCapacity"/> containers (one per 65,536-value chunk).</summary>
    public RoaringBitmap(uint containerCapacity)
        : this(new Roaring32Bitmap(containerCapacity))
    {
    }

    private RoaringBitmap(Roaring32Bitmap bitmap)
    {
        _bitmap = bitmap;
        Interlocked.Increment(ref _live);
    }

    /// <summary>Runs when a bitmap was never disposed: Roaring.Net's own finalizer frees the native memory; this keeps the count honest.</summary>
    ~RoaringBitmap()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            Interlocked.Decrement(ref _live);
        }
    }

    /// <summary>Bitmaps created through this type and neither disposed nor finalized, process-wide (for leak checks).</summary>
    public static long LiveNativeBitmaps => Interlocked.Read(ref _live);

    /// <summary>Number of values in the set.</summary>
    public long Cardinality => (long)Inner.Count;

    /// <summary>Whether the set is empty.</summary>
    public bool IsEmpty => Inner.IsEmpty;

    /// <summary>Smallest value; <see cref="uint.MaxValue"/> when empty (CRoaring's convention).</summary>
    public uint Minimum => Inner.Min ?? uint.MaxValue;

    /// <summary>Largest value; 0 when empty (CRoaring's convention).</summary>
    public uint Maximum => Inner.Max ?? 0;

    /// <summary>Whether <see cref="Dispose"/> has been called.</summary>
    public bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    /// <summary>The Roaring.Net bitmap; throws once this one is disposed.</summary>
    internal Roaring32Bitmap Inner
    {
        get
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            return _bitmap;
        }
    }

    /// <summary>Creates a bitmap holding <paramref name="values"/> (any order, duplicates allowed).</summary>
    public static RoaringBitmap FromValues(ReadOnlySpan<uint> values) => new(Roaring32Bitmap.FromValues(values));

    /// <summary>Creates a bitmap holding every value of <c>[start, endExclusive)</c>.</summary>
    public static RoaringBitmap FromRange(uint start, ulong endExclusive)
    {
        var bitmap = new RoaringBitmap();
        bitmap.AddRange(start, endExclusive);
        return bitmap;
    }

    /// <summary>Adds <paramref name="value"/>.</summary>
    public void Add(uint value) => Inner.Add(value);

    /// <summary>Adds <paramref name="value"/>; <see langword="true"/> when it was not present.</summary>
    public bool TryAdd(uint value) => Inner.TryAdd(value);

    /// <summary>Adds every value of <paramref name="values"/> in one native call (fastest when sorted).</summary>
    public void AddMany(ReadOnlySpan<uint> values)
    {
        if (!values.IsEmpty)
        {
            Inner.AddMany(values);
        }
    }

    /// <summary>Adds every value of <c>[start, endExclusive)</c>.</summary>
    public void AddRange(uint start, ulong endExclusive)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(endExclusive, (ulong)uint.MaxValue + 1);
        if (endExclusive > start)
        {
            Inner.AddRange(start, (uint)(endExclusive - 1));
        }
    }

    /// <summary>Removes <paramref name="value"/>; <see langword="true"/> when it was present.</summary>
    public bool Remove(uint value) => Inner.TryRemove(value);

    /// <summary>Whether <paramref name="value"/> is in the set.</summary>
    public bool Contains(uint value) => Inner.Contains(value);

    /// <summary>Number of values in <c>[start, endExclusive)</c>.</summary>
    public long RangeCardinality(ulong start, ulong endExclusive)
    {
        endExclusive = Math.Min(endExclusive, (ulong)uint.MaxValue + 1);
        return endExclusive <= start ? 0 : (long)Inner.CountRange((uint)start, (uint)(endExclusive - 1));
    }

    /// <summary>A new bitmap with the same values.</summary>
    public RoaringBitmap Clone() => new(Inner.Clone());

    /// <summary>A new bitmap: values in both.</summary>
    public RoaringBitmap And(RoaringBitmap other) => new(Inner.And(other.Inner));

    /// <summary>A new bitmap: values in either.</summary>
    public RoaringBitmap Or(RoaringBitmap other) => new(Inner.Or(other.Inner));

    /// <summary>A new bitmap: values in this one and not in <paramref name="other"/>.</summary>
    public RoaringBitmap AndNot(RoaringBitmap other) => new(Inner.AndNot(other.Inner));

    /// <summary>A new bitmap: values in exactly one of the two.</summary>
    public RoaringBitmap Xor(RoaringBitmap other) => new(Inner.Xor(other.Inner));

    /// <summary>A new bitmap: the values of <c>[start, endExclusive)</c> that are not in this one (for <c>not</c> filters over row ids).</summary>
    public RoaringBitmap Complement(uint start, ulong endExclusive)
    {
        // roaring_bitmap_flip keeps the values outside the range, so build the range and subtract instead
        var result = FromRange(start, endExclusive);
        result.AndNotInPlace(this);
        return result;
    }

    /// <summary>Keeps only values also in <paramref name="other"/>.</summary>
    public void AndInPlace(RoaringBitmap other) => Inner.IAnd(other.Inner);

    /// <summary>Adds the values of <paramref name="other"/>.</summary>
    public void OrInPlace(RoaringBitmap other) => Inner.IOr(other.Inner);

    /// <summary>Removes the values of <paramref name="other"/>.</summary>
    public void AndNotInPlace(RoaringBitmap other) => Inner.IAndNot(other.Inner);

    /// <summary>Keeps values in exactly one of the two.</summary>
    public void XorInPlace(RoaringBitmap other) => Inner.IXor(other.Inner);

    /// <summary>Size of the intersection, without building it.</summary>
    public long AndCardinality(RoaringBitmap other) => (long)Inner.AndCount(other.Inner);

    /// <summary>Size of the union, without building it.</summary>
    public long OrCardinality(RoaringBitmap other) => (long)Inner.OrCount(other.Inner);

    /// <summary>Size of the difference, without building it.</summary>
    public long AndNotCardinality(RoaringBitmap other) => (long)Inner.AndNotCount(other.Inner);

    /// <summary>Whether the two share at least one value.</summary>
    public bool Intersects(RoaringBitmap other) => Inner.Overlaps(other.Inner);

    /// <summary>
    /// The union of all <paramref name="bitmaps"/> as a new bitmap, in one native call
    /// (<c>roaring_bitmap_or_many</c>, which unions lazily and repairs cardinalities once at the end).
    /// </summary>
    public static RoaringBitmap OrMany(IReadOnlyList<RoaringBitmap> bitmaps)
    {
        ArgumentNullException.ThrowIfNull(bitmaps);
        switch (bitmaps.Count)
        {
            case 0:
                return new RoaringBitmap();
            case 1:
                return bitmaps[0].Clone();
            case 2:
                return bitmaps[0].Or(bitmaps[1]);
        }

        var rest = new Roaring32BitmapBase[bitmaps.Count - 1];
        for (var i = 1; i < bitmaps.Count; i++)
        {
            rest[i - 1] = bitmaps[i].Inner;
        }

        return new RoaringBitmap(bitmaps[0].Inner.OrMany(rest));
    }

    /// <summary>Converts containers to run-length encoding where that is smaller; <see langword="true"/> when any run container remains.</summary>
    public bool RunOptimize() => Inner.Optimize();

    /// <summary>Releases spare capacity; returns the bytes saved.</summary>
    public long ShrinkToFit() => (long)Inner.ShrinkToFit();

    /// <summary>Bytes that <see cref="Serialize(Span{byte})"/> writes.</summary>
    public int PortableSizeInBytes => checked((int)Inner.GetSerializationSize(SerializationFormat.Portable));

    /// <summary>
    /// Approximate native memory held: container payloads plus per-container bookkeeping
    /// (key, type code, pointer and container header) and the bitmap header.
    /// </summary>
    public long MemoryUsage
    {
        get
        {
            var stats = Inner.GetStatistics();
            const int perContainer = 2 + 1 + 8 + 16;
            const int header = 48;
            return header + ((long)stats.ContainerCount * perContainer) + stats.ArrayContainerBytes + stats.RunContainerBytes + stats.BitsetContainerBytes;
        }
    }

    /// <summary>Writes the portable (Java/Go compatible) format; returns the bytes written.</summary>
    public int Serialize(Span<byte> destination)
    {
        var bitmap = Inner;
        var size = checked((int)bitmap.GetSerializationSize(SerializationFormat.Portable));
        if (destination.Length < size)
        {
            throw new ArgumentException($"destination holds {destination.Length} bytes; the bitmap needs {size}", nameof(destination));
        }

        bitmap.Serialize(destination[..size], SerializationFormat.Portable);
        return size;
    }

    /// <summary>The portable (Java/Go compatible) format as a new array.</summary>
    public byte[] Serialize() => Inner.Serialize(SerializationFormat.Portable);

    /// <summary>
    /// Reads a bitmap in the portable format that fills <paramref name="source"/> exactly, with
    /// <c>roaring_bitmap_portable_deserialize_safe</c> (never reads past the span) and then
    /// <c>roaring_bitmap_internal_validate</c> (sorted arrays, non-overlapping runs, cardinalities, key order).
    /// Bytes that fail either are run through <see cref="RoaringFormat.Validate"/> for an error naming the offset.
    /// </summary>
    /// <exception cref="RoaringFormatException">The bytes are not a well-formed bitmap; the message names the offset.</exception>
    public static RoaringBitmap Deserialize(ReadOnlySpan<byte> source)
    {
        var length = (int)Roaring32Bitmap.GetDeserializationSize(source, (nuint)source.Length, SerializationFormat.Portable);
        if (length == 0 || length != source.Length)
        {
            length = RoaringFormat.Validate(source);
            if (length != source.Length)
            {
                throw new RoaringFormatException($"{source.Length - length} trailing bytes after a {length}-byte bitmap", length);
            }
        }

        return DeserializeChecked(source);
    }

    /// <summary>Reads one bitmap from the start of <paramref name="source"/>; <paramref name="bytesRead"/> is its length.</summary>
    /// <exception cref="RoaringFormatException">The bytes are not a well-formed bitmap; the message names the offset.</exception>
    public static RoaringBitmap Deserialize(ReadOnlySpan<byte> source, out int bytesRead)
    {
        bytesRead = (int)Roaring32Bitmap.GetDeserializationSize(source, (nuint)source.Length, SerializationFormat.Portable);
        if (bytesRead == 0)
        {
            bytesRead = RoaringFormat.Validate(source);
        }

        return DeserializeChecked(source[..bytesRead]);
    }

    private static RoaringBitmap DeserializeChecked(ReadOnlySpan<byte> source)
    {
        Roaring32Bitmap bitmap;
        try
        {
            bitmap = Roaring32Bitmap.Deserialize(source, SerializationFormat.Portable);
        }
        catch (InvalidOperationException e)
        {
            RoaringFormat.Validate(source);
            throw new RoaringFormatException($"CRoaring rejected the bitmap (roaring_bitmap_portable_deserialize_safe returned NULL: {e.Message})", 0);
        }

        if (!bitmap.IsValid(out var reason))
        {
            bitmap.Dispose();
            RoaringFormat.Validate(source);
            throw new RoaringFormatException($"CRoaring rejected the bitmap (roaring_bitmap_internal_validate: {reason})", 0);
        }

        return new RoaringBitmap(bitmap);
    }

    /// <summary>Copies every value, ascending, into a new array.</summary>
    public uint[] ToArray() => Inner.ToArray();

    /// <summary>A batch iterator over the values, ascending; it keeps the native bitmap alive until it is disposed.</summary>
    public RoaringBatchIterator GetBatchIterator() => new(Inner);

    /// <inheritdoc />
    public IEnumerator<uint> GetEnumerator()
    {
        var buffer = new uint[256];
        using var iterator = GetBatchIterator();
        int read;
        while ((read = iterator.Read(buffer)) > 0)
        {
            for (var i = 0; i < read; i++)
            {
                yield return buffer[i];
            }
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Whether both hold the same values.</summary>
    public bool Equals(RoaringBitmap? other) => other is not null && (ReferenceEquals(this, other) || Inner.ValueEquals(other.Inner));

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as RoaringBitmap);

    /// <summary>Hash of the cardinality and bounds (cheap; equal bitmaps hash equally).</summary>
    public override int GetHashCode() => HashCode.Combine(Cardinality, Minimum, Maximum);

    /// <summary>Frees the native bitmap.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _bitmap.Dispose();
            Interlocked.Decrement(ref _live);
            GC.SuppressFinalize(this);
        }
    }
}
