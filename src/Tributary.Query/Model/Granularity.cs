namespace Tributary.Query;

/// <summary>
/// How a query buckets time (Druid's query granularity). <see cref="Truncate"/> maps an instant to the start of
/// its bucket and <see cref="Next"/> gives the start of the following bucket.
/// </summary>
public abstract class Granularity
{
    /// <summary>One bucket for the whole query (<c>"all"</c>).</summary>
    public static readonly Granularity All = new AllGranularity();

    /// <summary>Millisecond buckets (<c>"none"</c>).</summary>
    public static readonly Granularity None = new NoneGranularity();

    /// <summary>The bucket key used for every row under <see cref="All"/>.</summary>
    public const long AllBucket = long.MinValue;

    /// <summary>True for <c>"all"</c>.</summary>
    public bool IsAll => ReferenceEquals(this, All);

    /// <summary>The start of the bucket holding <paramref name="millis"/>.</summary>
    public abstract long Truncate(long millis);

    /// <summary>The start of the bucket after the one starting at <paramref name="bucketStart"/>.</summary>
    public abstract long Next(long bucketStart);

    /// <summary>Maps a standard Druid granularity name (case-insensitive) to a granularity, or null.</summary>
    public static Granularity? FromName(string name)
    {
        return name.ToLowerInvariant() switch
        {
            "all" => All,
            "none" => None,
            "second" => new PeriodGranularity(new Period(0, 0, 0, 0, 0, 0, 1, 0), null, null),
            "minute" => new PeriodGranularity(new Period(0, 0, 0, 0, 0, 1, 0, 0), null, null),
            "five_minute" => new PeriodGranularity(new Period(0, 0, 0, 0, 0, 5, 0, 0), null, null),
            "ten_minute" => new PeriodGranularity(new Period(0, 0, 0, 0, 0, 10, 0, 0), null, null),
            "fifteen_minute" => new PeriodGranularity(new Period(0, 0, 0, 0, 0, 15, 0, 0), null, null),
            "thirty_minute" => new PeriodGranularity(new Period(0, 0, 0, 0, 0, 30, 0, 0), null, null),
            "hour" => new PeriodGranularity(new Period(0, 0, 0, 0, 1, 0, 0, 0), null, null),
            "six_hour" => new PeriodGranularity(new Period(0, 0, 0, 0, 6, 0, 0, 0), null, null),
            "eight_hour" => new PeriodGranularity(new Period(0, 0, 0, 0, 8, 0, 0, 0), null, null),
            "day" => new PeriodGranularity(new Period(0, 0, 0, 1, 0, 0, 0, 0), null, null),
            "week" => new PeriodGranularity(new Period(0, 0, 1, 0, 0, 0, 0, 0), null, null),
            "month" => new PeriodGranularity(new Period(0, 1, 0, 0, 0, 0, 0, 0), null, null),
            "quarter" => new PeriodGranularity(new Period(0, 3, 0, 0, 0, 0, 0, 0), null, null),
            "year" => new PeriodGranularity(new Period(1, 0, 0, 0, 0, 0, 0, 0), null, null),
            _ => null,
        };
    }

    private sealed class AllGranularity : Granularity
    {
        public override long Truncate(long millis) => AllBucket;

        public override long Next(long bucketStart) => long.MaxValue;

        public override string ToString() => "all";
    }

    private sealed class NoneGranularity : Granularity
    {
        public override long Truncate(long millis) => millis;

        public override long Next(long bucketStart) => bucketStart + 1;

        public override string ToString() => "none";
    }
}

/// <summary>
/// Druid's <c>{"type":"period","period":"PT5M","timeZone":"America/Los_Angeles","origin":"..."}</c>: buckets are
/// aligned on the wall clock of <see cref="TimeZone"/> (UTC by default), counted from <see cref="Origin"/>
/// (by default 1970-01-01T00:00 local, or Monday 1970-01-05 for periods with weeks).
/// </summary>
public sealed class PeriodGranularity : Granularity
{
    private readonly long _localOrigin;

    /// <summary>Creates a period granularity; <paramref name="timeZone"/> null means UTC.</summary>
    public PeriodGranularity(Period period, TimeZoneInfo? timeZone, long? origin)
    {
        Period = period;
        TimeZone = timeZone ?? TimeZoneInfo.Utc;
        Origin = origin;
        _localOrigin = origin is { } o ? ToLocal(o) : period.Weeks != 0 && !period.HasCalendarFields ? 4 * IsoTime.MillisPerDay : 0;
    }

    /// <summary>The bucket length.</summary>
    public Period Period { get; }

    /// <summary>The zone whose wall clock the buckets align to.</summary>
    public TimeZoneInfo TimeZone { get; }

    /// <summary>The instant buckets are counted from, if given.</summary>
    public long? Origin { get; }

    private bool IsUtc => TimeZone == TimeZoneInfo.Utc || TimeZone.BaseUtcOffset == TimeSpan.Zero && !TimeZone.SupportsDaylightSavingTime;

    /// <inheritdoc />
    public override long Truncate(long millis)
    {
        var local = ToLocal(millis);
        long start;
        if (Period.HasCalendarFields)
        {
            var months = Period.TotalMonths;
            var k = IsoTime.FloorDiv(IsoTime.MonthIndex(local) - IsoTime.MonthIndex(_localOrigin), months);
            start = IsoTime.AddMonths(_localOrigin, k * months);
            if (start > local)
            {
                start = IsoTime.AddMonths(_localOrigin, (k - 1) * months);
            }
        }
        else
        {
            var length = Period.FixedMillis;
            start = _localOrigin + (IsoTime.FloorDiv(local - _localOrigin, length) * length);
        }

        return ToUtc(start);
    }

    /// <inheritdoc />
    public override long Next(long bucketStart) => ToUtc(Period.AddTo(ToLocal(bucketStart)));

    /// <inheritdoc />
    public override string ToString() => $"period {Period} {TimeZone.Id}";

    private long ToLocal(long utc)
    {
        if (IsUtc || utc < -62135596800000L || utc > 253402300799000L)
        {
            return utc;
        }

        var offset = TimeZone.GetUtcOffset(DateTimeOffset.FromUnixTimeMilliseconds(utc));
        return utc + (long)offset.TotalMilliseconds;
    }

    private long ToUtc(long local)
    {
        if (IsUtc || local < -62135510400000L || local > 253402214399000L)
        {
            return local;
        }

        var wall = new DateTime(DateTime.UnixEpoch.Ticks + (local * TimeSpan.TicksPerMillisecond), DateTimeKind.Unspecified);
        // A wall-clock time skipped by a DST jump has no offset of its own: take the one just before the jump.
        var offset = TimeZone.IsInvalidTime(wall) ? TimeZone.GetUtcOffset(wall.AddHours(-3)) : TimeZone.GetUtcOffset(wall);
        return local - (long)offset.TotalMilliseconds;
    }
}

/// <summary>Druid's <c>{"type":"duration","duration":ms,"origin":...}</c>: fixed-length UTC buckets from an origin.</summary>
public sealed class DurationGranularity : Granularity
{
    /// <summary>Creates a duration granularity of <paramref name="durationMillis"/> counted from <paramref name="origin"/>.</summary>
    public DurationGranularity(long durationMillis, long origin)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(durationMillis);
        DurationMillis = durationMillis;
        Origin = origin;
    }

    /// <summary>The bucket length in milliseconds.</summary>
    public long DurationMillis { get; }

    /// <summary>The instant buckets are counted from.</summary>
    public long Origin { get; }

    /// <inheritdoc />
    public override long Truncate(long millis) => Origin + (IsoTime.FloorDiv(millis - Origin, DurationMillis) * DurationMillis);

    /// <inheritdoc />
    public override long Next(long bucketStart) => bucketStart + DurationMillis;

    /// <inheritdoc />
    public override string ToString() => $"duration {DurationMillis}";
}
