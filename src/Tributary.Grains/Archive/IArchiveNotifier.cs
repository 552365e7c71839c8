using System.Text;
using Confluent.Kafka;
using Tributary.Archive;

namespace Tributary.Grains.Archive;

/// <summary>Announces new archive files to readers (Kafka topic <c>_tributary.archive.files</c>).</summary>
public interface IArchiveNotifier
{
    /// <summary>Announces <paramref name="file"/>; completes once the announcement is durable. Announcements are at-least-once.</summary>
    Task AnnounceAsync(ArchiveFileEntry file, CancellationToken cancellationToken = default);
}

/// <summary>
/// Test and fault-injection hook: called after a file is uploaded and before it is recorded anywhere, the
/// exact window in which a crash must lead to an identical re-upload. Production registers none.
/// </summary>
public interface IArchiveUploadObserver
{
    /// <summary>Called after the upload of <paramref name="file"/>.</summary>
    Task OnUploadedAsync(ArchiveFileEntry file);
}

/// <summary>Announces files as JSON (the manifest entry) keyed by topic, with an idempotent producer.</summary>
public sealed class KafkaArchiveNotifier : IArchiveNotifier, IDisposable
{
    private readonly IProducer<byte[], byte[]> _producer;
    private readonly string _topic;

    /// <summary>Creates the notifier producing to <paramref name="topic"/> on <paramref name="bootstrapServers"/>.</summary>
    public KafkaArchiveNotifier(string bootstrapServers, string topic, IReadOnlyDictionary<string, string>? settings = null)
    {
        var config = new ProducerConfig(settings?.ToDictionary() ?? [])
        {
            BootstrapServers = bootstrapServers,
            EnableIdempotence = true,
            LingerMs = 5,
        };
        _producer = new ProducerBuilder<byte[], byte[]>(config).SetLogHandler((_, _) => { }).Build();
        _topic = topic;
    }

    /// <inheritdoc />
    public async Task AnnounceAsync(ArchiveFileEntry file, CancellationToken cancellationToken = default)
        => await _producer.ProduceAsync(_topic, new Message<byte[], byte[]>
        {
            Key = Encoding.UTF8.GetBytes(file.Topic),
            Value = file.ToInfo().ToJson(),
        }, cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public void Dispose()
    {
        _producer.Flush(TimeSpan.FromSeconds(5));
        _producer.Dispose();
    }
}
