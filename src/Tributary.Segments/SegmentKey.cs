using System.Globalization;

namespace Tributary.Segments;

/// <summary>
/// Formats and parses the <c>{datasource}/{yyyy-MM-ddTHH}/{partition}</c> key of a segment grain: one datasource,
/// one UTC hour (the segment granularity) and one Kafka partition. The one formatter of segment names:
/// <see cref="SegmentId"/>'s text and the segment's object keys (<see cref="SegmentObjectKey"/>) are built from it.
/// </summary>
/// <remarks>
/// A segment built by a backfill carries a version (Druid's versioned segments): <c>{datasource}/{yyyy-MM-ddTHH}/{partition}/v{version}</c>.
/// The live segments built from Kafka are version 0 and keep the unversioned key. The last part of an unversioned
/// key is a partition number, so the two forms never read as each other.
/// </remarks>
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

    /// <summary>
    /// Builds the key of a segment of <paramref name="version"/> (0: the live segment, whose key is <see cref="Format(string, long, int)"/>'s;
    /// above 0: a backfilled segment that overshadows lower versions of its hour once published).
    /// </summary>
    public static string Format(string datasource, long hourStartMs, int partition, long version)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(version);
        var key = Format(datasource, hourStartMs, partition);
        return version == 0 ? key : string.Create(CultureInfo.InvariantCulture, $"{key}/v{version}");
    }

    /// <summary>Parses a key made by either <see cref="Format(string, long, int)"/> (version 0) or <see cref="Format(string, long, int, long)"/>; throws <see cref="FormatException"/> naming the key otherwise.</summary>
    public static (string Datasource, long HourStartMs, int Partition, long Version) ParseVersioned(string key)
    {
        if (key is not null)
        {
            var last = key.LastIndexOf('/');
            if (last > 0 && last < key.Length - 2 && key[last + 1] == 'v'
                && long.TryParse(key.AsSpan(last + 2), NumberStyles.None, CultureInfo.InvariantCulture, out var version) && version > 0
                && TryParse(key[..last], out var ds, out var hour, out var p))
            {
                return (ds, hour, p, version);
            }
        }

        var (datasource, hourStartMs, partition) = Parse(key!);
        return (datasource, hourStartMs, partition, 0);
    }

    /// <summary>Parses a key made by <see cref="Format(string, long, int)"/>; throws <see cref="FormatException"/> naming the key otherwise.</summary>
    public static (string Datasource, long HourStartMs, int Partition) Parse(string key)
        => TryParse(key, out var datasource, out var hour, out var partition)
            ? (datasource, hour, partition)
            : throw new FormatException($"'{key}' is not a segment key of the form '{{datasource}}/{{yyyy-MM-ddTHH}}/{{partition}}'.");

    /// <summary>Parses a key made by <see cref="Format(string, long, int)"/>.</summary>
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
