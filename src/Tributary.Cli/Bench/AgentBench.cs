using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Text.Json;
using Tributary.Agent;
using Tributary.Agent.Options;
using Tributary.Cli.Generate;
using Tributary.Kafka.DevBroker;

namespace Tributary.Cli.Bench;

/// <summary>
/// <c>bench agent</c>: the log agent shipping a generated text log (pin-engagement JSON lines) and the
/// same records as a length-prefixed binary log into the dev broker, against Debian's <c>kcat -P -l</c>
/// shipping the same text file to the same cluster in the same run; then the latency from append to
/// Kafka's acknowledgement while a writer appends 10,000 lines/s. <c>--events</c> is the number of
/// lines (default 1,000,000, about 150 MB; 7,000,000 is about 1 GB).
/// </summary>
internal static class AgentBench
{
    private const int Partitions = 16;
    private const int LatencyLinesPerSecond = 10_000;
    private const int LatencySeconds = 10;

    public static async Task<string> RunAsync(BenchSettings settings, CancellationToken cancellationToken)
    {
        var lines = settings.Events ?? 1_000_000;
        var dir = Directory.CreateTempSubdirectory("tributary-bench-agent-");
        try
        {
            using var cluster = MockKafkaCluster.Start(3);
            var textDir = Directory.CreateDirectory(Path.Combine(dir.FullName, "text")).FullName;
            var binaryDir = Directory.CreateDirectory(Path.Combine(dir.FullName, "binary")).FullName;
            var textPath = Path.Combine(textDir, "events.log");
            var binaryPath = Path.Combine(binaryDir, "events.bin");
            var generate = Stopwatch.StartNew();
            var (textBytes, binaryBytes) = Generate(textPath, binaryPath, lines);
            await Console.Error.WriteLineAsync($"agent bench: generated {lines:N0} lines, text {textBytes / 1e6:N1} MB, binary {binaryBytes / 1e6:N1} MB in {generate.Elapsed.TotalSeconds:0.0} s");

            cluster.CreateTopic("bench_agent_kcat", Partitions);
            cluster.CreateTopic("bench_agent_text", Partitions);
            cluster.CreateTopic("bench_agent_binary", Partitions);
            cluster.CreateTopic("bench_agent_latency", Partitions);

            var kcatSeconds = await RunKcatAsync(cluster.BootstrapServers, "bench_agent_kcat", textPath, cancellationToken);
            await Console.Error.WriteLineAsync($"agent bench: kcat -P -l shipped {textBytes / 1e6:N1} MB in {kcatSeconds:0.00} s: {textBytes / 1e6 / kcatSeconds:N1} MB/s");

            // Warm-up (JIT, first connections) on a copy of the first lines, not measured: kcat is native code.
            var warmDir = Directory.CreateDirectory(Path.Combine(dir.FullName, "warm")).FullName;
            var warmBytes = WarmUpFile(textPath, Path.Combine(warmDir, "warm.log"), 50_000);
            cluster.CreateTopic("bench_agent_warm", Partitions);
            await ShipAsync(cluster.BootstrapServers, dir.FullName, "warm", warmDir, "warm.log", ReaderKind.Text, "bench_agent_warm", warmBytes, cancellationToken);

            using var phases = new PhaseTotals();
            var textSeconds = await ShipAsync(cluster.BootstrapServers, dir.FullName, "text", textDir, "events.log", ReaderKind.Text, "bench_agent_text", textBytes, cancellationToken);
            await Console.Error.WriteLineAsync($"agent bench: agent shipped the text log in {textSeconds:0.00} s: {textBytes / 1e6 / textSeconds:N1} MB/s, {lines / textSeconds:N0} records/s; batch time by phase: {phases.Describe("text")}");

            var binarySeconds = await ShipAsync(cluster.BootstrapServers, dir.FullName, "binary", binaryDir, "events.bin", ReaderKind.Binary, "bench_agent_binary", binaryBytes, cancellationToken);
            await Console.Error.WriteLineAsync($"agent bench: agent shipped the binary log in {binarySeconds:0.00} s: {binaryBytes / 1e6 / binarySeconds:N1} MB/s, {lines / binarySeconds:N0} records/s; batch time by phase: {phases.Describe("binary")}");

            var (p50, p99, max, measured) = await MeasureLatencyAsync(cluster.BootstrapServers, dir.FullName, WatermarkMode.PerBatch, cancellationToken);
            await Console.Error.WriteLineAsync($"agent bench: {measured:N0} lines at {LatencyLinesPerSecond:N0}/s, per-batch watermarks (default), append to acknowledgement p50 {p50:0.00} ms, p99 {p99:0.00} ms, max {max:0.00} ms; batch time by phase: {phases.Describe("latency")}");
            var (bgP50, bgP99, bgMax, _) = await MeasureLatencyAsync(cluster.BootstrapServers, dir.FullName, WatermarkMode.Background, cancellationToken);
            await Console.Error.WriteLineAsync($"agent bench: {measured:N0} lines at {LatencyLinesPerSecond:N0}/s, background watermarks, append to acknowledgement p50 {bgP50:0.00} ms, p99 {bgP99:0.00} ms, max {bgMax:0.00} ms");

            var agentMbPerS = textBytes / 1e6 / textSeconds;
            var kcatMbPerS = textBytes / 1e6 / kcatSeconds;
            return JsonSerializer.Serialize(new
            {
                scenario = "agent",
                mb_per_s = Math.Round(agentMbPerS, 2),
                kcat_mb_per_s = Math.Round(kcatMbPerS, 2),
                ratio = Math.Round(agentMbPerS / kcatMbPerS, 3),
                p50_ms = Math.Round(p50, 3),
                p99_ms = Math.Round(p99, 3),
                records_per_s = Math.Round(lines / textSeconds),
                kcat_records_per_s = Math.Round(lines / kcatSeconds),
                binary_mb_per_s = Math.Round(binaryBytes / 1e6 / binarySeconds, 2),
                binary_records_per_s = Math.Round(lines / binarySeconds),
                text_mb = Math.Round(textBytes / 1e6, 1),
                lines,
                partitions = Partitions,
                latency_lines_per_s = LatencyLinesPerSecond,
                max_ms = Math.Round(max, 3),
                background_watermarks_p50_ms = Math.Round(bgP50, 3),
                background_watermarks_p99_ms = Math.Round(bgP99, 3),
            });
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private static (long Text, long Binary) Generate(string textPath, string binaryPath, long lines)
    {
        var generator = new PinEngagementGenerator(new GeneratorOptions { Seed = 11, MalformedShare = 0 });
        using var text = new FileStream(textPath, FileMode.CreateNew, FileAccess.Write, FileShare.Read, 1 << 20);
        using var binary = new FileStream(binaryPath, FileMode.CreateNew, FileAccess.Write, FileShare.Read, 1 << 20);
        Span<byte> prefix = stackalloc byte[4];
        for (long i = 0; i < lines; i++)
        {
            var value = generator.Next().Value;
            text.Write(value);
            text.WriteByte((byte)'\n');
            BinaryPrimitives.WriteUInt32BigEndian(prefix, (uint)value.Length);
            binary.Write(prefix);
            binary.Write(value);
        }

        return (text.Length, binary.Length);
    }

    private static long WarmUpFile(string source, string target, int lines)
    {
        using var writer = new StreamWriter(target);
        foreach (var line in File.ReadLines(source).Take(lines))
        {
            writer.Write(line);
            writer.Write('\n');
        }

        writer.Flush();
        return writer.BaseStream.Length;
    }

    private static async Task<double> RunKcatAsync(string bootstrap, string topic, string path, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo("kcat") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var arg in new[] { "-P", "-b", bootstrap, "-t", topic, "-l", path })
        {
            start.ArgumentList.Add(arg);
        }

        var clock = Stopwatch.StartNew();
        using var process = Process.Start(start) ?? throw new InvalidOperationException("kcat did not start (install Debian's kcat)");
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        var seconds = clock.Elapsed.TotalSeconds;
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"kcat failed with exit code {process.ExitCode}: {await stderr}");
        }

        return seconds;
    }

    private static AgentOptions Options(string bootstrap, string dataDir, LogStreamOptions stream) => new()
    {
        Host = "bench",
        DataDirectory = dataDir,
        Kafka = new Dictionary<string, string> { ["bootstrap.servers"] = bootstrap },
        Heartbeat = new HeartbeatOptions { Topic = string.Empty },
        Audit = new AuditOptions { Topic = string.Empty },
        Streams = [stream],
    };

    /// <summary>Seconds from starting the agent until Kafka acknowledged the file's last byte.</summary>
    private static async Task<double> ShipAsync(string bootstrap, string root, string name, string directory, string file, ReaderKind reader, string topic, long size, CancellationToken cancellationToken)
    {
        var stream = new LogStreamOptions { Name = name, Directory = directory, Pattern = file, Reader = reader, Topic = topic };
        await using var agent = new LogAgent(Options(bootstrap, Path.Combine(root, "data-" + name), stream));
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        agent.BatchAcknowledged += b =>
        {
            if (b.EndOffset >= size)
            {
                done.TrySetResult();
            }
        };
        var clock = Stopwatch.StartNew();
        await agent.StartAsync(cancellationToken);
        await done.Task.WaitAsync(TimeSpan.FromMinutes(5), cancellationToken);
        return clock.Elapsed.TotalSeconds;
    }

    private static async Task<(double P50, double P99, double Max, int Count)> MeasureLatencyAsync(string bootstrap, string root, WatermarkMode mode, CancellationToken cancellationToken)
    {
        var directory = Directory.CreateDirectory(Path.Combine(root, "latency-" + mode)).FullName;
        var path = Path.Combine(directory, "live.log");
        await File.WriteAllBytesAsync(path, [], cancellationToken);
        var total = LatencyLinesPerSecond * LatencySeconds;
        var ends = new long[total];
        var appended = new long[total];
        var latencies = new double[total];
        var written = 0;
        var acked = 0;
        var allAcked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var stream = new LogStreamOptions { Name = "latency", Directory = directory, Pattern = "live.log", Topic = "bench_agent_latency", Watermarks = mode };
        await using var agent = new LogAgent(Options(bootstrap, Path.Combine(root, "data-latency-" + mode), stream));
        agent.BatchAcknowledged += b =>
        {
            var limit = Volatile.Read(ref written);
            while (acked < limit && ends[acked] <= b.EndOffset)
            {
                latencies[acked] = Stopwatch.GetElapsedTime(appended[acked], b.Timestamp).TotalMilliseconds;
                acked++;
            }

            if (acked == total)
            {
                allAcked.TrySetResult();
            }
        };
        await agent.StartAsync(cancellationToken);
        await agent.WhenStreamStartedAsync("latency");

        var generator = new PinEngagementGenerator(new GeneratorOptions { Seed = 12, MalformedShare = 0 });
        var payloads = Enumerable.Range(0, total).Select(_ => generator.Next().Value).ToArray();
        var writer = new Thread(() =>
        {
            using var file = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite, bufferSize: 0);
            var buffer = new byte[64 * 1024];
            var start = Stopwatch.GetTimestamp();
            var ticksPerLine = Stopwatch.Frequency / (double)LatencyLinesPerSecond;
            long offset = 0;
            var i = 0;
            while (i < total)
            {
                // Append every line that is due, in one write; spin until the next one is.
                var due = (int)Math.Min(total, ((Stopwatch.GetTimestamp() - start) / ticksPerLine) + 1);
                if (due <= i)
                {
                    Thread.SpinWait(50);
                    continue;
                }

                var length = 0;
                var first = i;
                for (; i < due && length + payloads[i].Length + 1 <= buffer.Length; i++)
                {
                    payloads[i].CopyTo(buffer, length);
                    length += payloads[i].Length;
                    buffer[length++] = (byte)'\n';
                    offset += payloads[i].Length + 1;
                    ends[i] = offset;
                }

                // Published before the write: the agent can acknowledge these lines as soon as they are in the file.
                var now = Stopwatch.GetTimestamp();
                for (var k = first; k < i; k++)
                {
                    appended[k] = now;
                }

                Volatile.Write(ref written, i);
                file.Write(buffer, 0, length);
            }
        })
        { IsBackground = true, Name = "bench-latency-writer", Priority = ThreadPriority.AboveNormal };
        writer.Start();
        await allAcked.Task.WaitAsync(TimeSpan.FromSeconds(LatencySeconds * 6), cancellationToken);
        writer.Join();

        // Skip the first second (connections, metadata) as warm-up.
        var measured = latencies.Skip(LatencyLinesPerSecond).Order().ToArray();
        return (Percentile(measured, 0.50), Percentile(measured, 0.99), measured[^1], measured.Length);
    }

    /// <summary>Sums the agent's <c>tributary.agent.batch.phase</c> histogram per stream and phase.</summary>
    private sealed class PhaseTotals : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly ConcurrentDictionary<(string Stream, string Phase), (double Total, long Count)> _totals = new();

        public PhaseTotals()
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == AgentMetrics.MeterName && instrument.Name == "tributary.agent.batch.phase")
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<double>((_, value, tags, _) =>
            {
                string? stream = null, phase = null;
                foreach (var tag in tags)
                {
                    if (tag.Key == "stream")
                    {
                        stream = tag.Value as string;
                    }
                    else if (tag.Key == "phase")
                    {
                        phase = tag.Value as string;
                    }
                }

                if (stream is not null && phase is not null)
                {
                    _totals.AddOrUpdate((stream, phase), (value, 1), (_, t) => (t.Total + value, t.Count + 1));
                }
            });
            _listener.Start();
        }

        public string Describe(string stream)
        {
            var phases = _totals.Where(kv => kv.Key.Stream == stream).OrderBy(kv => kv.Key.Phase, StringComparer.Ordinal).ToList();
            var batches = phases.Where(kv => kv.Key.Phase == "ack").Sum(kv => kv.Value.Count);
            return $"{batches:N0} batches; " + string.Join(", ", phases.Select(kv => $"{kv.Key.Phase} {kv.Value.Total / 1000:0.00} s (mean {kv.Value.Total / Math.Max(1, kv.Value.Count):0.00} ms)"));
        }

        public void Dispose() => _listener.Dispose();
    }

    private static double Percentile(double[] sorted, double q) => sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(q * sorted.Length) - 1)];
}
