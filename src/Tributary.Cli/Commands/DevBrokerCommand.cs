using System.CommandLine;
using Tributary.Silo;
using Tributary.Kafka.DevBroker;

namespace Tributary.Cli.Commands;

/// <summary><c>tributary dev-broker</c>: hosts librdkafka's mock Kafka cluster until stopped.</summary>
internal static class DevBrokerCommand
{
    public static Command Create()
    {
        var brokers = new Option<int>("--brokers") { Description = "Mock brokers to start.", DefaultValueFactory = _ => 3 };
        var topics = new Option<string[]>("--topic") { Description = "Topic to create, as name:partitions (repeatable).", AllowMultipleArgumentsPerToken = false, DefaultValueFactory = _ => ["pin_engagement:16"] };
        var command = new Command("dev-broker", "Host a Kafka-protocol mock cluster (librdkafka) on 127.0.0.1 and print its bootstrap servers.") { brokers, topics };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var specs = new List<DevBrokerTopic>();
            foreach (var spec in parse.GetValue(topics) ?? [])
            {
                if (!DevBrokerTopic.TryParse(spec, out var topic))
                {
                    await Console.Error.WriteLineAsync($"--topic '{spec}' is not name:partitions.");
                    return 2;
                }

                specs.Add(topic);
            }

            var count = parse.GetValue(brokers);
            if (count is < 1 or > 16)
            {
                await Console.Error.WriteLineAsync($"--brokers must be between 1 and 16 (was {count}).");
                return 2;
            }

            using var cluster = MockKafkaCluster.Start(count);
            foreach (var topic in specs)
            {
                cluster.CreateTopic(topic.Name, topic.Partitions);
            }

            Console.WriteLine(cluster.BootstrapServers);
            await Console.Error.WriteLineAsync($"dev broker: {count} brokers, topics {string.Join(", ", specs.Select(t => $"{t.Name}:{t.Partitions}"))}; Ctrl-C to stop");
            try
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                // Ctrl-C
            }

            return 0;
        });
        return command;
    }
}
