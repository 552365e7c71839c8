namespace Tributary.Streaming.Kafka;

/// <summary>
/// Where a partition consumer reports how far it has made data durable. The provider commits exactly
/// that offset to the consumer group (so Kafka's lag tools show true lag) and a partition's next owner
/// resumes there. Resolve it as a keyed service named after the stream provider.
/// </summary>
public interface IKafkaCheckpointer
{
    /// <summary>
    /// Records that every record of <paramref name="topic"/>[<paramref name="partition"/>] below
    /// <paramref name="nextOffset"/> is durable. Cheap and non-blocking; commits happen in the background
    /// every <see cref="KafkaStreamOptions.CommitInterval"/>. Offsets never move backwards.
    /// </summary>
    void Checkpoint(string topic, int partition, long nextOffset);

    /// <summary>Commits every reported checkpoint now.</summary>
    Task FlushAsync(CancellationToken cancellationToken = default);

    /// <summary>The checkpoints committed to Kafka by this silo so far (for diagnostics and tests).</summary>
    IReadOnlyDictionary<(string Topic, int Partition), long> Committed { get; }
}
