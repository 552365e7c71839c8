using System.Collections.Concurrent;
using System.Reflection;
using System.Runtime.InteropServices;
using Confluent.Kafka;

namespace Tributary.Kafka.DevBroker;

/// <summary>
/// librdkafka's built-in mock Kafka cluster, hosted in this process: real Kafka wire protocol on
/// 127.0.0.1 ports that any client (other processes too) can connect to. Topics are created through
/// the native mock API (the mock cluster does not serve CreateTopics), and faults can be injected:
/// brokers down, request errors, racks. Dispose to stop the cluster.
/// </summary>
public sealed unsafe class MockKafkaCluster : IDisposable
{
    private readonly IAdminClient _owner;
    private readonly nint _cluster;
    private readonly ConcurrentDictionary<string, int> _topics = new(StringComparer.Ordinal);
    private bool _disposed;

    private MockKafkaCluster(IAdminClient owner, nint cluster, string bootstrapServers, int brokers)
    {
        _owner = owner;
        _cluster = cluster;
        BootstrapServers = bootstrapServers;
        BrokerCount = brokers;
    }

    /// <summary>Comma-separated loopback addresses of the mock brokers.</summary>
    public string BootstrapServers { get; }

    /// <summary>Number of brokers (ids 1 to <see cref="BrokerCount"/>).</summary>
    public int BrokerCount { get; }

    /// <summary>Starts a cluster of <paramref name="brokers"/> brokers and waits until it answers metadata requests.</summary>
    public static MockKafkaCluster Start(int brokers = 3)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(brokers, 1);
        var config = new AdminClientConfig();
        config.Set("test.mock.num.brokers", brokers.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var owner = new AdminClientBuilder(config).SetLogHandler((_, _) => { }).Build();
        try
        {
            var rk = Native.HandleOf(owner);
            var cluster = Native.HandleMockCluster(rk);
            if (cluster == 0)
            {
                throw new InvalidOperationException("librdkafka did not create a mock cluster (test.mock.num.brokers was ignored).");
            }

            var bootstraps = Marshal.PtrToStringUTF8(Native.ClusterBootstraps(cluster))
                ?? throw new InvalidOperationException("the mock cluster reported no bootstrap servers");
            owner.GetMetadata(TimeSpan.FromSeconds(30));
            return new MockKafkaCluster(owner, cluster, bootstraps, brokers);
        }
        catch
        {
            owner.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Creates <paramref name="topic"/> with <paramref name="partitions"/> partitions. Create topics before
    /// any client touches them: a producer's first use auto-creates a topic with 4 partitions.
    /// Creating an existing topic again with the same partition count is allowed.
    /// </summary>
    public void CreateTopic(string topic, int partitions, int replicationFactor = 1)
    {
        ArgumentException.ThrowIfNullOrEmpty(topic);
        ArgumentOutOfRangeException.ThrowIfLessThan(partitions, 1);
        ThrowIfDisposed();
        var err = WithUtf8(topic, t => Native.TopicCreate(_cluster, t, partitions, replicationFactor));
        if (err != 0)
        {
            var existing = _owner.GetMetadata(topic, TimeSpan.FromSeconds(10)).Topics.FirstOrDefault(t => t.Topic == topic);
            if (existing is null || existing.Partitions.Count != partitions)
            {
                throw new InvalidOperationException($"Creating mock topic '{topic}' with {partitions} partitions failed: {(Confluent.Kafka.ErrorCode)err}.");
            }
        }

        _topics[topic] = partitions;
    }

    /// <summary>Partition count of a topic created with <see cref="CreateTopic"/>.</summary>
    public int PartitionCount(string topic)
        => _topics.TryGetValue(topic, out var n) ? n : throw new ArgumentException($"Topic '{topic}' was not created through this cluster.", nameof(topic));

    /// <summary>Takes broker <paramref name="brokerId"/> down (its connections are closed and refused).</summary>
    public void SetBrokerDown(int brokerId) => Check(Native.BrokerSetDown(_cluster, brokerId), $"setting broker {brokerId} down");

    /// <summary>Brings broker <paramref name="brokerId"/> back up.</summary>
    public void SetBrokerUp(int brokerId) => Check(Native.BrokerSetUp(_cluster, brokerId), $"setting broker {brokerId} up");

    /// <summary>Sets the rack of broker <paramref name="brokerId"/> (for rack- and zone-aware clients).</summary>
    public void SetBrokerRack(int brokerId, string rack)
        => Check(WithUtf8(rack, r => Native.BrokerSetRack(_cluster, brokerId, r)), $"setting the rack of broker {brokerId}");

    /// <summary>Makes the next requests of type <paramref name="apiKey"/> (0 = Produce, 1 = Fetch, 8 = OffsetCommit, ...) fail with <paramref name="errors"/>, in order.</summary>
    public void PushRequestErrors(short apiKey, params Confluent.Kafka.ErrorCode[] errors)
    {
        ThrowIfDisposed();
        var codes = errors.Select(e => (int)e).ToArray();
        fixed (int* p = codes)
        {
            Native.PushRequestErrorsArray(_cluster, apiKey, (nuint)codes.Length, p);
        }
    }

    /// <summary>Moves the leadership of a partition to <paramref name="brokerId"/>.</summary>
    public void SetPartitionLeader(string topic, int partition, int brokerId)
        => Check(WithUtf8(topic, t => Native.PartitionSetLeader(_cluster, t, partition, brokerId)), $"moving the leader of {topic}[{partition}]");

    /// <inheritdoc />
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        // The cluster belongs to the client handle that created it and stops with it.
        _owner.Dispose();
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);

    private void Check(int err, string what)
    {
        ThrowIfDisposed();
        if (err != 0)
        {
            throw new InvalidOperationException($"Mock cluster: {what} failed: {(Confluent.Kafka.ErrorCode)err}.");
        }
    }

    private static int WithUtf8(string text, Func<nint, int> call)
    {
        var p = Marshal.StringToCoTaskMemUTF8(text);
        try
        {
            return call(p);
        }
        finally
        {
            Marshal.FreeCoTaskMem(p);
        }
    }

    /// <summary>The mock API of the librdkafka that Confluent.Kafka already loaded (never a second copy).</summary>
    private static class Native
    {
        private static readonly nint Library = Load();
        private static readonly delegate* unmanaged<nint, nint> HandleMockClusterFn = (delegate* unmanaged<nint, nint>)Export("rd_kafka_handle_mock_cluster");
        private static readonly delegate* unmanaged<nint, nint> ClusterBootstrapsFn = (delegate* unmanaged<nint, nint>)Export("rd_kafka_mock_cluster_bootstraps");
        private static readonly delegate* unmanaged<nint, nint, int, int, int> TopicCreateFn = (delegate* unmanaged<nint, nint, int, int, int>)Export("rd_kafka_mock_topic_create");
        private static readonly delegate* unmanaged<nint, int, int> BrokerSetDownFn = (delegate* unmanaged<nint, int, int>)Export("rd_kafka_mock_broker_set_down");
        private static readonly delegate* unmanaged<nint, int, int> BrokerSetUpFn = (delegate* unmanaged<nint, int, int>)Export("rd_kafka_mock_broker_set_up");
        private static readonly delegate* unmanaged<nint, int, nint, int> BrokerSetRackFn = (delegate* unmanaged<nint, int, nint, int>)Export("rd_kafka_mock_broker_set_rack");
        private static readonly delegate* unmanaged<nint, short, nuint, int*, void> PushRequestErrorsArrayFn = (delegate* unmanaged<nint, short, nuint, int*, void>)Export("rd_kafka_mock_push_request_errors_array");
        private static readonly delegate* unmanaged<nint, nint, int, int, int> PartitionSetLeaderFn = (delegate* unmanaged<nint, nint, int, int, int>)Export("rd_kafka_mock_partition_set_leader");

        public static nint HandleMockCluster(nint rk) => HandleMockClusterFn(rk);
        public static nint ClusterBootstraps(nint cluster) => ClusterBootstrapsFn(cluster);
        public static int TopicCreate(nint cluster, nint topic, int partitions, int rf) => TopicCreateFn(cluster, topic, partitions, rf);
        public static int BrokerSetDown(nint cluster, int id) => BrokerSetDownFn(cluster, id);
        public static int BrokerSetUp(nint cluster, int id) => BrokerSetUpFn(cluster, id);
        public static int BrokerSetRack(nint cluster, int id, nint rack) => BrokerSetRackFn(cluster, id, rack);
        public static void PushRequestErrorsArray(nint cluster, short apiKey, nuint count, int* errors) => PushRequestErrorsArrayFn(cluster, apiKey, count, errors);
        public static int PartitionSetLeader(nint cluster, nint topic, int partition, int broker) => PartitionSetLeaderFn(cluster, topic, partition, broker);

        /// <summary>The rd_kafka_t* behind a Confluent client (Confluent keeps it in an internal SafeHandle).</summary>
        public static nint HandleOf(IClient client)
        {
            var property = typeof(Handle).GetProperty("LibrdkafkaHandle", BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public)
                ?? throw new InvalidOperationException("Confluent.Kafka.Handle has no LibrdkafkaHandle property; the dev broker needs Confluent.Kafka 2.x.");
            var safe = (SafeHandle)(property.GetValue(client.Handle) ?? throw new InvalidOperationException("the client has no native handle"));
            return safe.DangerousGetHandle();
        }

        private static nint Load()
        {
            // Confluent.Kafka picks one of several builds (librdkafka.so, centos8-librdkafka.so, ...) by
            // what loads on this system; open the very file it mapped so dlopen hands back the same copy.
            foreach (var path in LoadedLibrdkafkaPaths())
            {
                if (NativeLibrary.TryLoad(path, out var loaded))
                {
                    return loaded;
                }
            }

            if (NativeLibrary.TryLoad("librdkafka", typeof(Handle).Assembly, null, out var handle))
            {
                return handle;
            }

            throw new DllNotFoundException("The librdkafka that Confluent.Kafka loaded could not be opened for the mock cluster API.");
        }

        private static IEnumerable<string> LoadedLibrdkafkaPaths()
        {
            const string maps = "/proc/self/maps";
            if (!File.Exists(maps))
            {
                return [];
            }

            return File.ReadLines(maps)
                .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                .Where(fields => fields.Length >= 6 && fields[^1].Contains("rdkafka", StringComparison.Ordinal) && fields[^1].StartsWith('/'))
                .Select(fields => fields[^1])
                .Distinct()
                .ToList();
        }

        private static nint Export(string name) => NativeLibrary.GetExport(Library, name);
    }
}
