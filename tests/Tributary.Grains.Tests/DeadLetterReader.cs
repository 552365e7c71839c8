using System.Text;
using Confluent.Kafka;
using Tributary.Grains.Segments;

namespace Tributary.Grains.Tests;

/// <summary>Reads the reasons of a sink's dead letters back from Kafka (the sink tests' shared check).</summary>
internal static class DeadLetterReader
{
    /// <summary>Reads up to <paramref name="count"/> reasons from partition 0 of <paramref name="topic"/>, giving up after <paramref name="deadline"/>.</summary>
    public static List<string> ReadReasons(string bootstrap, string topic, int count, TimeSpan deadline)
    {
        using var consumer = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig
        {
            BootstrapServers = bootstrap,
            GroupId = "dl-" + Guid.NewGuid().ToString("N"),
            AutoOffsetReset = AutoOffsetReset.Earliest,
        }).Build();
        consumer.Assign(new TopicPartitionOffset(topic, 0, Offset.Beginning));
        var reasons = new List<string>();
        var until = DateTime.UtcNow + deadline;
        while (reasons.Count < count && DateTime.UtcNow < until)
        {
            var result = consumer.Consume(TimeSpan.FromMilliseconds(200));
            if (result?.Message is { } message)
            {
                reasons.Add(Encoding.UTF8.GetString(message.Headers.GetLastBytes(DeadLetterProducer.ReasonHeader)));
            }
        }

        return reasons;
    }
}
