using System.Globalization;

namespace Tributary.Segments;

/// <summary>
/// Formats and parses the <c>{datasource}/{yyyy-MM-ddTHH}/{partition}</c> key of a segment grain: one datasource,
/// one UTC hour (the segment granularity) and one Kafka partition. The one formatter of segment names:
/// <see cref="SegmentId"/>'s text and the segment's object keys (<see cref="SegmentObjectKey"/>) are built from it.
/// </summary>
public static class SegmentKey
{
    private const string HourFormat = "yyyy-MM-dd'T'HH";
    private const long HourMillis = 3_600_000;

    /// <summary>Builds the key; <paramref name="hourStartMs"/> (Unix ms) must be aligned to a UTC hour.</summary>
    public static string Format(string datasource, long hourStartMs, int partition)
    {
        ArgumentException.ThrowIfNullOrEmpty(datasource);
        ArgumentOutOfRangeException.ThrowIfNegative(partition);
        if (hourStartMs % HourMillis != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(hourStartMs), hourStartMs, "The segment start must be aligned to a UTC hour.");
        }

        return FormatUnchecked(datasource, hourStartMs, partition);
    }

    /// <summary>Parses a key made by <see cref="Format"/>; throws <see cref="FormatException"/> naming the key otherwise.</summary>
    public static (string Datasource, long HourStartMs, int Partition) Parse(string key)
        => TryParse(key, out var datasource, out var hour, out var partition)
            ? (datasource, hour, partition)
            : throw new FormatException($"'{key}' is not a segment key of the form '{{datasource}}/{{yyyy-MM-ddTHH}}/{{partition}}'.");

    /// <summary>Parses a key made by <see cref="Format"/>.</summary>
    public static bool TryParse(string? key, out string datasource, out long hourStartMs, out int partition)
    {
        datasource = string.Empty;
        hourStartMs = 0;
        partition = -1;
        if (string.IsNullOrEmpty(key))
        {
            return false;
        }

        // Datasource names may contain '/', the hour and the partition cannot: split from the right.
        var last = key.LastIndexOf('/');
        if (last <= 0 || last == key.Length - 1)
        {
            return false;
        }

        var middle = key.LastIndexOf('/', last - 1);
        if (middle <= 0)
        {
            return false;
        }

        if (!int.TryParse(key.AsSpan(last + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var p)
            || !DateTime.TryParseExact(key.AsSpan(middle + 1, last - middle - 1), HourFormat, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var hour))
        {
            return false;
        }

        datasource = key[..middle];
        hourStartMs = new DateTimeOffset(DateTime.SpecifyKind(hour, DateTimeKind.Utc)).ToUnixTimeMilliseconds();
        partition = p;
        return true;
    }

    /// <summary>The key layout without the argument checks (for <see cref="SegmentId.ToString"/>, which must not throw).</summary>
    internal static string FormatUnchecked(string datasource, long startMs, int partition)
    {
        var hour = DateTimeOffset.FromUnixTimeMilliseconds(startMs).UtcDateTime.ToString(HourFormat, CultureInfo.InvariantCulture);
        return string.Create(CultureInfo.InvariantCulture, $"{datasource}/{hour}/{partition}");
    }
}
