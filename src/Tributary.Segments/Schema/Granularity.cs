namespace Tributary.Segments.Schema;

/// <summary>A fixed time bucket (UTC) used for segments and rollup: Druid's simple granularities.</summary>
public sealed record Granularity
{
    private static readonly Dictionary<string, Granularity> ByName = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>No truncation (millisecond).</summary>
    public static readonly Granularity None = Define("none", 1);

    /// <summary>One second.</summary>
    public static readonly Granularity Second = Define("second", 1_000);

    /// <summary>One minute.</summary>
    public static readonly Granularity Minute = Define("minute", 60_000);

    /// <summary>Five minutes.</summary>
    public static readonly Granularity FiveMinute = Define("five_minute", 300_000);

    /// <summary>Fifteen minutes.</summary>
    public static readonly Granularity FifteenMinute = Define("fifteen_minute", 900_000);

    /// <summary>Thirty minutes.</summary>
    public static readonly Granularity ThirtyMinute = Define("thirty_minute", 1_800_000);

    /// <summary>One hour.</summary>
    public static readonly Granularity Hour = Define("hour", 3_600_000);

    /// <summary>One day (UTC).</summary>
    public static readonly Granularity Day = Define("day", 86_400_000);

    private Granularity(string name, long milliseconds)
    {
        Name = name;
        Milliseconds = milliseconds;
    }

    /// <summary>Druid's name (<c>minute</c>, <c>five_minute</c>, ...).</summary>
    public string Name { get; }

    /// <summary>Bucket length in milliseconds.</summary>
    public long Milliseconds { get; }

    /// <summary>Every defined granularity by name.</summary>
    public static IReadOnlyDictionary<string, Granularity> All => ByName;

    /// <summary>The granularity called <paramref name="name"/>, or null.</summary>
    public static Granularity? FromName(string name) => ByName.GetValueOrDefault(name);

    /// <summary>Start of the bucket holding <paramref name="timestampMs"/> (floor, also for times before 1970).</summary>
    public long Truncate(long timestampMs) => timestampMs - (((timestampMs % Milliseconds) + Milliseconds) % Milliseconds);

    /// <inheritdoc />
    public override string ToString() => Name;

    private static Granularity Define(string name, long milliseconds)
    {
        var granularity = new Granularity(name, milliseconds);
        ByName[name] = granularity;
        return granularity;
    }
}
