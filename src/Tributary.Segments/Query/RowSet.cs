using Tributary.Bitmaps.Roaring;

namespace Tributary.Segments.Query;

/// <summary>
/// A set of row ids during filter evaluation: every row (no bitmap, so unfiltered queries never materialise one),
/// a bitmap the evaluator owns, or a segment's borrowed value bitmap (a selector answered without copying).
/// </summary>
internal readonly struct RowSet : IDisposable
{
    private RowSet(RoaringBitmap? bitmap, bool owned)
    {
        Bitmap = bitmap;
        Owned = owned;
    }

    /// <summary>Every row of the segment.</summary>
    public static RowSet All => default;

    /// <summary>The rows, or null for every row.</summary>
    public RoaringBitmap? Bitmap { get; }

    /// <summary>Whether <see cref="Bitmap"/> is ours to mutate and dispose.</summary>
    public bool Owned { get; }

    public bool IsAll => Bitmap is null;

    public static RowSet Empty() => new(new RoaringBitmap(), true);

    public static RowSet Own(RoaringBitmap bitmap) => new(bitmap, true);

    public static RowSet Borrow(RoaringBitmap bitmap) => new(bitmap, false);

    /// <summary>Rows in the set, given the segment's row count.</summary>
    public long Count(int rowCount) => Bitmap?.Cardinality ?? rowCount;

    public bool IsEmpty(int rowCount) => Bitmap is { } b ? b.IsEmpty : rowCount == 0;

    /// <summary>The intersection; consumes both operands.</summary>
    public static RowSet And(RowSet a, RowSet b)
    {
        if (a.IsAll)
        {
            return b;
        }

        if (b.IsAll)
        {
            return a;
        }

        if (a.Owned)
        {
            a.Bitmap!.AndInPlace(b.Bitmap!);
            b.Dispose();
            return a;
        }

        if (b.Owned)
        {
            b.Bitmap!.AndInPlace(a.Bitmap!);
            return b;
        }

        return Own(a.Bitmap!.And(b.Bitmap!));
    }

    public void Dispose()
    {
        if (Owned)
        {
            Bitmap!.Dispose();
        }
    }
}
