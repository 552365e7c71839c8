using Confluent.Kafka;
using ErrorCode = Confluent.Kafka.ErrorCode;

namespace Tributary.Agent.Producing;

/// <summary>Loads a topic's layout: partitions and leaders from Confluent metadata, racks from <see cref="BrokerRackDiscovery"/>.</summary>
internal static class TopicLayoutSource
{
    public static async Task<TopicLayout> LoadAsync(ProducerPool.Lease lease, string topic, bool wantRacks, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            // GetMetadata blocks; a producer's metadata request auto-creates a missing topic where the cluster allows it.
            var metadata = await Task.Run(() => lease.Admin.GetMetadata(topic, TimeSpan.FromSeconds(5)), cancellationToken).ConfigureAwait(false);
            var described = metadata.Topics.FirstOrDefault(t => t.Topic == topic);
            if (described is { Error.IsError: false, Partitions.Count: > 0 } && described.Partitions.All(p => p.Leader >= 0))
            {
                var leaders = new int[described.Partitions.Count];
                foreach (var p in described.Partitions)
                {
                    leaders[p.PartitionId] = p.Leader;
                }

                IReadOnlyDictionary<int, string> racks = new Dictionary<int, string>();
                if (wantRacks && lease.SecurityProtocol.Equals("plaintext", StringComparison.OrdinalIgnoreCase))
                {
                    racks = await BrokerRackDiscovery.DiscoverAsync(lease.BootstrapServers, TimeSpan.FromSeconds(5), cancellationToken).ConfigureAwait(false);
                }
                else if (wantRacks)
                {
                    var cluster = await lease.Admin.DescribeClusterAsync(new Confluent.Kafka.Admin.DescribeClusterOptions { RequestTimeout = TimeSpan.FromSeconds(10) }).ConfigureAwait(false);
                    racks = cluster.Nodes.Where(n => !string.IsNullOrEmpty(n.Rack)).ToDictionary(n => n.Id, n => n.Rack);
                }

                return new TopicLayout(topic, leaders, racks);
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new KafkaException(new Error(described?.Error.Code ?? ErrorCode.UnknownTopicOrPart, $"topic '{topic}' has no usable metadata (error {described?.Error.Reason ?? "topic missing"})"));
            }

            await Task.Delay(200, cancellationToken).ConfigureAwait(false);
        }
    }
}
