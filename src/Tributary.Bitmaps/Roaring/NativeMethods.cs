using System.Reflection;
using System.Runtime.InteropServices;

namespace Tributary.Bitmaps.Roaring;

/// <summary>
/// P/Invoke surface of CRoaring 0.2.66 (Debian <c>libroaring0</c>, soname <c>libroaring.so.0</c>).
/// Only symbols that this version exports are bound; C <c>bool</c> is one byte.
/// </summary>
internal static unsafe partial class NativeMethods
{
    internal const string LibraryName = "roaring";

    /// <summary>The soname probed first; <see cref="LibraryName"/> is mapped to it by the resolver.</summary>
    internal const string SoName = "libroaring.so.0";

    static NativeMethods()
    {
        // The static constructor runs before the first stub is called, exactly once per process.
        NativeLibrary.SetDllImportResolver(typeof(NativeMethods).Assembly, Resolve);
    }

    private static nint Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (libraryName != LibraryName)
        {
            return 0;
        }

        foreach (var candidate in new[] { SoName, "libroaring.so", "roaring" })
        {
            if (NativeLibrary.TryLoad(candidate, assembly, searchPath, out var handle))
            {
                return handle;
            }
        }

        throw new DllNotFoundException(
            $"CRoaring was not found: tried '{SoName}', 'libroaring.so' and 'roaring'. Install the Debian package libroaring0 (apt-get install libroaring0).");
    }

    [LibraryImport(LibraryName, EntryPoint = "roaring_bitmap_create_with_capacity")]
    internal static partial RoaringHandle CreateWithCapacity(uint capacity);

    [LibraryImport(LibraryName, EntryPoint = "roaring_bitmap_free")]
    internal static partial void Free(nint bitmap);

    [LibraryImport(LibraryName, EntryPoint = "roaring_bitmap_copy")]
    internal static partial RoaringHandle Copy(RoaringHandle bitmap);

    [LibraryImport(LibraryName, EntryPoint = "roaring_bitmap_add")]
    internal static partial void Add(RoaringHandle bitmap, uint value);

    [LibraryImport(LibraryName, EntryPoint = "roaring_bitmap_add_checked")]
    [return: MarshalAs(UnmanagedType.U1)]
    internal static partial bool AddChecked(RoaringHandle bitmap, uint value);

    [LibraryImport(LibraryName, EntryPoint = "roaring_bitmap_add_many")]
    internal static partial void AddMany(RoaringHandle bitmap, nuint count, uint* values);

    [LibraryImport(LibraryName, EntryPoint = "roaring_bitmap_add_range_closed")]
    internal static partial void AddRangeClosed(RoaringHandle bitmap, uint min, uint max);

    [LibraryImport(LibraryName, EntryPoint = "roaring_bitmap_remove")]
    internal static partial void Remove(RoaringHandle bitmap, uint value);

    [LibraryImport(LibraryName, EntryPoint = "roaring_bitmap_remove_checked")]
    [return: MarshalAs(UnmanagedType.U1)]
    internal static partial bool RemoveChecked(RoaringHandle bitmap, uint value);

    [LibraryImport(LibraryName, EntryPoint = "roaring_bitmap_contains")]
    [return: MarshalAs(UnmanagedType.U1)]
    internal static partial bool Contains(RoaringHandle bitmap, uint value);

    [LibraryImport(LibraryName, EntryPoint = "roaring_bitmap_get_cardinality")]
    internal static partial ulong Cardinality(RoaringHandle bitmap);

    [LibraryImport(LibraryName, EntryPoint = "roaring_bitmap_range_cardinality")]
    internal static partial ulong RangeCardinality(RoaringHandle bitmap, ulong rangeStart, ulong rangeEnd);

    [LibraryImport(LibraryName, EntryPoint = "roaring_bitmap_is_empty")]
    [return: MarshalAs(UnmanagedType.U1)]
    internal static partial bool IsEmpty(RoaringHandle bitmap);

    [LibraryImport(LibraryName, EntryPoint = "roaring_bitmap_minimum")]
    internal static partial uint Minimum(RoaringHandle bitmap);

    [LibraryImport(LibraryName, EntryPoint = "roaring_bitmap_maximum")]
    internal static partial uint Maximum(RoaringHandle bitmap);

    [LibraryImport(LibraryName, EntryPoint = "roaring_bitmap_equals")]
    [return: MarshalAs(UnmanagedType.U1)]
    internal static partial bool BitmapEquals(RoaringHandle left, RoaringHandle right);

    [LibraryImport(LibraryName, EntryPoint = "roaring_bitmap_and")]
    internal static partial RoaringHandle And(RoaringHandle left, RoaringHandle right);

    [LibraryImport(LibraryName, EntryPoint = "roaring_bitmap_or")]
    internal static partial RoaringHandle Or(RoaringHandle left, RoaringHandle right);

    [LibraryImport(LibraryName, EntryPoint = "roaring_bitmap_andnot")]
    internal static partial RoaringHandle AndNot(RoaringHandle left, RoaringHandle right);

    [LibraryImport(LibraryName, EntryPoint = "roaring_bitmap_xor")]
    internal static partial RoaringHandle Xor(RoaringHandle left, RoaringHandle right);

    [LibraryImport(LibraryName, EntryPoint = "roaring_bitmap_and_inplace")]
    internal static partial void AndInPlace(RoaringHandle left, RoaringHandle right);

    [LibraryImport(LibraryName, EntryPoint = "roaring_bitmap_or_inplace")]
    internal static partial void OrInPlace(RoaringHandle left, RoaringHandle right);

    [LibraryImport(LibraryName, EntryPoint = "roaring_bitmap_andnot_inplace")]
    internal static partial void AndNotInPlace(RoaringHandle left, RoaringHandle right);

    [LibraryImport(LibraryName, EntryPoint = "roaring_bitmap_xor_inplace")]
    internal static partial void XorInPlace(RoaringHandle left, RoaringHandle right);

    [LibraryImport(LibraryName, EntryPoint = "roaring_bitmap_and_cardinality")]
    internal static partial ulong AndCardinality(RoaringHandle left, RoaringHandle right);

    [LibraryImport(LibraryName, EntryPoint = "roaring_bitmap_or_cardinality")]
    internal static partial ulong OrCardinality(RoaringHandle left, RoaringHandle right);

    [LibraryImport(LibraryName, EntryPoint = "roaring_bitmap_andnot_cardinality")]
    internal static partial ulong AndNotCardinality(RoaringHandle left, RoaringHandle right);

    [LibraryImport(LibraryName, EntryPoint = "roaring_bitmap_intersect")]
    [return: MarshalAs(UnmanagedType.U1)]
    internal static partial bool Intersect(RoaringHandle left, RoaringHandle right);

    [LibraryImport(LibraryName, EntryPoint = "roaring_bitmap_or_many_heap")]
    internal static partial nint OrManyHeap(uint count, nint* bitmaps);

    [LibraryImport(LibraryName, EntryPoint = "roaring_bitmap_run_optimize")]
    [return: MarshalAs(UnmanagedType.U1)]
    internal static partial bool RunOptimize(RoaringHandle bitmap);

    [LibraryImport(LibraryName, EntryPoint = "roaring_bitmap_shrink_to_fit")]
    internal static partial nuint ShrinkToFit(RoaringHandle bitmap);

    [LibraryImport(LibraryName, EntryPoint = "roaring_bitmap_to_uint32_array")]
    internal static partial void ToUInt32Array(RoaringHandle bitmap, uint* destination);

    [LibraryImport(LibraryName, EntryPoint = "roaring_bitmap_portable_size_in_bytes")]
    internal static partial nuint PortableSizeInBytes(RoaringHandle bitmap);

    [LibraryImport(LibraryName, EntryPoint = "roaring_bitmap_portable_serialize")]
    internal static partial nuint PortableSerialize(RoaringHandle bitmap, byte* destination);

    [LibraryImport(LibraryName, EntryPoint = "roaring_bitmap_portable_deserialize_size")]
    internal static partial nuint PortableDeserializeSize(byte* source, nuint maxBytes);

    [LibraryImport(LibraryName, EntryPoint = "roaring_bitmap_portable_deserialize_safe")]
    internal static partial RoaringHandle PortableDeserializeSafe(byte* source, nuint maxBytes);

    [LibraryImport(LibraryName, EntryPoint = "roaring_bitmap_statistics")]
    internal static partial void Statistics(RoaringHandle bitmap, RoaringStatistics* statistics);

    [LibraryImport(LibraryName, EntryPoint = "roaring_create_iterator")]
    internal static partial nint CreateIterator(RoaringHandle bitmap);

    [LibraryImport(LibraryName, EntryPoint = "roaring_read_uint32_iterator")]
    internal static partial uint ReadIterator(nint iterator, uint* buffer, uint count);

    [LibraryImport(LibraryName, EntryPoint = "roaring_move_uint32_iterator_equalorlarger")]
    [return: MarshalAs(UnmanagedType.U1)]
    internal static partial bool MoveIteratorEqualOrLarger(nint iterator, uint value);

    [LibraryImport(LibraryName, EntryPoint = "roaring_free_uint32_iterator")]
    internal static partial void FreeIterator(nint iterator);
}

/// <summary>Mirror of CRoaring's <c>roaring_statistics_t</c> (0.2.66 layout).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct RoaringStatistics
{
    public uint Containers;
    public uint ArrayContainers;
    public uint RunContainers;
    public uint BitsetContainers;
    public uint ValuesArrayContainers;
    public uint ValuesRunContainers;
    public uint ValuesBitsetContainers;
    public uint BytesArrayContainers;
    public uint BytesRunContainers;
    public uint BytesBitsetContainers;
    public uint MaxValue;
    public uint MinValue;
    public ulong SumValue;
    public ulong Cardinality;
}
