using System.Text.Json;
using System.Text.Json.Serialization;

namespace Tributary.Storage.Archive;

/// <summary>
/// One archived file: where it is and which offsets of which Kafka partition it holds. Every offset in
/// [<see cref="FirstOffset"/>, <see cref="LastOffset"/>] routed to its output partition is either a row of the
/// Parquet file or a line of the dead-letter file. This is also the JSON of the manifest objects and of the
/// notifications on the announcement topic.
/// </summary>
public sealed record ArchiveFileInfo
{
    /// <summary>Kafka topic.</summary>
    [JsonPropertyName("topic")] public required string Topic { get; init; }
    /// <summary>Output partition, e.g. <c>dt=2026-11-22/hr=10</c>.</summary>
    [JsonPropertyName("output_partition")] public required string OutputPartition { get; init; }
    /// <summary>Kafka partition.</summary>
    [JsonPropertyName("partition")] public required int Partition { get; init; }
    /// <summary>First offset in the file (rows or dead letters).</summary>
    [JsonPropertyName("first_offset")] public required long FirstOffset { get; init; }
    /// <summary>Last offset in the file (rows or dead letters).</summary>
    [JsonPropertyName("last_offset")] public required long LastOffset { get; init; }
    /// <summary>Rows in the Parquet file.</summary>
    [JsonPropertyName("rows")] public required long Rows { get; init; }
    /// <summary>Records in the dead-letter file (0 when there is none).</summary>
    [JsonPropertyName("dead_letters")] public long DeadLetters { get; init; }
    /// <summary>Smallest event time, Unix ms.</summary>
    [JsonPropertyName("min_event_time_ms")] public long MinEventTimeMs { get; init; }
    /// <summary>Largest event time, Unix ms.</summary>
    [JsonPropertyName("max_event_time_ms")] public long MaxEventTimeMs { get; init; }
    /// <summary>Size of the Parquet file in bytes.</summary>
    [JsonPropertyName("bytes")] public long Bytes { get; init; }
    /// <summary>Object key of the Parquet file.</summary>
    [JsonPropertyName("key")] public required string Key { get; init; }
    /// <summary>Object key of the dead-letter file, or null.</summary>
    [JsonPropertyName("dead_letter_key")] public string? DeadLetterKey { get; init; }

    /// <summary>Serializes to the manifest JSON.</summary>
    public byte[] ToJson() => JsonSerializer.SerializeToUtf8Bytes(this);

    /// <summary>Parses manifest JSON; throws <see cref="FormatException"/> naming <paramref name="source"/> when malformed.</summary>
    public static ArchiveFileInfo FromJson(ReadOnlySpan<byte> json, string source)
    {
        try
        {
            return JsonSerializer.Deserialize<ArchiveFileInfo>(json) ?? throw new FormatException($"manifest object '{source}' is null");
        }
        catch (JsonException ex)
        {
            throw new FormatException($"manifest object '{source}' is not a file entry: {ex.Message}", ex);
        }
    }
}
