using System.Text;
using Confluent.Kafka;
using Tributary.Grains.Streaming;

namespace Tributary.Grains.Segments;

/// <summary>Sends events the segment sink refuses to a dead-letter Kafka topic, with the reason and source as headers.</summary>
public sealed class DeadLetterProducer : IDisposable
{
    /// <summary>Header holding the reason.</summary>
    public const string ReasonHeader = "tributary.reason";

    /// <summary>Header holding <c>{topic}/{partition}@{offset}</c> of the source record (<see cref="PartitionSinkNames.DeadLetterSource"/>).</summary>
    public const string SourceHeader = "tributary.source";

    private readonly IProducer<byte[]?, byte[]?> _producer;

    /// <summary>Creates a producer for <paramref name="bootstrapServers"/> (acks=all, idempotent).</summary>
    public DeadLetterProducer(string bootstrapServers, IReadOnlyDictionary<string, string>? settings = null)
    {
        var config = new ProducerConfig(settings?.ToDictionary() ?? []) { BootstrapServers = bootstrapServers, Acks = Acks.All, EnableIdempotence = true, LingerMs = 5 };
        _producer = new ProducerBuilder<byte[]?, byte[]?>(config).SetLogHandler((_, _) => { }).Build();
    }

    /// <summary>Produces one dead letter and completes once Kafka acknowledged it.</summary>
    public Task SendAsync(string topic, string sourceTopic, int sourcePartition, long sourceOffset, byte[]? key, byte[]? value, string reason)
    {
        var headers = new Headers
        {
            { ReasonHeader, Encoding.UTF8.GetBytes(reason) },
            { SourceHeader, Encoding.UTF8.GetBytes(PartitionSinkNames.DeadLetterSource(sourceTopic, sourcePartition, sourceOffset)) },
        };
        return _producer.ProduceAsync(topic, new Message<byte[]?, byte[]?> { Key = key, Value = value, Headers = headers });
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _producer.Flush(TimeSpan.FromSeconds(5));
        _producer.Dispose();
    }
}
