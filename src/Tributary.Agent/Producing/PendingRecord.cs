using Confluent.Kafka;

namespace Tributary.Agent.Producing;

/// <summary>A framed record in the batch being built: its Kafka message, its partition and its offset in the file.</summary>
internal sealed record PendingRecord(Message<byte[]?, byte[]> Message, int Partition, long Offset);
