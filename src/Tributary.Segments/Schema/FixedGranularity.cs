namespace Tributary.Segments.Schema;

/// <summary>
/// A fixed-length UTC time bucket, for a datasource's segments and rollup: Druid's simple granularities from
/// <c>none</c> to <c>day</c>. Not the query granularity (<see cref="Tributary.Query.Granularity"/>), which also has
/// <c>all</c>, calendar periods (week, month, year), time zones and origins: a sealed segment stores each row's time
/// as a bucket index times <see cref="Milliseconds"/>, and segments cover fixed hours or days, so only fixed-length
/// UTC buckets fit here.
/// </summary>
public sealed record FixedGranularity
{
    private static readonly Dictionary<string, FixedGranularity> ByName = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>No truncation (millisecond).</summary>
    public static readonly FixedGranularity None = Define("none", 1);

    /// <summary>One second.</summary>
    public static readonly FixedGranularity Second = Define("second", 1_000);

    /// <summary>One minute.</summary>
    public static readonly FixedGranularity Minute = Define("minute", 60_000);

    /// <summary>Five minutes.</summary>
    public static readonly FixedGranularity FiveMinute = Define("five_minute", 300_000);

    /// <summary>Fifteen minutes.</summary>
    public static readonly FixedGranularity FifteenMinute = Define("fifteen_minute", 900_000);

    /// <summary>Thirty minutes.</summary>
    public static readonly FixedGranularity ThirtyMinute = Define("thirty_minute", 1_800_000);

    /// <summary>One hour.</summary>
    public static readonly FixedGranularity Hour = Define("hour", 3_600_000);

    /// <summary>One day (UTC).</summary>
    public static readonly FixedGranularity Day = Define("day", 86_400_000);

    private FixedGranularity(string name, long milliseconds)
    {
        Name = name;
        Milliseconds = milliseconds;
    }

    /// <summary>Druid's name (<c>minute</c>, <c>five_minute</c>, ...).</summary>
    public string Name { get; }

    /// <summary>Bucket length in milliseconds.</summary>
    public long Milliseconds { get; }

    /// <summary>Every defined granularity by name.</summary>
    public static IReadOnlyDictionary<string, FixedGranularity> All => ByName;

    /// <summary>The granularity called <paramref name="name"/>, or null.</summary>
    public static FixedGranularity? FromName(string name) => ByName.GetValueOrDefault(name);

    /// <summary>Start of the bucket holding <paramref name="timestampMs"/> (floor, also for times before 1970).</summary>
    public long Truncate(long timestampMs) => timestampMs - (((timestampMs % Milliseconds) + Milliseconds) % Milliseconds);

    /// <inheritdoc />
    public override string ToString() => Name;

    private static FixedGranularity Define(string name, long milliseconds)
    {
        var granularity = new FixedGranularity(name, milliseconds);
        ByName[name] = granularity;
        return granularity;
    }
}
