using System.Diagnostics;

namespace Tributary.Agent;

/// <summary>Kafka acknowledged a batch of a stream (raised before its watermark is written).</summary>
/// <param name="Stream">The stream.</param>
/// <param name="FirstOffset">File offset of the batch's first record.</param>
/// <param name="EndOffset">File offset just after the batch's last record.</param>
/// <param name="Count">Records in the batch.</param>
/// <param name="Bytes">Payload bytes in the batch.</param>
/// <param name="Timestamp">When the last acknowledgement arrived (<see cref="Stopwatch.GetTimestamp"/>).</param>
public sealed record BatchAcknowledgement(string Stream, long FirstOffset, long EndOffset, int Count, long Bytes, long Timestamp);
