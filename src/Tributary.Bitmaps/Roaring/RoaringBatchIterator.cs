using System.Runtime.InteropServices;

namespace Tributary.Bitmaps.Roaring;

/// <summary>
/// Reads a bitmap's values in ascending batches (<c>roaring_read_uint32_iterator</c>), the cheap way to walk
/// large row-id sets. Holds a reference on the bitmap's handle until disposed (or finalized), so the bitmap's
/// native memory cannot be freed under the iterator.
/// </summary>
/// <remarks>Not thread-safe; the bitmap must not be mutated while iterating.</remarks>
public sealed unsafe class RoaringBatchIterator : IDisposable
{
    private readonly IteratorHandle _iterator;

    internal RoaringBatchIterator(RoaringHandle bitmap) => _iterator = IteratorHandle.Create(bitmap);

    /// <summary>Fills <paramref name="destination"/> with the next values; returns how many (0 at the end).</summary>
    public int Read(Span<uint> destination)
    {
        ObjectDisposedException.ThrowIf(_iterator.IsClosed, this);
        if (destination.IsEmpty)
        {
            return 0;
        }

        fixed (uint* p = destination)
        {
            var read = (int)NativeMethods.ReadIterator(_iterator.DangerousGetHandle(), p, (uint)destination.Length);
            GC.KeepAlive(_iterator);
            return read;
        }
    }

    /// <summary>Positions the iterator at the first value &gt;= <paramref name="value"/>; <see langword="false"/> when there is none.</summary>
    public bool MoveToEqualOrLarger(uint value)
    {
        ObjectDisposedException.ThrowIf(_iterator.IsClosed, this);
        var moved = NativeMethods.MoveIteratorEqualOrLarger(_iterator.DangerousGetHandle(), value);
        GC.KeepAlive(_iterator);
        return moved;
    }

    /// <summary>Frees the native iterator and releases the bitmap.</summary>
    public void Dispose() => _iterator.Dispose();

    /// <summary>Owns the native iterator and the reference it holds on its bitmap's handle.</summary>
    private sealed class IteratorHandle : SafeHandle
    {
        private RoaringHandle? _bitmap;

        private IteratorHandle()
            : base(0, ownsHandle: true)
        {
        }

        public override bool IsInvalid => handle == 0;

        public static IteratorHandle Create(RoaringHandle bitmap)
        {
            var iterator = new IteratorHandle();
            var added = false;
            bitmap.DangerousAddRef(ref added);
            var pointer = NativeMethods.CreateIterator(bitmap);
            if (pointer == 0)
            {
                bitmap.DangerousRelease();
                throw new OutOfMemoryException("roaring_create_iterator returned NULL");
            }

            iterator._bitmap = bitmap;
            iterator.SetHandle(pointer);
            return iterator;
        }

        protected override bool ReleaseHandle()
        {
            NativeMethods.FreeIterator(handle);
            _bitmap?.DangerousRelease();
            _bitmap = null;
            return true;
        }
    }
}
