using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Spectre.Console;
using Tributary.Storage;
using Tributary.Tracker;

namespace Tributary.Cli.Commands;

/// <summary>
/// <c>tributary snapshot --cluster C --shard N</c>: snapshots one MySQL shard from a replica into Parquet,
/// directly through the Tracker library, with a progress bar on stderr and the result as JSON on stdout.
/// </summary>
internal static class SnapshotCommand
{
    public static Command Create()
    {
        var cluster = new Option<string>("--cluster") { Description = "Cluster name (Tributary:Tracker:Clusters key).", Required = true };
        var shard = new Option<int>("--shard") { Description = "Shard id.", Required = true };
        var config = new Option<string?>("--config") { Description = "Topology file (default: silo-config/tracker.json found from the current directory up)." };
        var output = new Option<string>("--out") { Description = "Local directory object store to write into.", DefaultValueFactory = _ => "tracker-out" };
        var date = new Option<string?>("--date") { Description = "Snapshot date dt=yyyy-MM-dd (default: today, UTC)." };
        var connections = new Option<int?>("--connections") { Description = "Parallel snapshot sessions (overrides the config)." };
        var chunkRows = new Option<int?>("--chunk-rows") { Description = "Rows per chunk (overrides the config)." };
        var command = new Command("snapshot", "Snapshot one MySQL shard from a replica to Parquet (consistent, chunked, resumable).")
        {
            cluster, shard, config, output, date, connections, chunkRows,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            TrackerOptions options;
            DateOnly day;
            try
            {
                options = Load(parse.GetValue(config));
                options.Connections = parse.GetValue(connections) ?? options.Connections;
                options.ChunkRows = parse.GetValue(chunkRows) ?? options.ChunkRows;
                TrackerOptionsValidator.ThrowIfInvalid(options, environment: true);
                day = parse.GetValue(date) is { } text
                    ? DateOnly.ParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture)
                    : DateOnly.FromDateTime(DateTime.UtcNow);
            }
            catch (Exception ex) when (ex is OptionsValidationException or FormatException or FileNotFoundException or InvalidDataException)
            {
                await Console.Error.WriteLineAsync(ex.Message);
                return 2;
            }

            ShardTopology topology;
            try
            {
                topology = ShardTopology.Resolve(options, parse.GetValue(cluster)!, parse.GetValue(shard));
            }
            catch (Exception ex) when (ex is ArgumentException or InvalidOperationException)
            {
                await Console.Error.WriteLineAsync(OneLine(ex.Message));
                return 2;
            }

            var store = new LocalDirectoryObjectStore(parse.GetValue(output)!);
            var snapshotter = new ShardSnapshotter(topology, store);
            SnapshotResult result;
            try
            {
                result = await RunWithProgressAsync(snapshotter, day, cancellationToken);
            }
            catch (SnapshotConfigurationException ex)
            {
                await Console.Error.WriteLineAsync(OneLine(ex.Message));
                return 2;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // One line naming the shard and each host's role and reason (primary, access denied, unreachable).
                await Console.Error.WriteLineAsync($"snapshot of {topology.Cluster}/{topology.Shard} failed: {OneLine(ex.Message)}");
                return 1;
            }

            Console.WriteLine(JsonSerializer.Serialize(new
            {
                snapshot_id = result.SnapshotId,
                replica = result.Position.Replica,
                gtid = result.Position.GtidSlavePos,
                binlog = $"{result.Position.PrimaryLogFile}:{result.Position.PrimaryLogPos}",
                tables = result.Tables,
                chunks = result.Chunks,
                resumed_chunks = result.ResumedChunks,
                rows = result.Rows,
                bytes = result.Bytes,
                seconds = Math.Round(result.Elapsed.TotalSeconds, 2),
                failed_replicas = result.FailedReplicas,
                store = store.Location,
            }));
            return 0;
        });
        return command;
    }

    /// <summary>Runs the snapshot showing a Spectre.Console progress bar (rows, chunks, ETA) on stderr.</summary>
    internal static async Task<SnapshotResult> RunWithProgressAsync(ShardSnapshotter snapshotter, DateOnly day, CancellationToken cancellationToken)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        SnapshotResult? result = null;
        await console.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .StartAsync(async context =>
            {
                var task = context.AddTask("probing replicas", maxValue: 1);
                var progress = new SyncProgress(p =>
                {
                    task.MaxValue = Math.Max(1, p.RowsEstimated);
                    task.Value = Math.Min(p.RowsDone, task.MaxValue);
                    task.Description = string.Create(CultureInfo.InvariantCulture,
                        $"{p.Phase} {p.Replica} chunks {p.ChunksDone}/{p.ChunksTotal} rows {p.RowsDone:N0}{(p.Eta is { } eta ? $" eta {eta:hh\\:mm\\:ss}" : string.Empty)}");
                });
                result = await snapshotter.RunAsync(day, progress, cancellationToken);
                task.Value = task.MaxValue;
            });
        return result!;
    }

    private static string OneLine(string text) => string.Join(" ", text.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

    private static TrackerOptions Load(string? path)
    {
        path ??= Find("silo-config/tracker.json") ?? throw new FileNotFoundException("no silo-config/tracker.json above the current directory; pass --config.");
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"topology file '{path}' does not exist.");
        }

        var configuration = new ConfigurationBuilder().AddJsonFile(Path.GetFullPath(path)).AddEnvironmentVariables().Build();
        return configuration.GetSection(TrackerOptions.SectionName).Get<TrackerOptions>()
            ?? throw new InvalidDataException($"{path} has no {TrackerOptions.SectionName} section.");
    }

    internal static string? Find(string relative)
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, relative);
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }

        return null;
    }

    // Progress<T> would post to the thread pool out of order; the bar only needs the latest value.
    private sealed class SyncProgress(Action<SnapshotProgress> report) : IProgress<SnapshotProgress>
    {
        private readonly Lock _gate = new();

        public void Report(SnapshotProgress value)
        {
            lock (_gate)
            {
                report(value);
            }
        }
    }
}
