namespace Tributary.Query;

/// <summary>
/// A half-open time interval [<see cref="Start"/>, <see cref="End"/>) in UTC milliseconds, as Druid's intervals
/// are. Parsed from <c>start/end</c>, <c>start/PERIOD</c> or <c>PERIOD/end</c>.
/// </summary>
public readonly record struct Interval(long Start, long End)
{
    /// <summary>Druid's <c>ETERNITY</c>: every instant Druid can represent.</summary>
    public static readonly Interval Eternity = new(IsoTime.MinInstant, IsoTime.MaxInstant);

    /// <summary>True if <paramref name="millis"/> lies in the interval.</summary>
    public bool Contains(long millis) => millis >= Start && millis < End;

    /// <summary>True if the interval shares at least one instant with [<paramref name="start"/>, <paramref name="end"/>).</summary>
    public bool Overlaps(long start, long end) => start < End && Start < end;

    /// <summary>Parses <c>start/end</c>, <c>start/PERIOD</c> or <c>PERIOD/end</c>; errors name <paramref name="path"/>.</summary>
    public static Interval Parse(string text, string path)
    {
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0 || slash == text.Length - 1 || text.IndexOf('/', slash + 1) >= 0)
        {
            throw new QueryValidationException(path, $"'{text}' is not an ISO-8601 interval 'start/end' (e.g. 2026-11-23T00:00Z/2026-11-24T00:00Z or 2026-11-23T00:00Z/PT1H)");
        }

        var left = text[..slash];
        var right = text[(slash + 1)..];
        long start;
        long end;
        if (left.StartsWith('P'))
        {
            if (right.StartsWith('P'))
            {
                throw new QueryValidationException(path, $"'{text}' has a period on both sides");
            }

            end = IsoTime.Parse(right, path);
            start = SubtractPeriod(end, Period.Parse(left, path), path);
        }
        else
        {
            start = IsoTime.Parse(left, path);
            end = right.StartsWith('P') ? AddPeriod(start, Period.Parse(right, path), path) : IsoTime.Parse(right, path);
        }

        if (end < start)
        {
            throw new QueryValidationException(path, $"'{text}' ends before it starts");
        }

        return new Interval(start, end);
    }

    /// <summary>Sorts intervals and merges overlapping or abutting ones (Druid's condensing).</summary>
    public static IReadOnlyList<Interval> Condense(IEnumerable<Interval> intervals)
    {
        var sorted = intervals.Where(i => i.End > i.Start).OrderBy(i => i.Start).ToList();
        var result = new List<Interval>(sorted.Count);
        foreach (var interval in sorted)
        {
            if (result.Count > 0 && interval.Start <= result[^1].End)
            {
                result[^1] = result[^1] with { End = Math.Max(result[^1].End, interval.End) };
            }
            else
            {
                result.Add(interval);
            }
        }

        return result;
    }

    /// <inheritdoc />
    public override string ToString() => $"{IsoTime.Format(Start)}/{IsoTime.Format(End)}";

    private static long AddPeriod(long start, Period period, string path)
    {
        try
        {
            return Math.Min(period.AddTo(start), IsoTime.MaxInstant);
        }
        catch (OverflowException)
        {
            throw new QueryValidationException(path, "the period runs past the end of time");
        }
    }

    private static long SubtractPeriod(long end, Period period, string path)
    {
        try
        {
            return Math.Max(period.AddTo(end, -1), IsoTime.MinInstant);
        }
        catch (OverflowException)
        {
            throw new QueryValidationException(path, "the period runs past the start of time");
        }
    }
}
