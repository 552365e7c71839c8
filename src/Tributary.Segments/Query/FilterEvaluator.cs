using Tributary.Bitmaps.Roaring;
using Tributary.Query;
using SchemaDimensionType = Tributary.Segments.Schema.DimensionType;

namespace Tributary.Segments.Query;

/// <summary>
/// Turns a query's filter and intervals into the bitmap of matching rows. Leaf filters are decided once per
/// dictionary value, never per row: selector and in look values up in the dictionary and take their bitmaps;
/// bound, like and regex test each distinct value once (a lexicographic bound on a sorted dictionary binary-searches
/// an id range) and union the matching values' bitmaps with <see cref="RoaringBitmap.OrMany"/> (one
/// lazy CRoaring union). and/or/not are bitmap and/or/andnot against the set of all rows (two-valued logic, as Tributary.Query
/// documents).
/// </summary>
internal sealed class FilterEvaluator(ISegment segment)
{
    /// <summary>The rows matching both the intervals and the filter. The caller disposes the result.</summary>
    public RowSet Evaluate(NativeQuery query)
    {
        var rows = Intervals(query.Intervals);
        if (query.Filter is null || rows.IsEmpty(segment.RowCount))
        {
            return rows;
        }

        return RowSet.And(rows, Evaluate(query.Filter));
    }

    /// <summary>The rows whose (truncated) time lies in one of <paramref name="intervals"/>.</summary>
    public RowSet Intervals(IReadOnlyList<Interval> intervals)
    {
        if (segment.RowCount == 0)
        {
            return RowSet.Empty();
        }

        var min = segment.MinTimestampMs;
        var max = segment.MaxTimestampMs;
        List<Interval>? partial = null;
        foreach (var interval in intervals)
        {
            if (interval.Start <= min && interval.End > max)
            {
                return RowSet.All;
            }

            if (interval.Overlaps(min, max + 1))
            {
                (partial ??= []).Add(interval);
            }
        }

        if (partial is null)
        {
            return RowSet.Empty();
        }

        var result = segment.RowsInInterval(partial[0].Start, partial[0].End);
        for (var i = 1; i < partial.Count; i++)
        {
            using var more = segment.RowsInInterval(partial[i].Start, partial[i].End);
            result.OrInPlace(more);
        }

        return RowSet.Own(result);
    }

    public RowSet Evaluate(Filter filter)
    {
        switch (filter)
        {
            case AndFilter and:
            {
                var result = RowSet.All;
                foreach (var field in and.Fields)
                {
                    result = RowSet.And(result, Evaluate(field));
                    if (result.IsEmpty(segment.RowCount))
                    {
                        break;
                    }
                }

                return result;
            }

            case OrFilter or:
            {
                var parts = new List<RowSet>(or.Fields.Count);
                try
                {
                    foreach (var field in or.Fields)
                    {
                        var part = Evaluate(field);
                        if (part.IsAll)
                        {
                            return RowSet.All;
                        }

                        parts.Add(part);
                    }

                    return parts.Count == 1 ? Take(parts) : RowSet.Own(RoaringBitmap.OrMany([.. parts.Select(p => p.Bitmap!)]));
                }
                finally
                {
                    parts.ForEach(p => p.Dispose());
                }
            }

            case NotFilter not:
            {
                using var inner = Evaluate(not.Field);
                if (inner.IsAll)
                {
                    return RowSet.Empty();
                }

                var all = segment.AllRows();
                all.AndNotInPlace(inner.Bitmap!);
                return RowSet.Own(all);
            }

            case TrueFilter:
                return RowSet.All;

            case FalseFilter:
                return RowSet.Empty();

            case DimensionFilter leaf:
                return Leaf(leaf);

            default:
                throw new ArgumentException($"unsupported filter {filter.GetType().Name}", nameof(filter));
        }
    }

    /// <summary>Moves the single element out of <paramref name="parts"/> so the finally block does not dispose it.</summary>
    private static RowSet Take(List<RowSet> parts)
    {
        var only = parts[0];
        parts.Clear();
        return only;
    }

    private RowSet Leaf(DimensionFilter filter)
    {
        if (filter.Dimension == Row.TimeColumn && TimeIntervals(filter) is { } intervals)
        {
            // interval and numeric range filters on __time are answered from the time index, like query intervals
            return intervals.Count == 0 ? RowSet.Empty() : Intervals(intervals);
        }

        var column = segment.GetDimension(filter.Dimension);
        if (segment is VirtualColumnSegment view && view.Find(filter.Dimension) is { } virtualColumn && view.TryDictionary(virtualColumn, out var source, out var values))
        {
            // a virtual column of one dictionary dimension: the filter runs once per value of that dimension
            var ids = Enumerable.Range(0, values.Length).Where(id => filter.Accepts(values[id])).ToList();
            return ids.Count == 0 ? RowSet.Empty() : RowSet.Own(source.SelectIds(ids));
        }

        if (column is null)
        {
            // __time or a metric: no dictionary, so test each row's value (rare: Druid users filter dimensions)
            var reader = ColumnReader.Create(segment, filter.Dimension);
            return reader is null ? (filter.Accepts(null) ? RowSet.All : RowSet.Empty()) : PerRow(filter, reader);
        }

        if (filter.ExtractionFn is not null)
        {
            // the extraction function and the filter run once per distinct value, never per row
            return RowSet.Own(column.Select(filter.Accepts));
        }

        switch (filter)
        {
            case SelectorFilter selector:
            {
                var id = Lookup(column, selector.Value);
                return id < 0 ? RowSet.Empty() : RowSet.Borrow(column.GetRows(id));
            }

            case InFilter inFilter:
            {
                var ids = new HashSet<int>();
                foreach (var value in inFilter.Values)
                {
                    var id = Lookup(column, value);
                    if (id >= 0)
                    {
                        ids.Add(id);
                    }
                }

                return ids.Count switch
                {
                    0 => RowSet.Empty(),
                    1 => RowSet.Borrow(column.GetRows(ids.First())),
                    _ => RowSet.Own(column.SelectIds(ids)),
                };
            }

            case BoundFilter { Ordering: StringOrdering.Lexicographic } bound when column.IsSorted && column.Spec.Type == SchemaDimensionType.String:
            {
                var (from, to) = LexicographicRange(column, bound.Lower, bound.LowerStrict, bound.Upper, bound.UpperStrict);
                return from >= to ? RowSet.Empty() : RowSet.Own(column.SelectIdRange(from, to));
            }

            case RangeFilter { MatchValueType: RangeMatchType.String } range when column.IsSorted && column.Spec.Type == SchemaDimensionType.String:
            {
                var (from, to) = LexicographicRange(column, range.Lower, range.LowerOpen, range.Upper, range.UpperOpen);
                return from >= to ? RowSet.Empty() : RowSet.Own(column.SelectIdRange(from, to));
            }

            default:
                // the filter runs once per distinct value; the column unions (sealed) or scans (open) the matches
                return RowSet.Own(column.Select(filter.Matches));
        }
    }

    /// <summary>The id of <paramref name="value"/>, or -1. Long dictionaries parse text, so "07" must not find 7.</summary>
    internal static int Lookup(IDimensionColumn column, string? value)
    {
        var id = column.IndexOf(value);
        if (id >= 0 && value is not null && column.Spec.Type == SchemaDimensionType.Long && !string.Equals(column.GetValue(id), value, StringComparison.Ordinal))
        {
            return -1;
        }

        return id;
    }

    /// <summary>[from, to) ids of a sorted string dictionary (null first, then UTF-8 byte order) inside the bounds.</summary>
    private static (int From, int To) LexicographicRange(IDimensionColumn column, string? lower, bool lowerStrict, string? upper, bool upperStrict)
    {
        var first = column.Cardinality > 0 && column.GetValue(0) is null ? 1 : 0;
        var from = lower is not null
            ? FirstId(column, first, v => StringComparers.CompareLexicographic(v, lower) is var c && (lowerStrict ? c > 0 : c >= 0))
            : first;
        var to = upper is not null
            ? FirstId(column, first, v => StringComparers.CompareLexicographic(v, upper) is var c && (upperStrict ? c >= 0 : c > 0))
            : column.Cardinality;
        return (from, to);
    }

    /// <summary>
    /// The half-open millisecond intervals an interval filter, or a numeric range filter, on <c>__time</c> selects;
    /// null for other filters. A fractional numeric bound is compared as Druid casts it (truncated for LONG).
    /// </summary>
    internal static IReadOnlyList<Interval>? TimeIntervals(DimensionFilter filter)
    {
        switch (filter)
        {
            case IntervalFilter interval:
                return interval.Intervals;
            case RangeFilter { MatchValueType: RangeMatchType.Long } range:
            {
                var start = range.Lower is { } l && StringComparers.TryParseNumber(l, out var lo) ? Bound(lo, range.LowerOpen) : long.MinValue;
                var end = range.Upper is { } u && StringComparers.TryParseNumber(u, out var hi) ? Bound(hi, !range.UpperOpen) : long.MaxValue;
                return start < end ? [new Interval(start, end)] : [];
            }

            default:
                return null;
        }

        // the first whole millisecond t with t > x (open) or t >= x (closed)
        static long Bound(double x, bool open)
        {
            if (x >= long.MaxValue)
            {
                return long.MaxValue;
            }

            if (x <= long.MinValue)
            {
                return long.MinValue;
            }

            var t = Math.Floor(x);
            return (long)t + (open || t < x ? 1 : 0);
        }
    }

    /// <summary>The first id in [first, cardinality) whose value passes the monotone test, or cardinality.</summary>
    private static int FirstId(IDimensionColumn column, int first, Func<string, bool> passes)
    {
        int low = first, high = column.Cardinality;
        while (low < high)
        {
            var mid = (low + high) >>> 1;
            if (passes(column.GetValue(mid)!))
            {
                high = mid;
            }
            else
            {
                low = mid + 1;
            }
        }

        return low;
    }

    private RowSet PerRow(DimensionFilter filter, ColumnReader reader)
    {
        var result = new RoaringBitmap();
        Span<uint> batch = stackalloc uint[256];
        var n = 0;
        // runs of equal values (a time-sorted __time, a minute of rolled-up rows) are tested once: with an extraction
        // function such as timeFormat the test is far dearer than the comparison
        object? last = null;
        var lastMatched = false;
        var hasLast = false;
        for (var row = 0; row < segment.RowCount; row++)
        {
            var value = reader.Get(row);
            if (!hasLast || !Equals(value, last))
            {
                (last, lastMatched, hasLast) = (value, filter.Accepts(StringComparers.ToDimensionString(value)), true);
            }

            if (lastMatched)
            {
                batch[n++] = (uint)row;
                if (n == batch.Length)
                {
                    result.AddMany(batch);
                    n = 0;
                }
            }
        }

        result.AddMany(batch[..n]);
        return RowSet.Own(result);
    }
}
