using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Roaring.Net.CRoaring;

namespace Tributary.Bitmaps.Roaring;

/// <summary>
/// Reads a bitmap's values in ascending batches (<c>roaring_uint32_iterator_read</c>), the cheap way to walk
/// large row-id sets. Roaring.Net enumerates one value per native call, so this binds CRoaring's batch read
/// itself, against the same native library that Roaring.Net loaded. It holds a reference on the bitmap's
/// SafeHandle until disposed (or finalized), so the bitmap's native memory cannot be freed under the iterator.
/// </summary>
/// <remarks>Not thread-safe; the bitmap must not be mutated while iterating.</remarks>
public sealed class RoaringBatchIterator : IDisposable
{
    private readonly IteratorHandle _iterator;

    internal RoaringBatchIterator(Roaring32Bitmap bitmap) => _iterator = IteratorHandle.Create(RoaringNative.BitmapHandle(bitmap));

    /// <summary>Fills <paramref name="destination"/> with the next values; returns how many (0 at the end).</summary>
    public unsafe int Read(Span<uint> destination)
    {
        ObjectDisposedException.ThrowIf(_iterator.IsClosed, this);
        if (destination.IsEmpty)
        {
            return 0;
        }

        fixed (uint* p = destination)
        {
            var read = (int)RoaringNative.IteratorRead(_iterator.DangerousGetHandle(), p, (uint)destination.Length);
            GC.KeepAlive(_iterator);
            return read;
        }
    }

    /// <summary>Positions the iterator at the first value &gt;= <paramref name="value"/>; <see langword="false"/> when there is none.</summary>
    public bool MoveToEqualOrLarger(uint value)
    {
        ObjectDisposedException.ThrowIf(_iterator.IsClosed, this);
        var moved = RoaringNative.IteratorMoveEqualOrLarger(_iterator.DangerousGetHandle(), value);
        GC.KeepAlive(_iterator);
        return moved;
    }

    /// <summary>Frees the native iterator and releases the bitmap.</summary>
    public void Dispose() => _iterator.Dispose();

    /// <summary>Owns the native iterator and the reference it holds on its bitmap's handle.</summary>
    private sealed class IteratorHandle : SafeHandle
    {
        private SafeHandle? _bitmap;

        private IteratorHandle()
            : base(0, ownsHandle: true)
        {
        }

        public override bool IsInvalid => handle == 0;

        public static IteratorHandle Create(SafeHandle bitmap)
        {
            var iterator = new IteratorHandle();
            var added = false;
            bitmap.DangerousAddRef(ref added);
            var pointer = RoaringNative.IteratorCreate(bitmap.DangerousGetHandle());
            if (pointer == 0)
            {
                bitmap.DangerousRelease();
                throw new OutOfMemoryException("roaring_iterator_create returned NULL");
            }

            iterator._bitmap = bitmap;
            iterator.SetHandle(pointer);
            return iterator;
        }

        protected override bool ReleaseHandle()
        {
            RoaringNative.IteratorFree(handle);
            _bitmap?.DangerousRelease();
            _bitmap = null;
            return true;
        }
    }
}

/// <summary>
/// The few CRoaring functions that Roaring.Net does not wrap (batch iteration), bound to the library that
/// Roaring.Net itself loads from its NuGet runtime folder.
/// </summary>
internal static unsafe partial class RoaringNative
{
    private const string LibraryName = "roaring";

    static RoaringNative()
    {
        NativeLibrary.SetDllImportResolver(typeof(RoaringNative).Assembly, Resolve);
    }

    /// <summary>The SafeHandle that Roaring.Net keeps a bitmap's native pointer in (internal to Roaring.Net).</summary>
    internal static SafeHandle BitmapHandle(Roaring32BitmapBase bitmap) => (SafeHandle)GetHandle(bitmap);

    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "get_Handle")]
    [return: UnsafeAccessorType("Roaring.Net.CRoaring.SafeRoaring32BitmapHandle, Roaring.Net")]
    private static extern object GetHandle(Roaring32BitmapBase bitmap);

    private static nint Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath)
    {
        // Roaring.Net's assembly probes its runtimes/<rid>/native folder (deps.json); loading through it yields the
        // very library instance Roaring.Net uses, so pointers from one are valid in the other.
        return libraryName == LibraryName ? NativeLibrary.Load(LibraryName, typeof(Roaring32Bitmap).Assembly, null) : 0;
    }

    [LibraryImport(LibraryName, EntryPoint = "roaring_iterator_create")]
    internal static partial nint IteratorCreate(nint bitmap);

    [LibraryImport(LibraryName, EntryPoint = "roaring_uint32_iterator_read")]
    internal static partial uint IteratorRead(nint iterator, uint* buffer, uint count);

    [LibraryImport(LibraryName, EntryPoint = "roaring_uint32_iterator_move_equalorlarger")]
    [return: MarshalAs(UnmanagedType.U1)]
    internal static partial bool IteratorMoveEqualOrLarger(nint iterator, uint value);

    [LibraryImport(LibraryName, EntryPoint = "roaring_uint32_iterator_free")]
    internal static partial void IteratorFree(nint iterator);
}
