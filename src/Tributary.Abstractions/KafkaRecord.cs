namespace Tributary;

/// <summary>
/// One Kafka record as delivered to a partition consumer: its position (topic, partition, offset),
/// timestamp, key, value and headers. Instances are never mutated after they are built.
/// </summary>
[GenerateSerializer, Immutable, Alias("tributary.KafkaRecord")]
public sealed record KafkaRecord
{
    [Id(0)] public required string Topic { get; init; }
    [Id(1)] public required int Partition { get; init; }
    [Id(2)] public required long Offset { get; init; }
    /// <summary>Kafka timestamp in Unix milliseconds (create or log-append time, as the topic says).</summary>
    [Id(3)] public required long TimestampMs { get; init; }
    [Id(4)] public byte[]? Key { get; init; }
    [Id(5)] public byte[]? Value { get; init; }
    [Id(6)] public KafkaHeader[]? Headers { get; init; }
}

/// <summary>One Kafka record header.</summary>
[GenerateSerializer, Immutable, Alias("tributary.KafkaHeader")]
public readonly record struct KafkaHeader([property: Id(0)] string Key, [property: Id(1)] byte[]? Value);
