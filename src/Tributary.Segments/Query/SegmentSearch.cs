using System.Buffers;
using Tributary.Query;

namespace Tributary.Segments.Query;

/// <summary>
/// The search query over one segment. A dictionary dimension's values are tested once each; with granularity
/// <c>all</c> a matching value's count is the cardinality of its bitmap and the filter's (CRoaring's and-cardinality,
/// no row is visited), otherwise the matching rows are walked once and counted per bucket by dictionary id.
/// <c>__time</c> and metric columns (searched only when named) are read row by row.
/// </summary>
internal static class SegmentSearch
{
    private const int BatchSize = 4096;

    public static SearchPartial Execute(ISegment segment, SearchQuery query, RowSet rows, QueryLimits limits, string id, CancellationToken cancellationToken)
    {
        var partial = new SearchPartial { SegmentId = id };
        if (rows.IsEmpty(segment.RowCount))
        {
            return partial;
        }

        var minTime = MinTime(segment, rows, cancellationToken);
        foreach (var dimension in query.DimensionsOf(segment.Spec.Dimensions.Select(d => d.Name)))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (segment.GetDimension(dimension.Dimension) is { } column)
            {
                SearchDictionary(segment, query, rows, column, dimension.OutputName, minTime, partial, cancellationToken);
            }
            else if (ColumnReader.Create(segment, dimension.Dimension) is { } reader)
            {
                ForEachRow(segment, rows, cancellationToken, row =>
                {
                    var value = StringComparers.ToDimensionString(reader.Get(row));
                    if (value is not null && query.Query.Accepts(value))
                    {
                        partial.Add(query.Granularity, segment.GetTimestamp(row), new SearchHitKey(dimension.OutputName, value), 1);
                    }
                });
            }
        }

        // the "all" bucket's time is the earliest matching row's, hit or not, as for the aggregating queries
        partial.MinTimestamp = minTime;
        limits.CheckBuckets(partial.Buckets.Count);
        return partial;
    }

    private static void SearchDictionary(ISegment segment, SearchQuery query, RowSet rows, IDimensionColumn column, string outputName, long minTime, SearchPartial partial, CancellationToken cancellationToken)
    {
        var matches = new bool[column.Cardinality];
        var any = false;
        for (var value = 0; value < column.Cardinality; value++)
        {
            if (column.GetValue(value) is { } text && query.Query.Accepts(text))
            {
                matches[value] = any = true;
            }
        }

        if (!any)
        {
            return;
        }

        if (query.Granularity.IsAll)
        {
            for (var value = 0; value < matches.Length; value++)
            {
                if (!matches[value])
                {
                    continue;
                }

                var bitmap = column.GetRows(value);
                var count = rows.IsAll ? bitmap.Cardinality : rows.Bitmap!.AndCardinality(bitmap);
                if (count > 0)
                {
                    partial.Add(query.Granularity, minTime, new SearchHitKey(outputName, column.GetValue(value)!), count);
                }
            }

            return;
        }

        // per bucket, counts by dictionary id; a hit is created only for ids that occur
        var counts = new Dictionary<long, long[]>();
        var times = new Dictionary<long, long>();
        ForEachRow(segment, rows, cancellationToken, row =>
        {
            var value = column.GetId(row);
            if (!matches[value])
            {
                return;
            }

            var time = segment.GetTimestamp(row);
            var bucket = query.Granularity.Truncate(time);
            if (!counts.TryGetValue(bucket, out var perId))
            {
                perId = new long[matches.Length];
                counts[bucket] = perId;
                times[bucket] = time;
            }

            perId[value]++;
            if (time < times[bucket])
            {
                times[bucket] = time;
            }
        });
        foreach (var (bucket, perId) in counts)
        {
            for (var value = 0; value < perId.Length; value++)
            {
                if (perId[value] > 0)
                {
                    partial.Add(query.Granularity, times[bucket], new SearchHitKey(outputName, column.GetValue(value)!), perId[value]);
                }
            }
        }
    }

    private static long MinTime(ISegment segment, RowSet rows, CancellationToken cancellationToken)
    {
        if (rows.IsAll)
        {
            return segment.MinTimestampMs;
        }

        if (segment is SealedSegment)
        {
            return segment.GetTimestamp((int)rows.Bitmap!.Minimum);
        }

        var min = long.MaxValue;
        ForEachRow(segment, rows, cancellationToken, row => min = Math.Min(min, segment.GetTimestamp(row)));
        return min;
    }

    private static void ForEachRow(ISegment segment, RowSet rows, CancellationToken cancellationToken, Action<int> action)
    {
        using var cursor = new RowCursor(rows, segment.RowCount);
        var buffer = ArrayPool<uint>.Shared.Rent(BatchSize);
        try
        {
            int n;
            while ((n = cursor.Read(buffer.AsSpan(0, BatchSize))) > 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
                foreach (var row in buffer.AsSpan(0, n))
                {
                    action((int)row);
                }
            }
        }
        finally
        {
            ArrayPool<uint>.Shared.Return(buffer);
        }
    }
}
