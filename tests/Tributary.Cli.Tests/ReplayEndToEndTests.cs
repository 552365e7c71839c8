using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Tributary.Cli.Commands;
using Tributary.Storage;
using Tributary.Storage.Archive;
using Tributary.TestKit;
using Tributary.Unified.Tests;

namespace Tributary.Cli.Tests;

/// <summary>
/// A topic on the mock cluster (keyed JSON events, late and malformed ones among them, headers on some) whose partitions are
/// archived up to different offsets; the rest is only in Kafka.
/// </summary>
public sealed class ReplayTopicFixture : IAsyncLifetime
{
    public const int Partitions = 4;
    public const long StartMs = 1_796_000_000_000;

    public ReplayTopicFixture()
    {
        Store = new LocalDirectoryObjectStore(Directory);
    }

    public UnifiedTopic Topic { get; private set; } = null!;

    public string Directory { get; } = Path.Combine(Path.GetTempPath(), $"replay-e2e-{Guid.NewGuid():N}");

    public IObjectStore Store { get; }

    /// <summary>Per partition the first offset not archived (partition 0 has no archive at all).</summary>
    public Dictionary<int, long> Cuts { get; } = Enumerable.Range(0, Partitions).ToDictionary(p => p, p => (long)(p * 130));

    public async ValueTask InitializeAsync()
    {
        Topic = UnifiedTopic.Produce(Partitions, count: 2000, StartMs);
        await Topic.ArchiveAsync(Store, UnifiedTopic.ArchiveOptions(ArchiveFormat.Raw), p => Cuts[p]);
    }

    public ValueTask DisposeAsync()
    {
        if (System.IO.Directory.Exists(Directory))
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }

        return ValueTask.CompletedTask;
    }
}

/// <summary>
/// <c>tributary replay</c> end to end: archive then live Kafka as JSON lines that equal the Kafka log, seeks and bounds, and a
/// replay process killed with SIGKILL and resumed from the offsets it printed.
/// </summary>
public sealed class ReplayEndToEndTests(ReplayTopicFixture fixture) : IClassFixture<ReplayTopicFixture>
{
    private UnifiedTopic Topic => fixture.Topic;

    [Fact]
    public async Task Run_FromTheBeginningUntilLatest_LinesEqualTheKafkaLogArchiveThenLive()
    {
        var lines = await ReplayAsync(from: null, fromTime: null, untilOffset: null, untilTime: null);

        Assert.Equal(Topic.Records.Select(Expected), Sorted(lines).Select(Line.Of));
        for (var p = 0; p < ReplayTopicFixture.Partitions; p++)
        {
            var ofPartition = lines.Where(l => l.Partition == p).ToList();
            Assert.Equal(ofPartition.OrderBy(l => l.Offset).Select(l => l.Offset), ofPartition.Select(l => l.Offset));
            Assert.All(ofPartition, l => Assert.Equal(l.Offset < fixture.Cuts[p] ? "archive" : "live", l.Phase));
        }
    }

    [Fact]
    public async Task Run_FromOffsets_StartsThereInTheArchiveAndInKafka()
    {
        var lines = await ReplayAsync(from: "1:40,2:300", fromTime: null, untilOffset: null, untilTime: null);

        var start = new Dictionary<int, long> { [1] = 40, [2] = 300 };
        Assert.Equal(
            Topic.Records.Where(r => r.Offset >= start.GetValueOrDefault(r.Partition)).Select(Expected),
            Sorted(lines).Select(Line.Of));
        Assert.Equal("archive", lines.First(l => l.Partition == 1).Phase);
        Assert.Equal("live", lines.First(l => l.Partition == 2).Phase);
    }

    [Theory]
    [InlineData(150)]   // archived in partitions 2 and 3, live in 0 and 1
    [InlineData(1500)]  // live everywhere
    public async Task Run_FromTime_EqualsTheFirstRecordAtOrAfterItPerPartition(int second)
    {
        var time = DateTimeOffset.FromUnixTimeMilliseconds(ReplayTopicFixture.StartMs + (second * 1000L) + 500);
        var lines = await ReplayAsync(from: null, fromTime: time.ToString("O", CultureInfo.InvariantCulture), untilOffset: null, untilTime: null);

        var expected = Topic.Records.GroupBy(r => r.Partition).SelectMany(g => g.SkipWhile(r => r.TimestampMs < time.ToUnixTimeMilliseconds()));
        Assert.Equal(expected.Select(Expected), Sorted(lines).Select(Line.Of));
    }

    [Fact]
    public async Task Run_UntilOffsetsAndUntilTime_EndBeforeThem()
    {
        // Inside partition 1's and 2's archive, in Kafka past the archive, and the last offset of partition 3.
        long[] wanted = [10, 100, 200, long.MaxValue];
        var until = Enumerable.Range(0, ReplayTopicFixture.Partitions).ToDictionary(p => p, p => Math.Min(wanted[p], Topic.Of(p).Count() - 1));
        var byOffset = await ReplayAsync(from: null, fromTime: null, untilOffset: string.Join(',', until.Select(u => string.Create(CultureInfo.InvariantCulture, $"{u.Key}:{u.Value}"))), untilTime: null);
        Assert.Equal(Topic.Records.Where(r => r.Offset < until[r.Partition]).Select(Expected), Sorted(byOffset).Select(Line.Of));

        var time = ReplayTopicFixture.StartMs + (900 * 1000L) + 500;
        var byTime = await ReplayAsync(from: null, fromTime: null, untilOffset: null, untilTime: DateTimeOffset.FromUnixTimeMilliseconds(time).ToString("O", CultureInfo.InvariantCulture));
        var expected = Topic.Records.GroupBy(r => r.Partition).SelectMany(g => g.TakeWhile(r => r.TimestampMs < time));
        Assert.Equal(expected.Select(Expected), Sorted(byTime).Select(Line.Of));
    }

    [Fact]
    public async Task Run_ParquetArchiveWithTheArchiversConfig_PrintsTheTypedFieldsOnBothSides()
    {
        var topic = UnifiedTopic.Produce(2, count: 300, ReplayTopicFixture.StartMs);
        var dir = Path.Combine(fixture.Directory, "parquet");
        var store = new LocalDirectoryObjectStore(dir);
        await topic.ArchiveAsync(store, UnifiedTopic.ArchiveOptions(ArchiveFormat.Parquet), _ => 100);
        var config = Path.Combine(fixture.Directory, "archive.json");
        await File.WriteAllTextAsync(config, """
            {"Tributary":{"Archive":{"Format":"Parquet","Fields":[
              {"Name":"i","Type":"Long","Required":true},{"Name":"pin_id","Type":"String"},{"Name":"ts","Type":"Timestamp"},{"Name":"score","Type":"Double"}]}}}
            """, TestContext.Current.CancellationToken);
        var options = ReplayCommand.Build(topic.Topic, KafkaTestCluster.BootstrapServers, null, null, null, null, true, null, ReplayCommand.LoadArchiveOptions(config));
        var output = new StringWriter();

        Assert.Equal(0, await ReplayCommand.RunAsync(store, options, output, TextWriter.Null, TestContext.Current.CancellationToken));

        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();
        Assert.Equal(topic.Records.Count, lines.Count);
        var truth = topic.Records.ToDictionary(r => (r.Partition, r.Offset));
        foreach (var line in lines)
        {
            var produced = truth[(line.GetProperty("partition").GetInt32(), line.GetProperty("offset").GetInt64())];
            if (line.GetProperty("dead_letter").ValueKind == JsonValueKind.String)
            {
                Assert.Equal(Encoding.UTF8.GetString(produced.Value), line.GetProperty("value").GetString());
                continue;
            }

            using var json = JsonDocument.Parse(produced.Value);
            var fields = line.GetProperty("fields");
            Assert.Equal(json.RootElement.GetProperty("i").GetInt64(), fields.GetProperty("i").GetInt64());
            Assert.Equal(json.RootElement.GetProperty("pin_id").GetString(), fields.GetProperty("pin_id").GetString());
            Assert.Equal(json.RootElement.GetProperty("score").GetDouble(), fields.GetProperty("score").GetDouble());
            Assert.Equal(DateTimeOffset.Parse(json.RootElement.GetProperty("ts").GetString()!, CultureInfo.InvariantCulture), fields.GetProperty("ts").GetDateTimeOffset());
        }

        Assert.Contains(lines, l => l.GetProperty("phase").GetString() == "archive");
        Assert.Contains(lines, l => l.GetProperty("phase").GetString() == "live");
    }

    [Fact]
    public void LoadArchiveOptions_MissingFileOrSection_NamesTheOption()
    {
        Assert.StartsWith("--archive-config", Assert.Throws<FormatException>(() => ReplayCommand.LoadArchiveOptions(Path.Combine(fixture.Directory, "nope.json"))).Message, StringComparison.Ordinal);
        var empty = Path.Combine(fixture.Directory, "empty.json");
        File.WriteAllText(empty, """{"Tributary":{}}""");
        Assert.StartsWith("--archive-config", Assert.Throws<FormatException>(() => ReplayCommand.LoadArchiveOptions(empty)).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--from-offset", "0-5")]
    [InlineData("--from-time", "half past noon")]
    [InlineData("--until-offset", "x:1")]
    [InlineData("--partitions", "0,b")]
    public async Task Command_MalformedSeekArgument_ExitsWithTwoNamingTheOption(string option, string value)
    {
        var (code, stdout, stderr) = await RunProcessAsync(["replay", "--topic", Topic.Topic, "--local-store", fixture.Directory, "--bootstrap-servers", KafkaTestCluster.BootstrapServers, option, value]);

        Assert.Equal(2, code);
        Assert.Contains(option, stderr, StringComparison.Ordinal);
        Assert.Equal(string.Empty, stdout);
    }

    [Fact, Trait("Category", "Slow")]
    public async Task Command_KilledMidReplayThenResumedFromThePrintedOffsets_LosesAndDuplicatesNothing()
    {
        string[] common = ["replay", "--topic", Topic.Topic, "--local-store", fixture.Directory, "--bootstrap-servers", KafkaTestCluster.BootstrapServers, "--until-latest"];
        var first = new List<Line>();
        using (var child = Start(common))
        {
            // Only whole lines count: the kill can cut the last one. The pipe fills when the test stops reading, so the
            // replay is blocked mid-stream, not finished, when it is killed.
            var reader = new LineReader(child.StandardOutput.BaseStream);
            while (first.Count < 700 && await reader.ReadLineAsync() is { } text)
            {
                first.Add(Line.Parse(text));
            }

            child.Kill();
            await child.WaitForExitAsync(TestContext.Current.CancellationToken);
            Assert.NotEqual(0, child.ExitCode);
        }

        Assert.Equal(700, first.Count);
        var resume = string.Join(',', first.GroupBy(l => l.Partition).Select(g => string.Create(CultureInfo.InvariantCulture, $"{g.Key}:{g.Max(l => l.Offset) + 1}")));
        var (code, stdout, stderr) = await RunProcessAsync([.. common, "--from-offset", resume]);
        Assert.True(code == 0, stderr);
        var rest = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(Line.Parse).ToList();

        Assert.Equal(Topic.Records.Select(Expected), Sorted([.. first, .. rest]).Select(Line.Of));
    }

    private async Task<List<Line>> ReplayAsync(string? from, string? fromTime, string? untilOffset, string? untilTime)
    {
        var options = ReplayCommand.Build(Topic.Topic, KafkaTestCluster.BootstrapServers, from, fromTime, untilOffset, untilTime, untilOffset is null && untilTime is null, null);
        options.ManifestPollInterval = TimeSpan.FromMilliseconds(50);
        var output = new StringWriter();
        var progress = new StringWriter();
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(TimeSpan.FromMinutes(3));
        Assert.Equal(0, await ReplayCommand.RunAsync(fixture.Store, options, output, progress, cts.Token));
        Assert.EndsWith("done", progress.ToString().TrimEnd(), StringComparison.Ordinal);
        return [.. output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(Line.Parse)];
    }

    private static List<Line> Sorted(IEnumerable<Line> lines) => [.. lines.OrderBy(l => l.Partition).ThenBy(l => l.Offset)];

    /// <summary>
    /// The line a Kafka record should print as. A malformed event (no event time) is a dead letter, yielded with its key and
    /// value and no headers on both sides of the switch, because the archive's dead-letter objects keep no headers.
    /// </summary>
    private static string Expected(Produced r)
    {
        var value = Encoding.UTF8.GetString(r.Value);
        var deadLetter = value.StartsWith("not json", StringComparison.Ordinal);
        var headers = r.Headers is null || deadLetter ? string.Empty : string.Join(';', r.Headers.Select(h => $"{h.Key}={(h.Value is null ? null : Encoding.UTF8.GetString(h.Value))}"));
        return string.Create(CultureInfo.InvariantCulture, $"{r.Partition}@{r.Offset} t={r.TimestampMs} k={Encoding.UTF8.GetString(r.Key)} v={value} h={headers} dl={deadLetter}");
    }

    private static Process Start(IEnumerable<string> args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "tributary.dll"));
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        var process = Process.Start(info)!;
        process.ErrorDataReceived += (_, _) => { };
        process.BeginErrorReadLine();
        return process;
    }

    private static async Task<(int Code, string Stdout, string Stderr)> RunProcessAsync(IEnumerable<string> args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "tributary.dll"));
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(TimeSpan.FromMinutes(3));
        var stdout = process.StandardOutput.ReadToEndAsync(cts.Token);
        var stderr = process.StandardError.ReadToEndAsync(cts.Token);
        await process.WaitForExitAsync(cts.Token);
        return (process.ExitCode, await stdout, await stderr);
    }

    /// <summary>One printed record.</summary>
    private sealed record Line(int Partition, long Offset, long Timestamp, string? Key, string? Value, string Headers, string Phase, bool DeadLetter)
    {
        public static Line Parse(string json)
        {
            using var doc = JsonDocument.Parse(json);
            var root = doc.RootElement;
            var headers = root.GetProperty("headers").ValueKind == JsonValueKind.Null
                ? string.Empty
                : string.Join(';', root.GetProperty("headers").EnumerateArray().Select(h => $"{h.GetProperty("key").GetString()}={h.GetProperty("value").GetString()}"));
            return new Line(
                root.GetProperty("partition").GetInt32(), root.GetProperty("offset").GetInt64(), root.GetProperty("timestamp").GetInt64(),
                root.GetProperty("key").GetString(), root.GetProperty("value").GetString(), headers, root.GetProperty("phase").GetString()!,
                root.GetProperty("dead_letter").ValueKind == JsonValueKind.String);
        }

        public static string Of(Line l) => string.Create(CultureInfo.InvariantCulture, $"{l.Partition}@{l.Offset} t={l.Timestamp} k={l.Key} v={l.Value} h={l.Headers} dl={l.DeadLetter}");
    }

    /// <summary>Reads lines ended by '\n' only: a line a kill cut short is never returned.</summary>
    private sealed class LineReader(Stream stream)
    {
        private readonly byte[] _buffer = new byte[64 * 1024];
        private readonly List<byte> _line = [];
        private int _length;
        private int _position;

        public async Task<string?> ReadLineAsync()
        {
            while (true)
            {
                while (_position < _length)
                {
                    var b = _buffer[_position++];
                    if (b == (byte)'\n')
                    {
                        var text = Encoding.UTF8.GetString([.. _line]);
                        _line.Clear();
                        return text;
                    }

                    _line.Add(b);
                }

                _length = await stream.ReadAsync(_buffer);
                _position = 0;
                if (_length == 0)
                {
                    return null;
                }
            }
        }
    }
}
