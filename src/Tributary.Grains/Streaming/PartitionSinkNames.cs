using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace Tributary.Grains.Streaming;

/// <summary>
/// The names partition sinks write outside themselves, formatted (and parsed) in one place so every sink (segments,
/// archive, the coming SQL sink) and every tool reading them agree: the consumer group a sink replays its partition
/// with, and the dead-letter header naming the record a dead letter came from.
/// </summary>
public static class PartitionSinkNames
{
    /// <summary>
    /// The consumer group of a sink's straight-from-Kafka replay of one partition:
    /// <c>tributary-{sink}-replay-{topic}-{partition}</c> (e.g. <c>tributary-segments-replay-pins-3</c>). It never
    /// commits offsets; it is named so operators can tell replays apart from the sink's stream consumer group.
    /// </summary>
    public static string ReplayConsumerGroup(string sink, string topic, int partition)
        => string.Create(CultureInfo.InvariantCulture, $"tributary-{sink}-replay-{topic}-{partition}");

    /// <summary>The dead-letter source header value of a record: <c>{topic}/{partition}@{offset}</c>.</summary>
    public static string DeadLetterSource(string topic, int partition, long offset)
        => string.Create(CultureInfo.InvariantCulture, $"{topic}/{partition}@{offset}");

    /// <summary>Parses a <see cref="DeadLetterSource"/> value (the topic may itself contain '/'; the last one splits).</summary>
    public static bool TryParseDeadLetterSource(string? value, [NotNullWhen(true)] out string? topic, out int partition, out long offset)
    {
        topic = null;
        partition = 0;
        offset = 0;
        if (string.IsNullOrEmpty(value))
        {
            return false;
        }

        var at = value.LastIndexOf('@');
        var slash = at < 0 ? -1 : value.LastIndexOf('/', at);
        if (slash <= 0
            || !int.TryParse(value.AsSpan(slash + 1, at - slash - 1), NumberStyles.None, CultureInfo.InvariantCulture, out partition)
            || !long.TryParse(value.AsSpan(at + 1), NumberStyles.None, CultureInfo.InvariantCulture, out offset))
        {
            partition = 0;
            offset = 0;
            return false;
        }

        topic = value[..slash];
        return true;
    }
}
