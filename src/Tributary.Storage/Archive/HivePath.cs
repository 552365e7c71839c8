using System.Globalization;

namespace Tributary.Storage.Archive;

/// <summary>
/// Hive-style object keys of the archive: output partitions <c>dt=YYYY-MM-DD/hr=HH</c> (UTC) under the
/// topic, files <c>{partition}-{firstOffset:D20}.parquet</c>, dead letters, markers and manifests.
/// </summary>
public static class HivePath
{
    /// <summary>The output partition (without topic and slashes at the ends) of <paramref name="eventTimeMs"/>.</summary>
    public static string OutputPartition(long eventTimeMs, ArchiveGranularity granularity)
    {
        var t = DateTimeOffset.FromUnixTimeMilliseconds(eventTimeMs).UtcDateTime;
        return granularity switch
        {
            ArchiveGranularity.Day => string.Create(CultureInfo.InvariantCulture, $"dt={t:yyyy-MM-dd}"),
            ArchiveGranularity.Hour => string.Create(CultureInfo.InvariantCulture, $"dt={t:yyyy-MM-dd}/hr={t:HH}"),
            _ => string.Create(CultureInfo.InvariantCulture, $"dt={t:yyyy-MM-dd}/hr={t:HH}/min={t:mm}"),
        };
    }

    /// <summary>Start and end (exclusive) of an output partition, Unix ms; throws <see cref="FormatException"/> naming it when malformed.</summary>
    public static (long StartMs, long EndMs) Interval(string outputPartition)
    {
        var parts = outputPartition.Split('/');
        try
        {
            var day = DateTime.ParseExact(parts[0]["dt=".Length..], "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);
            if (!parts[0].StartsWith("dt=", StringComparison.Ordinal))
            {
                throw new FormatException();
            }

            var start = new DateTimeOffset(day, TimeSpan.Zero);
            var width = TimeSpan.FromDays(1);
            if (parts.Length > 1)
            {
                start = start.AddHours(int.Parse(parts[1]["hr=".Length..], CultureInfo.InvariantCulture));
                width = TimeSpan.FromHours(1);
            }

            if (parts.Length > 2)
            {
                start = start.AddMinutes(int.Parse(parts[2]["min=".Length..], CultureInfo.InvariantCulture));
                width = TimeSpan.FromMinutes(1);
            }

            return (start.ToUnixTimeMilliseconds(), (start + width).ToUnixTimeMilliseconds());
        }
        catch (Exception ex) when (ex is FormatException or ArgumentOutOfRangeException or IndexOutOfRangeException)
        {
            throw new FormatException($"'{outputPartition}' is not an output partition of the form dt=YYYY-MM-DD[/hr=HH[/min=MM]].", ex);
        }
    }

    /// <summary>Base name of a file: <c>{partition}-{firstOffset:D20}</c>.</summary>
    public static string FileBase(int partition, long firstOffset)
        => string.Create(CultureInfo.InvariantCulture, $"{partition}-{firstOffset:D20}");

    /// <summary>Key of a Parquet file.</summary>
    public static string DataFile(string topic, string outputPartition, int partition, long firstOffset)
        => $"{topic}/{outputPartition}/{FileBase(partition, firstOffset)}.parquet";

    /// <summary>Key of a dead-letter file (JSON lines) beside its Parquet file.</summary>
    public static string DeadLetterFile(string topic, string outputPartition, int partition, long firstOffset)
        => $"{topic}/{outputPartition}/{FileBase(partition, firstOffset)}.deadletter.jsonl";

    /// <summary>Key of an output partition's <c>_SUCCESS</c> marker.</summary>
    public static string SuccessMarker(string topic, string outputPartition) => $"{topic}/{outputPartition}/_SUCCESS";

    /// <summary>Prefix of a topic's manifest objects.</summary>
    public static string ManifestPrefix(string topic) => $"{topic}/_manifest/";

    /// <summary>Key of one file's manifest object.</summary>
    public static string ManifestEntry(string topic, int partition, long firstOffset)
        => string.Create(CultureInfo.InvariantCulture, $"{topic}/_manifest/{partition}/{firstOffset:D20}.json");
}
