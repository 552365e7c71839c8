using System.Diagnostics;
using System.Text.Json;
using Confluent.Kafka;
using Tributary.Cli.Generate;
using Tributary.Grains.Streaming;
using Tributary.Streaming.Kafka.DevBroker;

namespace Tributary.Cli.Bench;

/// <summary>
/// <c>bench stream</c>: events/s delivered to the per-partition grains through the Kafka stream provider,
/// against a plain Confluent consumer reading the same topic in the same run. Both rates are measured
/// over the same window (from 10% to 100% of the events) so start-up costs do not skew the ratio.
/// </summary>
internal static class StreamBench
{
    private const string Topic = "bench_stream";
    private const int Partitions = 16;

    public static async Task<string> RunAsync(BenchSettings settings, CancellationToken cancellationToken)
    {
        var events = settings.Events ?? 2_000_000;
        using var cluster = MockKafkaCluster.Start(3);
        cluster.CreateTopic(Topic, Partitions);
        var produceWatch = Stopwatch.StartNew();
        using (var writer = new KafkaEventWriter(cluster.BootstrapServers, Topic, new Dictionary<string, string> { ["compression.type"] = "lz4" }))
        {
            var generator = new PinEngagementGenerator(new GeneratorOptions { Seed = 7 });
            for (long i = 0; i < events; i++)
            {
                var e = generator.Next();
                writer.Write(e.Key, e.Value);
            }

            writer.Flush(TimeSpan.FromMinutes(2));
            if (writer.Delivered != events)
            {
                throw new InvalidOperationException($"produced {writer.Delivered} of {events} events: {writer.LastError}");
            }
        }

        await Console.Error.WriteLineAsync($"stream: produced {events:N0} events in {produceWatch.Elapsed.TotalSeconds:0.0} s");
        var raw = RawConsumerRate(cluster.BootstrapServers, events);
        await Console.Error.WriteLineAsync($"stream: raw Confluent consumer {raw:N0} events/s");
        var provider = await ProviderRateAsync(cluster.BootstrapServers, events, settings.BatchSize, cancellationToken);
        await Console.Error.WriteLineAsync($"stream: provider to grains {provider:N0} events/s");
        return JsonSerializer.Serialize(new
        {
            scenario = "stream",
            events,
            partitions = Partitions,
            batch_size = settings.BatchSize,
            events_per_s = Math.Round(provider),
            raw_events_per_s = Math.Round(raw),
            ratio = Math.Round(provider / raw, 3),
        });
    }

    private static double RawConsumerRate(string bootstrap, long events)
    {
        var config = new ConsumerConfig
        {
            BootstrapServers = bootstrap,
            GroupId = "bench-raw",
            EnableAutoCommit = false,
            AutoOffsetReset = AutoOffsetReset.Earliest,
            FetchWaitMaxMs = 50,
            QueuedMinMessages = 20_000,
        };
        using var consumer = new ConsumerBuilder<byte[]?, byte[]?>(config).SetLogHandler((_, _) => { }).Build();
        consumer.Assign(Enumerable.Range(0, Partitions).Select(p => new TopicPartitionOffset(Topic, p, Offset.Beginning)));
        var window = new RateWindow(events);
        long seen = 0;
        while (seen < events)
        {
            if (consumer.Consume(1000) is { } result)
            {
                // Touch what a real consumer touches, so the peer is not cheaper than any useful work.
                _ = result.Message.Value?.Length;
                window.Observe(++seen);
            }
        }

        return window.Rate;
    }

    private static async Task<double> ProviderRateAsync(string bootstrap, long events, int batchSize, CancellationToken cancellationToken)
    {
        var app = EmbeddedSilo.Build("embedded", new Dictionary<string, string?>
        {
            ["Tributary:HttpUrls"] = $"http://127.0.0.1:{EmbeddedSilo.FreePort()}",
            ["Tributary:SiloPort"] = EmbeddedSilo.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Tributary:GatewayPort"] = EmbeddedSilo.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Tributary:Kafka:DevBroker:Enabled"] = "false",
            ["Tributary:Kafka:BootstrapServers"] = bootstrap,
            ["Tributary:Streams:stats:Topics:0"] = Topic,
            ["Tributary:Streams:stats:StreamNamespace"] = PartitionStatsGrain.StreamNamespace,
            ["Tributary:Streams:stats:ConsumerGroup"] = "bench-provider",
            ["Tributary:Streams:stats:BatchSize"] = batchSize.ToString(System.Globalization.CultureInfo.InvariantCulture),
        }, quiet: true);
        await app.StartAsync(cancellationToken);
        try
        {
            var client = app.Services.GetRequiredService<IClusterClient>();
            var grains = Enumerable.Range(0, Partitions).Select(p => client.GetGrain<IPartitionStatsGrain>(TopicPartitionKey.Format(Topic, p))).ToArray();
            var window = new RateWindow(events);
            var deadline = Stopwatch.StartNew();
            long total = 0;
            while (total < events)
            {
                if (deadline.Elapsed > TimeSpan.FromMinutes(2))
                {
                    throw new TimeoutException($"the provider delivered {total:N0} of {events:N0} events within 2 minutes");
                }

                var stats = await Task.WhenAll(grains.Select(g => g.GetStatsAsync().AsTask()));
                total = stats.Sum(s => s.Records);
                window.Observe(total);
                await Task.Delay(5, cancellationToken);
            }

            return window.Rate;
        }
        finally
        {
            await app.StopAsync(CancellationToken.None);
            await app.DisposeAsync();
        }
    }

    /// <summary>Rate over the part of the run between 10% and 100% of the events.</summary>
    private sealed class RateWindow(long events)
    {
        private readonly long _startAt = events / 10;
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private long _startCount = -1;
        private double _startSeconds;
        private double _endSeconds;
        private long _endCount;

        public void Observe(long count)
        {
            if (_startCount < 0 && count >= _startAt)
            {
                _startCount = count;
                _startSeconds = _clock.Elapsed.TotalSeconds;
            }

            _endCount = count;
            _endSeconds = _clock.Elapsed.TotalSeconds;
        }

        public double Rate => _endSeconds > _startSeconds ? (_endCount - _startCount) / (_endSeconds - _startSeconds) : double.NaN;
    }
}
