using Confluent.Kafka;

namespace Tributary.Cli.Generate;

/// <summary>
/// Produces generated events to Kafka keyed by pin id with the murmur2 partitioner, the same placement
/// as the Java client and <see cref="Kafka.Murmur2Partitioner"/>.
/// </summary>
public sealed class KafkaEventWriter : IDisposable
{
    private readonly IProducer<byte[], byte[]> _producer;
    private readonly string _topic;
    private long _delivered;
    private long _failed;
    private string? _lastError;

    /// <summary>Creates a writer to <paramref name="topic"/> on <paramref name="bootstrapServers"/>.</summary>
    public KafkaEventWriter(string bootstrapServers, string topic, IDictionary<string, string>? settings = null)
    {
        var config = new ProducerConfig(settings ?? new Dictionary<string, string>())
        {
            BootstrapServers = bootstrapServers,
            Partitioner = Partitioner.Murmur2Random,
            LingerMs = 5,
            BatchNumMessages = 10_000,
            QueueBufferingMaxMessages = 1_000_000,
            EnableIdempotence = true,
            ClientId = "tributary-generate",
        };
        _producer = new ProducerBuilder<byte[], byte[]>(config).SetLogHandler((_, _) => { }).Build();
        _topic = topic;
    }

    /// <summary>Records acknowledged by Kafka.</summary>
    public long Delivered => Interlocked.Read(ref _delivered);

    /// <summary>Records Kafka refused (after librdkafka's retries).</summary>
    public long Failed => Interlocked.Read(ref _failed);

    /// <summary>The last delivery error, if any.</summary>
    public string? LastError => _lastError;

    /// <summary>Queues one record; waits (polling delivery reports) while librdkafka's queue is full.</summary>
    public void Write(byte[] key, byte[] value)
    {
        while (true)
        {
            try
            {
                _producer.Produce(_topic, new Message<byte[], byte[]> { Key = key, Value = value }, OnDelivery);
                return;
            }
            catch (ProduceException<byte[], byte[]> ex) when (ex.Error.Code == Confluent.Kafka.ErrorCode.Local_QueueFull)
            {
                _producer.Poll(TimeSpan.FromMilliseconds(50));
            }
        }
    }

    /// <summary>Waits until every queued record is acknowledged or failed.</summary>
    public void Flush(TimeSpan timeout) => _producer.Flush(timeout);

    private void OnDelivery(DeliveryReport<byte[], byte[]> report)
    {
        if (report.Error.IsError)
        {
            Interlocked.Increment(ref _failed);
            _lastError = report.Error.Reason;
        }
        else
        {
            Interlocked.Increment(ref _delivered);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _producer.Flush(TimeSpan.FromSeconds(30));
        _producer.Dispose();
    }
}
