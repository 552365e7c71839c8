using System.Collections.Concurrent;
using Confluent.Kafka;
using Tributary.Kafka;
using Tributary.Storage.Archive;

namespace Tributary.Unified;

/// <summary>
/// Follows the archive's notification topic (<see cref="UnifiedSourceOptions.NotificationTopic"/>): the archiver announces each
/// file, as its manifest JSON, after the file and its manifest object are written. The consumer starts at the topic's end as it
/// is before the partitions first list the manifest, so every file is either in that first listing or announced afterwards.
/// Announcements are at-least-once: the same file may come twice (the merge drops offsets already yielded).
/// </summary>
internal sealed class FileAnnouncements : IDisposable
{
    private static readonly TimeSpan KafkaTimeout = TimeSpan.FromSeconds(10);
    private readonly string _topic;
    private readonly string _notificationTopic;
    private readonly IConsumer<byte[]?, byte[]?> _consumer;
    private readonly Dictionary<int, Inbox> _inboxes;
    private readonly CancellationTokenSource _stop = new();
    private Thread? _thread;
    private long _announced;

    public FileAnnouncements(UnifiedSourceOptions options, IEnumerable<int> partitions)
    {
        _topic = options.Topic;
        _notificationTopic = options.NotificationTopic!;
        _inboxes = partitions.ToDictionary(p => p, _ => new Inbox());
        _consumer = new ConsumerBuilder<byte[]?, byte[]?>(KafkaClientConfigs.RangeConsumer(options.Kafka, options.GroupId)).SetLogHandler((_, _) => { }).Build();
    }

    /// <summary>Announcements of this topic's selected partitions received so far.</summary>
    public long Announced => Interlocked.Read(ref _announced);

    /// <summary>Assigns the notification topic at its current end and starts following it.</summary>
    /// <exception cref="ArgumentException">The notification topic is not on Kafka (names the option).</exception>
    public async Task StartAsync(IAdminClient admin, CancellationToken cancellationToken)
    {
        var metadata = await Task.Run(() => admin.GetMetadata(KafkaTimeout), cancellationToken).ConfigureAwait(false);
        var topic = metadata.Topics.FirstOrDefault(t => t.Topic == _notificationTopic);
        if (topic is null || topic.Error.IsError || topic.Partitions.Count == 0)
        {
            throw new ArgumentException($"UnifiedSourceOptions.NotificationTopic '{_notificationTopic}' is not a topic on Kafka{(topic?.Error.IsError == true ? $" ({topic.Error.Reason})" : string.Empty)}.", "options");
        }

        var assignment = await Task.Run(
            () => topic.Partitions.Select(p =>
            {
                var tp = new TopicPartition(_notificationTopic, p.PartitionId);
                return new TopicPartitionOffset(tp, _consumer.QueryWatermarkOffsets(tp, KafkaTimeout).High);
            }).ToList(),
            cancellationToken).ConfigureAwait(false);
        _consumer.Assign(assignment);
        _thread = new Thread(Poll) { IsBackground = true, Name = $"unified-announcements-{_topic}" };
        _thread.Start();
    }

    /// <summary>The files of <paramref name="partition"/> announced since the last call.</summary>
    public List<ArchiveFileInfo> Take(int partition)
    {
        var files = new List<ArchiveFileInfo>();
        if (_inboxes.TryGetValue(partition, out var inbox))
        {
            while (inbox.Files.TryDequeue(out var file))
            {
                files.Add(file);
            }
        }

        return files;
    }

    /// <summary>True when a file of <paramref name="partition"/> is announced (or was since the last <see cref="Take"/>); false after <paramref name="timeout"/> without one.</summary>
    public async Task<bool> WaitAsync(int partition, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var inbox = _inboxes[partition];
        if (!inbox.Files.IsEmpty)
        {
            return true;
        }

        return await inbox.Signal.WaitAsync(timeout, cancellationToken).ConfigureAwait(false) || !inbox.Files.IsEmpty;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _stop.Cancel();
        _thread?.Join();
        _consumer.Close();
        _consumer.Dispose();
        _stop.Dispose();
        foreach (var inbox in _inboxes.Values)
        {
            inbox.Signal.Dispose();
        }
    }

    private void Poll()
    {
        var token = _stop.Token;
        while (!token.IsCancellationRequested)
        {
            ConsumeResult<byte[]?, byte[]?>? result;
            try
            {
                // a dedicated thread: librdkafka's blocking consume never runs on the thread pool
                result = _consumer.Consume(TimeSpan.FromMilliseconds(100));
            }
            catch (ConsumeException)
            {
                continue; // the manifest stays the truth: the fallback listing finds what an announcement would have said
            }

            if (result is null || result.IsPartitionEOF || result.Message.Value is not { } value)
            {
                continue;
            }

            ArchiveFileInfo file;
            try
            {
                file = ArchiveFileInfo.FromJson(value, $"{_notificationTopic}[{result.Partition.Value}]@{result.Offset.Value}");
            }
            catch (FormatException)
            {
                continue; // not a file entry: only a hint is lost, the fallback listing still sees the manifest
            }

            if (file.Topic != _topic || !_inboxes.TryGetValue(file.Partition, out var inbox))
            {
                continue;
            }

            inbox.Files.Enqueue(file);
            Interlocked.Increment(ref _announced);
            if (inbox.Signal.CurrentCount == 0)
            {
                inbox.Signal.Release();
            }
        }
    }

    private sealed class Inbox
    {
        public ConcurrentQueue<ArchiveFileInfo> Files { get; } = new();

        public SemaphoreSlim Signal { get; } = new(0, 1);
    }
}
