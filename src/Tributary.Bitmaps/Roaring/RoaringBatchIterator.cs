namespace Tributary.Bitmaps.Roaring;

/// <summary>
/// Reads a bitmap's values in ascending batches (<c>roaring_read_uint32_iterator</c>), the cheap way to walk
/// large row-id sets. Keeps the bitmap's handle referenced until disposed, so the bitmap cannot be freed under it.
/// </summary>
public sealed unsafe class RoaringBatchIterator : IDisposable
{
    private readonly RoaringBitmap _owner;
    private readonly RoaringHandle _handle;
    private nint _iterator;
    private bool _addedRef;

    internal RoaringBatchIterator(RoaringBitmap owner, RoaringHandle handle)
    {
        _owner = owner;
        _handle = handle;
        handle.DangerousAddRef(ref _addedRef);
        _iterator = NativeMethods.CreateIterator(handle);
        if (_iterator == 0)
        {
            handle.DangerousRelease();
            _addedRef = false;
            throw new OutOfMemoryException("roaring_create_iterator returned NULL");
        }
    }

    /// <summary>Fills <paramref name="destination"/> with the next values; returns how many (0 at the end).</summary>
    public int Read(Span<uint> destination)
    {
        ObjectDisposedException.ThrowIf(_iterator == 0, this);
        if (destination.IsEmpty)
        {
            return 0;
        }

        fixed (uint* p = destination)
        {
            return (int)NativeMethods.ReadIterator(_iterator, p, (uint)destination.Length);
        }
    }

    /// <summary>Positions the iterator at the first value &gt;= <paramref name="value"/>; <see langword="false"/> when there is none.</summary>
    public bool MoveToEqualOrLarger(uint value)
    {
        ObjectDisposedException.ThrowIf(_iterator == 0, this);
        return NativeMethods.MoveIteratorEqualOrLarger(_iterator, value);
    }

    /// <summary>Frees the native iterator and releases the bitmap.</summary>
    public void Dispose()
    {
        if (_iterator != 0)
        {
            NativeMethods.FreeIterator(_iterator);
            _iterator = 0;
        }

        if (_addedRef)
        {
            _addedRef = false;
            _handle.DangerousRelease();
        }

        GC.KeepAlive(_owner);
    }
}
