using Tributary.Bitmaps.Roaring;

namespace Tributary.Segments.Query;

/// <summary>Reads the row ids of a <see cref="RowSet"/> in ascending batches (CRoaring batch iteration, or a plain count for every row).</summary>
internal sealed class RowCursor : IDisposable
{
    private readonly RoaringBatchIterator? _iterator;
    private readonly int _rowCount;
    private int _next;

    public RowCursor(RowSet rows, int rowCount)
    {
        _iterator = rows.Bitmap?.GetBatchIterator();
        _rowCount = rowCount;
    }

    /// <summary>Fills <paramref name="destination"/> with the next row ids; 0 at the end.</summary>
    public int Read(Span<uint> destination)
    {
        if (_iterator is not null)
        {
            return _iterator.Read(destination);
        }

        var n = Math.Min(destination.Length, _rowCount - _next);
        for (var i = 0; i < n; i++)
        {
            destination[i] = (uint)(_next + i);
        }

        _next += n;
        return n;
    }

    public void Dispose() => _iterator?.Dispose();
}
