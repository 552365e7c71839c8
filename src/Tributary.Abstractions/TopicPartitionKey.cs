using System.Globalization;

namespace Tributary;

/// <summary>
/// Formats and parses the <c>{topic}/{partition}</c> key that names one Kafka partition: it is the
/// Orleans stream key of the partition's records and the grain key of the partition's consumer.
/// </summary>
public static class TopicPartitionKey
{
    /// <summary>Builds the key for <paramref name="topic"/> and <paramref name="partition"/>.</summary>
    public static string Format(string topic, int partition)
    {
        ArgumentException.ThrowIfNullOrEmpty(topic);
        ArgumentOutOfRangeException.ThrowIfNegative(partition);
        return string.Create(CultureInfo.InvariantCulture, $"{topic}/{partition}");
    }

    /// <summary>Parses a key made by <see cref="Format"/>; throws <see cref="FormatException"/> naming the key otherwise.</summary>
    public static (string Topic, int Partition) Parse(string key)
        => TryParse(key, out var topic, out var partition)
            ? (topic, partition)
            : throw new FormatException($"'{key}' is not a topic-partition key of the form '{{topic}}/{{partition}}'.");

    /// <summary>Parses a key made by <see cref="Format"/>.</summary>
    public static bool TryParse(string? key, out string topic, out int partition)
    {
        topic = string.Empty;
        partition = -1;
        if (string.IsNullOrEmpty(key))
        {
            return false;
        }

        // Kafka topic names cannot contain '/', so the last slash always separates the partition.
        var slash = key.LastIndexOf('/');
        if (slash <= 0 || slash == key.Length - 1)
        {
            return false;
        }

        if (!int.TryParse(key.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out partition))
        {
            partition = -1;
            return false;
        }

        topic = key[..slash];
        return true;
    }
}
