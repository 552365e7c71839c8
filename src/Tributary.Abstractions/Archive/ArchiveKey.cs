using System.Globalization;

namespace Tributary.Archive;

/// <summary>
/// Formats and parses the key of an ArchivePartitionGrain: <c>{topic}/{outputPartition}/{partition}</c>,
/// e.g. <c>pin_engagement/dt=2026-11-22/hr=10/3</c>.
/// </summary>
public static class ArchiveKey
{
    /// <summary>Builds the key.</summary>
    public static string Format(string topic, string outputPartition, int partition)
    {
        ArgumentException.ThrowIfNullOrEmpty(topic);
        ArgumentException.ThrowIfNullOrEmpty(outputPartition);
        ArgumentOutOfRangeException.ThrowIfNegative(partition);
        if (topic.Contains('/', StringComparison.Ordinal))
        {
            throw new ArgumentException($"topic '{topic}' cannot contain '/'", nameof(topic));
        }

        return string.Create(CultureInfo.InvariantCulture, $"{topic}/{outputPartition}/{partition}");
    }

    /// <summary>Parses a key made by <see cref="Format"/>; throws <see cref="FormatException"/> naming the key otherwise.</summary>
    public static (string Topic, string OutputPartition, int Partition) Parse(string key)
    {
        var first = key.IndexOf('/', StringComparison.Ordinal);
        var last = key.LastIndexOf('/');
        if (first <= 0 || last <= first + 1 || last == key.Length - 1
            || !int.TryParse(key.AsSpan(last + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var partition))
        {
            throw new FormatException($"'{key}' is not an archive key of the form '{{topic}}/{{outputPartition}}/{{partition}}'.");
        }

        return (key[..first], key[(first + 1)..last], partition);
    }
}
