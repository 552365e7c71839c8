using System.Collections;

namespace Tributary.Bitmaps.Roaring;

/// <summary>
/// A compressed set of 32-bit unsigned integers backed by a native CRoaring bitmap.
/// </summary>
/// <remarks>
/// Thread safety: concurrent readers are safe (CRoaring's read functions do not mutate); any mutation
/// (<c>Add</c>, <c>*InPlace</c>, <see cref="RunOptimize"/>) needs exclusive access. Disposal frees the native
/// memory at once; a bitmap that is never disposed is freed by its finalizer. Using a disposed bitmap throws
/// <see cref="ObjectDisposedException"/>.
/// </remarks>
public sealed unsafe class RoaringBitmap : IDisposable, IEnumerable<uint>, IEquatable<RoaringBitmap>
{
    private readonly RoaringHandle _handle;

    /// <summary>Creates an empty bitmap.</summary>
    public RoaringBitmap()
        : this(0)
    {
    }

    /// <summary>Creates an empty bitmap with room for <paramref name="containerCapacity"/> containers (one per 65,536-value chunk).</summary>
    public RoaringBitmap(uint containerCapacity)
        : this(Track(NativeMethods.CreateWithCapacity(containerCapacity), "roaring_bitmap_create_with_capacity"))
    {
    }

    private RoaringBitmap(RoaringHandle handle) => _handle = handle;

    /// <summary>Native bitmaps created through this binding and not yet freed, process-wide (for leak checks).</summary>
    public static long LiveNativeBitmaps => RoaringHandle.Live;

    /// <summary>Number of values in the set.</summary>
    public long Cardinality => (long)NativeMethods.Cardinality(Handle);

    /// <summary>Whether the set is empty.</summary>
    public bool IsEmpty => NativeMethods.IsEmpty(Handle);

    /// <summary>Smallest value; <see cref="uint.MaxValue"/> when empty (CRoaring's convention).</summary>
    public uint Minimum => NativeMethods.Minimum(Handle);

    /// <summary>Largest value; 0 when empty (CRoaring's convention).</summary>
    public uint Maximum => NativeMethods.Maximum(Handle);

    /// <summary>Whether <see cref="Dispose"/> has been called.</summary>
    public bool IsDisposed => _handle.IsClosed;

    private RoaringHandle Handle
    {
        get
        {
            ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
            return _handle;
        }
    }

    /// <summary>Creates a bitmap holding <paramref name="values"/> (any order, duplicates allowed).</summary>
    public static RoaringBitmap FromValues(ReadOnlySpan<uint> values)
    {
        var bitmap = new RoaringBitmap();
        bitmap.AddMany(values);
        return bitmap;
    }

    /// <summary>Creates a bitmap holding every value of <c>[start, endExclusive)</c>.</summary>
    public static RoaringBitmap FromRange(uint start, ulong endExclusive)
    {
        var bitmap = new RoaringBitmap();
        bitmap.AddRange(start, endExclusive);
        return bitmap;
    }

    /// <summary>Adds <paramref name="value"/>.</summary>
    public void Add(uint value) => NativeMethods.Add(Handle, value);

    /// <summary>Adds <paramref name="value"/>; <see langword="true"/> when it was not present.</summary>
    public bool TryAdd(uint value) => NativeMethods.AddChecked(Handle, value);

    /// <summary>Adds every value of <paramref name="values"/> in one native call (fastest when sorted).</summary>
    public void AddMany(ReadOnlySpan<uint> values)
    {
        if (values.IsEmpty)
        {
            return;
        }

        fixed (uint* p = values)
        {
            NativeMethods.AddMany(Handle, (nuint)values.Length, p);
        }
    }

    /// <summary>Adds every value of <c>[start, endExclusive)</c>.</summary>
    public void AddRange(uint start, ulong endExclusive)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(endExclusive, (ulong)uint.MaxValue + 1);
        if (endExclusive > start)
        {
            NativeMethods.AddRangeClosed(Handle, start, (uint)(endExclusive - 1));
        }
    }

    /// <summary>Removes <paramref name="value"/>; <see langword="true"/> when it was present.</summary>
    public bool Remove(uint value) => NativeMethods.RemoveChecked(Handle, value);

    /// <summary>Whether <paramref name="value"/> is in the set.</summary>
    public bool Contains(uint value) => NativeMethods.Contains(Handle, value);

    /// <summary>Number of values in <c>[start, endExclusive)</c>.</summary>
    public long RangeCardinality(ulong start, ulong endExclusive) => (long)NativeMethods.RangeCardinality(Handle, start, endExclusive);

    /// <summary>A new bitmap with the same values.</summary>
    public RoaringBitmap Clone() => Wrap(NativeMethods.Copy(Handle), "roaring_bitmap_copy");

    /// <summary>A new bitmap: values in both.</summary>
    public RoaringBitmap And(RoaringBitmap other) => Wrap(NativeMethods.And(Handle, other.Handle), "roaring_bitmap_and");

    /// <summary>A new bitmap: values in either.</summary>
    public RoaringBitmap Or(RoaringBitmap other) => Wrap(NativeMethods.Or(Handle, other.Handle), "roaring_bitmap_or");

    /// <summary>A new bitmap: values in this one and not in <paramref name="other"/>.</summary>
    public RoaringBitmap AndNot(RoaringBitmap other) => Wrap(NativeMethods.AndNot(Handle, other.Handle), "roaring_bitmap_andnot");

    /// <summary>A new bitmap: values in exactly one of the two.</summary>
    public RoaringBitmap Xor(RoaringBitmap other) => Wrap(NativeMethods.Xor(Handle, other.Handle), "roaring_bitmap_xor");

    /// <summary>A new bitmap: the values of <c>[start, endExclusive)</c> that are not in this one (for <c>not</c> filters over row ids).</summary>
    public RoaringBitmap Complement(uint start, ulong endExclusive)
    {
        // roaring_bitmap_flip keeps the values outside the range, so build the range and subtract instead
        var result = FromRange(start, endExclusive);
        result.AndNotInPlace(this);
        return result;
    }

    /// <summary>Keeps only values also in <paramref name="other"/>.</summary>
    public void AndInPlace(RoaringBitmap other) => NativeMethods.AndInPlace(Handle, other.Handle);

    /// <summary>Adds the values of <paramref name="other"/>.</summary>
    public void OrInPlace(RoaringBitmap other) => NativeMethods.OrInPlace(Handle, other.Handle);

    /// <summary>Removes the values of <paramref name="other"/>.</summary>
    public void AndNotInPlace(RoaringBitmap other) => NativeMethods.AndNotInPlace(Handle, other.Handle);

    /// <summary>Keeps values in exactly one of the two.</summary>
    public void XorInPlace(RoaringBitmap other) => NativeMethods.XorInPlace(Handle, other.Handle);

    /// <summary>Size of the intersection, without building it.</summary>
    public long AndCardinality(RoaringBitmap other) => (long)NativeMethods.AndCardinality(Handle, other.Handle);

    /// <summary>Size of the union, without building it.</summary>
    public long OrCardinality(RoaringBitmap other) => (long)NativeMethods.OrCardinality(Handle, other.Handle);

    /// <summary>Size of the difference, without building it.</summary>
    public long AndNotCardinality(RoaringBitmap other) => (long)NativeMethods.AndNotCardinality(Handle, other.Handle);

    /// <summary>Whether the two share at least one value.</summary>
    public bool Intersects(RoaringBitmap other) => NativeMethods.Intersect(Handle, other.Handle);

    /// <summary>
    /// The union of all <paramref name="bitmaps"/> as a new bitmap. Uses CRoaring's heap-based union
    /// (<c>roaring_bitmap_or_many_heap</c>): <c>roaring_bitmap_or_many</c> is very slow on sparse inputs.
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

        var pointers = bitmaps.Count <= 256 ? stackalloc nint[bitmaps.Count] : new nint[bitmaps.Count];
        var added = 0;
        try
        {
            for (; added < bitmaps.Count; added++)
            {
                var handle = bitmaps[added].Handle;
                var ok = false;
                handle.DangerousAddRef(ref ok);
                pointers[added] = handle.DangerousGetHandle();
            }

            fixed (nint* p = pointers)
            {
                var result = NativeMethods.OrManyHeap((uint)bitmaps.Count, p);
                if (result == 0)
                {
                    throw new OutOfMemoryException("roaring_bitmap_or_many_heap returned NULL");
                }

                return new RoaringBitmap(new RoaringHandle(result));
            }
        }
        finally
        {
            for (var i = 0; i < added; i++)
            {
                bitmaps[i]._handle.DangerousRelease();
            }
        }
    }

    /// <summary>Converts containers to run-length encoding where that is smaller; <see langword="true"/> when any run container remains.</summary>
    public bool RunOptimize() => NativeMethods.RunOptimize(Handle);

    /// <summary>Releases spare capacity; returns the bytes saved.</summary>
    public long ShrinkToFit() => (long)NativeMethods.ShrinkToFit(Handle);

    /// <summary>Bytes that <see cref="Serialize(Span{byte})"/> writes.</summary>
    public int PortableSizeInBytes => checked((int)NativeMethods.PortableSizeInBytes(Handle));

    /// <summary>
    /// Approximate native memory held: container payloads plus per-container bookkeeping
    /// (key, type code, pointer and container header) and the bitmap header.
    /// </summary>
    public long MemoryUsage
    {
        get
        {
            RoaringStatistics stats;
            NativeMethods.Statistics(Handle, &stats);
            const int perContainer = 2 + 1 + 8 + 16;
            const int header = 48;
            return header + ((long)stats.Containers * perContainer) + stats.BytesArrayContainers + stats.BytesRunContainers + stats.BytesBitsetContainers;
        }
    }

    /// <summary>Writes the portable (Java/Go compatible) format; returns the bytes written.</summary>
    public int Serialize(Span<byte> destination)
    {
        var handle = Handle;
        var size = checked((int)NativeMethods.PortableSizeInBytes(handle));
        if (destination.Length < size)
        {
            throw new ArgumentException($"destination holds {destination.Length} bytes; the bitmap needs {size}", nameof(destination));
        }

        fixed (byte* p = destination)
        {
            return checked((int)NativeMethods.PortableSerialize(handle, p));
        }
    }

    /// <summary>The portable (Java/Go compatible) format as a new array.</summary>
    public byte[] Serialize()
    {
        var bytes = new byte[PortableSizeInBytes];
        Serialize(bytes);
        return bytes;
    }

    /// <summary>
    /// Reads a bitmap in the portable format that fills <paramref name="source"/> exactly. The bytes are
    /// validated in managed code first (<see cref="RoaringFormat.Validate"/>), then read with
    /// <c>roaring_bitmap_portable_deserialize_safe</c>, which never reads past the span.
    /// </summary>
    /// <exception cref="RoaringFormatException">The bytes are not a well-formed bitmap; the message names the offset.</exception>
    public static RoaringBitmap Deserialize(ReadOnlySpan<byte> source)
    {
        var length = RoaringFormat.Validate(source);
        if (length != source.Length)
        {
            throw new RoaringFormatException($"{source.Length - length} trailing bytes after a {length}-byte bitmap", length);
        }

        return DeserializeValidated(source, length);
    }

    /// <summary>Reads one bitmap from the start of <paramref name="source"/>; <paramref name="bytesRead"/> is its length.</summary>
    /// <exception cref="RoaringFormatException">The bytes are not a well-formed bitmap; the message names the offset.</exception>
    public static RoaringBitmap Deserialize(ReadOnlySpan<byte> source, out int bytesRead)
    {
        bytesRead = RoaringFormat.Validate(source);
        return DeserializeValidated(source, bytesRead);
    }

    private static RoaringBitmap DeserializeValidated(ReadOnlySpan<byte> source, int length)
    {
        fixed (byte* p = source)
        {
            var handle = NativeMethods.PortableDeserializeSafe(p, (nuint)length);
            if (handle.IsInvalid)
            {
                handle.Dispose();
                throw new RoaringFormatException("CRoaring rejected the bitmap (roaring_bitmap_portable_deserialize_safe returned NULL)", 0);
            }

            return new RoaringBitmap(handle.Track());
        }
    }

    /// <summary>Copies every value, ascending, into a new array.</summary>
    public uint[] ToArray()
    {
        var handle = Handle;
        var values = new uint[checked((int)NativeMethods.Cardinality(handle))];
        if (values.Length > 0)
        {
            fixed (uint* p = values)
            {
                NativeMethods.ToUInt32Array(handle, p);
            }
        }

        return values;
    }

    /// <summary>A batch iterator over the values, ascending; dispose it before this bitmap.</summary>
    public RoaringBatchIterator GetBatchIterator() => new(Handle);

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
    public bool Equals(RoaringBitmap? other) => other is not null && (ReferenceEquals(this, other) || NativeMethods.BitmapEquals(Handle, other.Handle));

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as RoaringBitmap);

    /// <summary>Hash of the cardinality and bounds (cheap; equal bitmaps hash equally).</summary>
    public override int GetHashCode() => HashCode.Combine(Cardinality, Minimum, Maximum);

    /// <summary>Frees the native bitmap.</summary>
    public void Dispose() => _handle.Dispose();

    private static RoaringBitmap Wrap(RoaringHandle handle, string function) => new(Track(handle, function));

    private static RoaringHandle Track(RoaringHandle handle, string function)
    {
        if (handle.IsInvalid)
        {
            handle.Dispose();
            throw new OutOfMemoryException($"{function} returned NULL");
        }

        return handle.Track();
    }
}
