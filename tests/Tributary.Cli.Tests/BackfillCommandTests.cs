using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Confluent.Kafka;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Tributary.Archive;
using Tributary.Cli.Commands;
using Tributary.Kafka;
using Tributary.Kafka.DevBroker;
using Tributary.Segments;
using Tributary.Segments.Schema;
using Tributary.Silo;
using Tributary.Storage;
using Tributary.TestKit;

namespace Tributary.Cli.Tests;

/// <summary>
/// <c>tributary backfill</c> against an embedded silo that ingests generated events live into segments and archives them
/// (Raw format) at the same time: the rebuilt segments answer native queries exactly as the live ones.
/// </summary>
[Collection(nameof(SiloCollection))]
public sealed class BackfillCommandTests : IDisposable
{
    private const string Topic = "pin_engagement";
    private const int Partitions = 16;
    private const long Hour = 3_600_000;
    private readonly string _root = Path.Combine(Path.GetTempPath(), $"backfill-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    [Fact, Trait("Category", "Slow")]
    public async Task Run_NewDatasourceAndReplacedHours_AnswersEqualTheLiveSegmentsAndNothingTwice()
    {
        var ct = TestContext.Current.CancellationToken;
        var specs = Path.Combine(_root, "datasources");
        Directory.CreateDirectory(specs);
        var live = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "silo-config", "datasources", "pin_engagement.json"));
        File.WriteAllText(Path.Combine(specs, "pin_engagement.json"), live);

        // A datasource no live sink fills (no stream reads its topic): it exists only through backfills.
        var history = JsonNode.Parse(live)!;
        history["name"] = "pin_history";
        history["topic"] = "pin_history";
        File.WriteAllText(Path.Combine(specs, "pin_history.json"), history.ToJsonString());
        var archiveDir = Path.Combine(_root, "archive");
        var overrides = SiloSettings.Embedded(Path.Combine(_root, "segments"));
        overrides["Tributary:Segments:DatasourcesPath"] = specs;
        overrides["Tributary:Archive:Store:LocalPath"] = archiveDir;
        overrides["Tributary:Archive:Format"] = "Raw";
        await using var app = TributarySiloHost.Build(["--profile", "embedded"], c => c.AddInMemoryCollection(overrides));
        await app.StartAsync(ct);
        try
        {
            var grains = app.Services.GetRequiredService<IClusterClient>();
            var broker = app.Services.GetRequiredService<MockKafkaCluster>();
            var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / Hour * Hour;
            var (start, end) = (now - (2 * Hour), now);
            var events = Produce(broker.BootstrapServers, now);
            var expected = events.Count(e => e.Valid && e.TimeMs >= start && e.TimeMs < end);

            await Eventually.HoldsAsync(
                async () => (await Task.WhenAll(Enumerable.Range(0, Partitions).Select(p => grains.GetGrain<ISegmentIngestGrain>(TopicPartitionKey.Format(Topic, p)).GetStatusAsync().AsTask()))).Sum(s => s.NextOffset),
                next => next == events.Count, TimeSpan.FromSeconds(90), $"{events.Count} records through the segment sink");
            var archives = Enumerable.Range(0, Partitions).Select(p => grains.GetGrain<IArchiveIngestGrain>(TopicPartitionKey.Format(Topic, p))).ToArray();
            await Eventually.HoldsAsync(
                async () => (await Task.WhenAll(archives.Select(a => a.GetStatusAsync().AsTask()))).Sum(s => s.NextOffset),
                next => next == events.Count, TimeSpan.FromSeconds(90), $"{events.Count} records through the archive sink");
            foreach (var archive in archives)
            {
                await archive.FlushAsync();
            }

            var specsByName = DatasourceSpecLoader.LoadDirectory(specs);
            var interval = Interval(start, end);
            var store = new LocalDirectoryObjectStore(archiveDir);

            // While the live segments of the hours are open, they cannot be overshadowed: they still take events.
            var open = await Assert.ThrowsAsync<InvalidOperationException>(() => BackfillCommand.RunAsync(grains, store, BackfillCommand.Build(specsByName, "pin_engagement", interval, null, 500, broker.BootstrapServers, null), TextWriter.Null, ct));
            Assert.Contains("still open", open.Message, StringComparison.Ordinal);
            Assert.All((await grains.GetGrain<IDatasourceCatalogGrain>(Topic).GetTimelineAsync()).Segments, s => Assert.Equal(0, s.Version));

            // The hours close (their late window would pass): the live segments seal.
            var liveTimeline = await grains.GetGrain<IDatasourceCatalogGrain>(Topic).GetTimelineAsync();
            foreach (var entry in liveTimeline.Segments)
            {
                await grains.GetGrain<ISegmentGrain>(entry.Key).SealAsync();
            }

            var liveInInterval = liveTimeline.Segments.Count(s => s.StartMs >= start && s.StartMs < end);
            Assert.True(liveInInterval > Partitions, $"live segments in the interval: {liveInInterval}");
            var queries = Queries(start, end);
            var liveAnswers = await AnswersAsync(grains, "pin_engagement", queries);
            Assert.Equal(expected, SumOfCount(liveAnswers[0]));
            Assert.Equal(0, SumOfCount((await AnswersAsync(grains, "pin_history", queries))[0]));

            // A new datasource built from another topic's archive.
            var report = await BackfillCommand.RunAsync(grains, store, BackfillCommand.Build(specsByName, "pin_history", interval, Topic, 1000, broker.BootstrapServers, null), TextWriter.Null, ct);
            Assert.True(report.ArchiveRecords > 0, "records read from the archive");
            Assert.Equal(events.Count, report.ArchiveRecords + report.LiveRecords);
            Assert.Equal(expected, report.Events);
            Assert.Equal(events.Count(e => !e.Valid), report.Refused);
            Assert.Equal(0, report.Overshadowed);
            Assert.Equal(liveAnswers, await AnswersAsync(grains, "pin_history", queries));

            // The live datasource's own hours rebuilt: the backfilled version overshadows the live segments.
            report = await BackfillCommand.RunAsync(grains, store, BackfillCommand.Build(specsByName, "pin_engagement", interval, null, 2000, broker.BootstrapServers, null), TextWriter.Null, ct);
            Assert.Equal(liveInInterval, report.Overshadowed);
            Assert.Equal(liveInInterval, report.Segments);
            var timeline = await grains.GetGrain<IDatasourceCatalogGrain>(Topic).GetTimelineAsync();
            Assert.All(timeline.Segments, s => Assert.Equal(s.StartMs >= start && s.StartMs < end ? 2000 : 0, s.Version));
            Assert.Equal(liveAnswers, await AnswersAsync(grains, "pin_engagement", queries));

            // Again, as a newer version, by the command in its own process (an Orleans client through the silo's gateway):
            // still every event once.
            var (code, stdout, stderr) = await RunCommandAsync(
                "backfill", "--datasource", "pin_engagement", "--interval", interval, "--version", "3000", "--datasources", specs,
                "--local-store", archiveDir, "--bootstrap-servers", broker.BootstrapServers, "--gateway-port", overrides["Tributary:GatewayPort"]!);
            Assert.True(code == 0, stderr);
            using (var printed = JsonDocument.Parse(stdout.Trim().Split('\n')[^1]))
            {
                Assert.Equal(3000, printed.RootElement.GetProperty("version").GetInt64());
                Assert.Equal(liveInInterval, printed.RootElement.GetProperty("overshadowed").GetInt32());
                Assert.Equal(expected, printed.RootElement.GetProperty("events").GetInt64());
            }

            Assert.Equal(liveAnswers, await AnswersAsync(grains, "pin_engagement", queries));

            // An older version can no longer be published over a newer one.
            var stale = await Assert.ThrowsAsync<InvalidOperationException>(() => BackfillCommand.RunAsync(grains, store, BackfillCommand.Build(specsByName, "pin_engagement", interval, null, 2500, broker.BootstrapServers, null), TextWriter.Null, ct));
            Assert.Contains("already serves version 3000", stale.Message, StringComparison.Ordinal);
            Assert.Equal(liveAnswers, await AnswersAsync(grains, "pin_engagement", queries));
        }
        finally
        {
            await app.StopAsync(CancellationToken.None);
        }
    }

    [Theory]
    [InlineData("nope", "2026-01-01T00:00Z/PT1H", 1, "--datasource")]
    [InlineData("pin_engagement", "yesterday", 1, "--interval")]
    [InlineData("pin_engagement", "2026-01-01T00:30Z/PT1H", 1, "--interval")]
    [InlineData("pin_engagement", "2026-01-01T00:00Z/2026-01-01T00:00Z", 1, "--interval")]
    [InlineData("pin_engagement", "2026-01-01T00:00Z/PT1H", 0, "--version")]
    public void Build_MalformedArgument_NamesItsOption(string datasource, string interval, long version, string option)
    {
        var specs = DatasourceSpecLoader.LoadDirectory(Path.Combine(AppContext.BaseDirectory, "silo-config", "datasources"));
        var ex = Assert.Throws<FormatException>(() => BackfillCommand.Build(specs, datasource, interval, null, version, "localhost:9092", null));
        Assert.StartsWith(option, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_ValidArguments_ReadTheWholeTopicToItsEndAtOpen()
    {
        var specs = DatasourceSpecLoader.LoadDirectory(Path.Combine(AppContext.BaseDirectory, "silo-config", "datasources"));
        var request = BackfillCommand.Build(specs, "pin_engagement", "2026-01-01T00:00Z/PT2H", null, 7, "b:9092", "tributary-archive");
        Assert.Equal("pin_engagement", request.Source.Topic);
        Assert.Equal(DateTimeOffset.Parse("2026-01-01T00:00Z", CultureInfo.InvariantCulture).ToUnixTimeMilliseconds(), request.StartMs);
        Assert.Equal(request.StartMs + (2 * Hour), request.EndMs);
        Assert.Equal(Unified.UnifiedStart.Beginning, request.Source.Start);
        Assert.Equal(Unified.UnifiedUntil.LatestAtOpen, request.Source.Until);
        Assert.Equal(Storage.Archive.ArchiveFormat.Raw, request.Source.Archive.Format);
        Assert.Equal("tributary-archive", request.Source.ArchiveConsumerGroup);
    }

    private sealed record Event(long TimeMs, bool Valid);

    /// <summary>Keyed events (murmur2 partitions) over four hours before <paramref name="now"/>, with malformed and late ones among them.</summary>
    private static List<Event> Produce(string bootstrap, long now)
    {
        var random = new Random(12);
        string[] actions = ["view", "click", "save", "share"];
        string[] devices = ["ios", "android", "web"];
        var events = new List<Event>();
        using var producer = new ProducerBuilder<byte[], byte[]>(new ProducerConfig { BootstrapServers = bootstrap, LingerMs = 5 }).Build();
        for (var i = 0; i < 3000; i++)
        {
            var pin = random.Next(400).ToString(CultureInfo.InvariantCulture);
            var ts = now - (3 * Hour) + random.NextInt64(3 * Hour);
            var valid = true;
            string json;
            if (i % 97 == 13)
            {
                json = "{\"ts\":\"not a time\",\"pin_id\":\"" + pin + "\"}";
                valid = false;
            }
            else
            {
                if (i > 1000 && i % 101 == 7)
                {
                    // Far behind the partition's watermark by now: late for both the live sink and the backfill.
                    ts = now - (9 * Hour);
                    valid = false;
                }

                var time = DateTimeOffset.FromUnixTimeMilliseconds(ts).ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
                json = $$"""{"ts":"{{time}}","pin_id":"{{pin}}","user_id":"{{random.Next(300)}}","action":"{{actions[random.Next(actions.Length)]}}","device":"{{devices[random.Next(devices.Length)]}}","app_version":"1.{{random.Next(3)}}"}""";
            }

            var key = Encoding.UTF8.GetBytes(pin);
            producer.Produce(new TopicPartition(Topic, new Partition(Murmur2Partitioner.Partition(key, Partitions))), new Message<byte[], byte[]> { Key = key, Value = Encoding.UTF8.GetBytes(json) });
            events.Add(new Event(ts, valid));
        }

        producer.Flush(TimeSpan.FromSeconds(30));
        return events;
    }

    private static async Task<(int Code, string Stdout, string Stderr)> RunCommandAsync(params string[] args)
    {
        var info = new System.Diagnostics.ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "tributary.dll"));
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using var process = System.Diagnostics.Process.Start(info)!;
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(TimeSpan.FromMinutes(3));
        var stdout = process.StandardOutput.ReadToEndAsync(cts.Token);
        var stderr = process.StandardError.ReadToEndAsync(cts.Token);
        await process.WaitForExitAsync(cts.Token);
        return (process.ExitCode, await stdout, await stderr);
    }

    private static string Interval(long start, long end)
        => $"{DateTimeOffset.FromUnixTimeMilliseconds(start):yyyy-MM-dd'T'HH:mm'Z'}/{DateTimeOffset.FromUnixTimeMilliseconds(end):yyyy-MM-dd'T'HH:mm'Z'}";

    private static string[] Queries(long start, long end)
    {
        var interval = JsonSerializer.Serialize(Interval(start, end));
        return
        [
            $$"""{"queryType":"timeseries","dataSource":"DS","intervals":[{{interval}}],"granularity":"all","aggregations":[{"type":"longSum","name":"events","fieldName":"count"},{"type":"count","name":"rows"},{"type":"hyperUnique","name":"users","fieldName":"unique_users"}]}""",
            $$"""{"queryType":"timeseries","dataSource":"DS","intervals":[{{interval}}],"granularity":"minute","aggregations":[{"type":"longSum","name":"events","fieldName":"count"}]}""",
            $$"""{"queryType":"groupBy","dataSource":"DS","intervals":[{{interval}}],"granularity":"hour","dimensions":["action","device"],"aggregations":[{"type":"longSum","name":"events","fieldName":"count"},{"type":"hyperUnique","name":"users","fieldName":"unique_users"}]}""",
            $$"""{"queryType":"groupBy","dataSource":"DS","intervals":[{{interval}}],"granularity":"all","dimensions":["pin_id"],"filter":{"type":"in","dimension":"pin_id","values":["1","7","42","99","250"]},"aggregations":[{"type":"longSum","name":"events","fieldName":"count"}]}""",
        ];
    }

    private static async Task<List<string>> AnswersAsync(IClusterClient grains, string datasource, string[] queries)
    {
        var answers = new List<string>();
        foreach (var query in queries)
        {
            var response = await grains.GetGrain<IQueryBrokerGrain>(0).QueryAsync(Encoding.UTF8.GetBytes(query.Replace("\"DS\"", $"\"{datasource}\"", StringComparison.Ordinal)));
            var body = Encoding.UTF8.GetString(response.Body);
            Assert.True(response.StatusCode == 200, body);
            answers.Add(body);
        }

        return answers;
    }

    private static long SumOfCount(string timeseries)
    {
        using var doc = JsonDocument.Parse(timeseries);
        return doc.RootElement.EnumerateArray().Sum(r => r.GetProperty("result").GetProperty("events").GetInt64());
    }
}
