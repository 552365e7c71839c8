using System.Runtime.InteropServices;

namespace Tributary.Bitmaps.Roaring;

/// <summary>
/// Owns one native <c>roaring_bitmap_t*</c>; <see cref="ReleaseHandle"/> frees it exactly once, even when the
/// owner is never disposed (finalizer) or is disposed while a native call is in flight (SafeHandle ref counting).
/// </summary>
internal sealed class RoaringHandle : SafeHandle
{
    private static long _live;

    /// <summary>Called by the [LibraryImport] marshaller for returned handles.</summary>
    public RoaringHandle()
        : base(0, ownsHandle: true)
    {
    }

    /// <summary>Wraps a pointer returned by a native call that the stubs return as a raw pointer.</summary>
    public RoaringHandle(nint pointer)
        : base(0, ownsHandle: true)
    {
        SetHandle(pointer);
        Track();
    }

    /// <summary>Native bitmaps allocated through this binding and not yet freed (process-wide).</summary>
    public static long Live => Interlocked.Read(ref _live);

    /// <inheritdoc />
    public override bool IsInvalid => handle == 0;

    /// <summary>Counts a handle that the marshaller created; call once after a successful native allocation.</summary>
    public RoaringHandle Track()
    {
        if (!IsInvalid)
        {
            Interlocked.Increment(ref _live);
        }

        return this;
    }

    /// <inheritdoc />
    protected override bool ReleaseHandle()
    {
        NativeMethods.Free(handle);
        Interlocked.Decrement(ref _live);
        return true;
    }
}
