using System.Diagnostics;
using System.Text.Json;
using Confluent.Kafka;
using Tributary.Cli.Generate;
using Tributary.Grains.Streaming;
using Tributary.Kafka.DevBroker;

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
        // librdkafka's mock broker keeps at most 5 MB or 100,000 records per partition and truncates older
        // ones (hot Zipf partitions hit that), so each round uses a fresh topic and both consumers read
        // exactly what the broker retained; the median round is reported.
        var events = settings.Events ?? 300_000;
        const int rounds = 3;
        using var cluster = MockKafkaCluster.Start(3);
        var raw = new List<double>();
        var provider = new List<double>();
        for (var round = 0; round < rounds; round++)
        {
            var topic = $"{Topic}-{round}";
            cluster.CreateTopic(topic, Partitions);
            var produceWatch = Stopwatch.StartNew();
            using (var writer = new KafkaEventWriter(cluster.BootstrapServers, topic))
            {
                var generator = new PinEngagementGenerator(new GeneratorOptions { Seed = 7 + round });
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

            var retained = Retained(cluster.BootstrapServers, topic);
            raw.Add(RawConsumerRate(cluster.BootstrapServers, topic, retained));
            provider.Add(await ProviderRateAsync(cluster.BootstrapServers, topic, retained, settings.BatchSize, cancellationToken));
            await Console.Error.WriteLineAsync($"stream round {round + 1}/{rounds}: produced {events:N0} in {produceWatch.Elapsed.TotalSeconds:0.0} s ({retained:N0} retained by the broker); raw consumer {raw[^1]:N0}/s, provider to grains {provider[^1]:N0}/s");
        }

        var rawMedian = Median(raw);
        var providerMedian = Median(provider);
        return JsonSerializer.Serialize(new
        {
            scenario = "stream",
            events_per_round = events,
            rounds,
            partitions = Partitions,
            batch_size = settings.BatchSize,
            events_per_s = Math.Round(providerMedian),
            raw_events_per_s = Math.Round(rawMedian),
            ratio = Math.Round(providerMedian / rawMedian, 3),
        });
    }

    private static long Retained(string bootstrap, string topic)
    {
        using var consumer = new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig { BootstrapServers = bootstrap, GroupId = "bench-watermarks" })
            .SetLogHandler((_, _) => { }).Build();
        return Enumerable.Range(0, Partitions)
            .Select(p => consumer.QueryWatermarkOffsets(new TopicPartition(topic, p), TimeSpan.FromSeconds(10)))
            .Sum(w => w.High.Value - w.Low.Value);
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted[sorted.Count / 2];
    }

    private static double RawConsumerRate(string bootstrap, string topic, long events)
    {
        // ConsumerConfig wraps the dictionary it is given: copy, or the provider would inherit group.id and friends.
        var config = new ConsumerConfig(BenchFetch.Copy())
        {
            BootstrapServers = bootstrap,
            GroupId = "bench-raw",
            EnableAutoCommit = false,
            AutoOffsetReset = AutoOffsetReset.Earliest,
        };
        using var consumer = new ConsumerBuilder<byte[]?, byte[]?>(config).SetLogHandler((_, _) => { }).Build();
        consumer.Assign(Enumerable.Range(0, Partitions).Select(p => new TopicPartitionOffset(topic, p, Offset.Beginning)));
        var window = new RateWindow(events);
        long seen = 0;
        var stall = Stopwatch.StartNew();
        while (seen < events)
        {
            if (stall.Elapsed > TimeSpan.FromSeconds(30))
            {
                throw new TimeoutException($"the raw consumer stalled at {seen:N0} of {events:N0} events");
            }

            if (consumer.Consume(1000) is { } result)
            {
                // Touch what a real consumer touches, so the peer is not cheaper than any useful work.
                _ = result.Message.Value?.Length;
                window.Observe(++seen);
                stall.Restart();
            }
        }

        return window.Rate;
    }

    private static async Task<double> ProviderRateAsync(string bootstrap, string topic, long events, int batchSize, CancellationToken cancellationToken)
    {
        var overrides = new Dictionary<string, string?>
        {
            ["Tributary:HttpUrls"] = $"http://127.0.0.1:{EmbeddedSilo.FreePort()}",
            ["Tributary:SiloPort"] = EmbeddedSilo.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Tributary:GatewayPort"] = EmbeddedSilo.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Tributary:Kafka:DevBroker:Enabled"] = "false",
            ["Tributary:Kafka:BootstrapServers"] = bootstrap,
            ["Tributary:Streams:stats:Topics:0"] = topic,
            ["Tributary:Streams:stats:StreamNamespace"] = PartitionStatsGrain.StreamNamespace,
            ["Tributary:Streams:stats:ConsumerGroup"] = "bench-provider",
            ["Tributary:Streams:stats:BatchSize"] = batchSize.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        BenchFetch.AddTo(overrides);
        EmbeddedSilo.KeepOnlyStreams(overrides, "stats");

        var app = EmbeddedSilo.Build("embedded", overrides, quiet: true);
        await app.StartAsync(cancellationToken);
        try
        {
            var client = app.Services.GetRequiredService<IClusterClient>();
            var grains = Enumerable.Range(0, Partitions).Select(p => client.GetGrain<IPartitionStatsGrain>(TopicPartitionKey.Format(topic, p))).ToArray();
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
