using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Tributary.Storage;
using Tributary.Storage.Archive;
using Tributary.Unified;

namespace Tributary.Cli.Commands;

/// <summary>
/// <c>tributary replay --topic T</c>: reads a topic through <see cref="UnifiedSource"/> (archive first, then live Kafka per
/// partition) and prints each record as one JSON line on stdout, like <c>kcat -C</c>, with a progress line on stderr.
/// </summary>
internal static class ReplayCommand
{
    public static Command Create()
    {
        var topic = new Option<string>("--topic") { Description = "Kafka topic (also the archive's top-level folder).", Required = true };
        var bootstrap = new Option<string>("--bootstrap-servers") { Description = "Kafka bootstrap servers.", DefaultValueFactory = _ => "localhost:9092" };
        var fromOffset = new Option<string?>("--from-offset") { Description = "Start offsets, P:O[,P:O...]." };
        var fromTime = new Option<string?>("--from-time") { Description = "Start at the first record with Kafka timestamp >= this ISO 8601 time." };
        var untilOffset = new Option<string?>("--until-offset") { Description = "End before these offsets, P:O[,P:O...]." };
        var untilTime = new Option<string?>("--until-time") { Description = "End before the first record with Kafka timestamp >= this ISO 8601 time." };
        var untilLatest = new Option<bool>("--until-latest") { Description = "End at the latest offsets when the replay opens." };
        var partitions = new Option<string?>("--partitions") { Description = "Partitions to read, e.g. 0,3,5 (default: all)." };
        var local = new Option<string?>("--local-store") { Description = "Archive in a local directory object store." };
        var s3Url = new Option<string?>("--s3-url") { Description = "Archive in S3 at this service URL (path style)." };
        var bucket = new Option<string?>("--bucket") { Description = "S3 bucket of the archive." };
        var archiveConfig = new Option<string?>("--archive-config")
        {
            Description = "The archiver's configuration file (JSON): its Tributary:Archive section (Format, Fields, EventTime) says how the archive is laid out. Without it the archive is read as Raw.",
        };
        var command = new Command("replay", "Replay a topic from the archive then live Kafka as JSON lines (like kcat -C).")
        {
            topic, bootstrap, fromOffset, fromTime, untilOffset, untilTime, untilLatest, partitions, local, s3Url, bucket, archiveConfig,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            UnifiedSourceOptions options;
            try
            {
                options = Build(
                    parse.GetValue(topic)!, parse.GetValue(bootstrap)!, parse.GetValue(fromOffset), parse.GetValue(fromTime),
                    parse.GetValue(untilOffset), parse.GetValue(untilTime), parse.GetValue(untilLatest), parse.GetValue(partitions),
                    parse.GetValue(archiveConfig) is { } config ? LoadArchiveOptions(config) : null);
                if ((parse.GetValue(local) is null) == (parse.GetValue(s3Url) is null))
                {
                    throw new FormatException("Give exactly one of --local-store or --s3-url.");
                }

                if (parse.GetValue(s3Url) is not null && string.IsNullOrWhiteSpace(parse.GetValue(bucket)))
                {
                    throw new FormatException("--bucket is required with --s3-url.");
                }
            }
            catch (FormatException ex)
            {
                await Console.Error.WriteLineAsync(ex.Message);
                return 2;
            }

            IObjectStore store = parse.GetValue(local) is { } dir
                ? new LocalDirectoryObjectStore(dir)
                : new S3ObjectStore(Bench.ArchiveBench.StoreOptions(parse.GetValue(s3Url)!, parse.GetValue(bucket)!));
            try
            {
                return await RunAsync(store, options, Console.Out, Console.Error, cancellationToken);
            }
            finally
            {
                (store as IDisposable)?.Dispose();
            }
        });
        return command;
    }

    /// <summary>
    /// Builds the source options from the command's arguments; a malformed one throws a <see cref="FormatException"/> naming its
    /// option. The archive is read with <c>archive</c>'s layout (the archiver's <c>Tributary:Archive</c>), or as Raw when it is null.
    /// </summary>
    internal static UnifiedSourceOptions Build(
        string topic, string bootstrap, string? fromOffset, string? fromTime, string? untilOffset, string? untilTime, bool untilLatest, string? partitions,
        ArchiveOptions? archive = null)
    {
        if (fromOffset is not null && fromTime is not null)
        {
            throw new FormatException("--from-offset and --from-time cannot be combined.");
        }

        if ((untilOffset is not null ? 1 : 0) + (untilTime is not null ? 1 : 0) + (untilLatest ? 1 : 0) > 1)
        {
            throw new FormatException("Give at most one of --until-offset, --until-time, --until-latest.");
        }

        var options = new UnifiedSourceOptions { Topic = topic };
        options.Kafka.BootstrapServers = bootstrap;

        // Raw (original key, value and header bytes) unless the archiver's configuration says Parquet: then records carry
        // the typed fields of its schema, on the live side too.
        options.Archive = archive ?? new ArchiveOptions { Format = ArchiveFormat.Raw };
        if (fromOffset is not null)
        {
            options.Start = UnifiedStart.FromOffsets(ParseOffsets("--from-offset", fromOffset));
        }
        else if (fromTime is not null)
        {
            options.Start = UnifiedStart.FromTime(ParseTime("--from-time", fromTime));
        }

        if (untilOffset is not null)
        {
            options.Until = UnifiedUntil.BeforeOffsets(ParseOffsets("--until-offset", untilOffset));
        }
        else if (untilTime is not null)
        {
            options.Until = UnifiedUntil.BeforeTime(ParseTime("--until-time", untilTime));
        }
        else if (untilLatest)
        {
            options.Until = UnifiedUntil.LatestAtOpen;
        }

        if (partitions is not null)
        {
            options.Partitions = partitions.Split(',').Select((p, i) =>
                int.TryParse(p.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var n)
                    ? n
                    : throw new FormatException($"--partitions: item {i + 1} '{p}' is not a partition number.")).ToList();
        }

        var problems = options.Validate().ToList();
        if (problems.Count > 0)
        {
            throw new FormatException(string.Join(Environment.NewLine, problems));
        }

        return options;
    }

    /// <summary>Reads the <c>Tributary:Archive</c> section of a JSON configuration file; a missing or unreadable file throws a <see cref="FormatException"/> naming the option.</summary>
    internal static ArchiveOptions LoadArchiveOptions(string path)
    {
        try
        {
            var section = new ConfigurationBuilder().AddJsonFile(Path.GetFullPath(path), optional: false).Build().GetSection("Tributary:Archive");
            if (!section.Exists())
            {
                throw new FormatException($"--archive-config: '{path}' has no Tributary:Archive section.");
            }

            return section.Get<ArchiveOptions>() ?? new ArchiveOptions();
        }
        catch (Exception ex) when (ex is FileNotFoundException or InvalidDataException or InvalidOperationException or JsonException)
        {
            throw new FormatException($"--archive-config: '{path}': {ex.Message}", ex);
        }
    }

    /// <summary>Prints every record of the source as one JSON line on <paramref name="output"/> and a final progress line on <paramref name="progress"/>.</summary>
    internal static async Task<int> RunAsync(IObjectStore store, UnifiedSourceOptions options, TextWriter output, TextWriter progress, CancellationToken cancellationToken)
    {
        var source = new UnifiedSource(store, options);
        long count = 0;
        await foreach (var record in source.ReadAsync(cancellationToken))
        {
            await output.WriteLineAsync(JsonSerializer.Serialize(new
            {
                partition = record.Partition,
                offset = record.Offset,
                timestamp = record.TimestampMs,
                event_time = record.EventTimeMs,
                phase = record.Phase.ToString().ToLowerInvariant(),
                key = Text(record.Key),
                key_base64 = Base64(record.Key),
                value = Text(record.Value),
                value_base64 = Base64(record.Value),
                headers = record.Headers?.Select(h => new { key = h.Key, value = Text(h.Value), value_base64 = Base64(h.Value) }),
                fields = record.Fields,
                dead_letter = record.DeadLetterReason,
            }));
            if (++count % 10_000 == 0)
            {
                await progress.WriteLineAsync($"replay: {count} records (archive {source.ArchiveRecords}, live {source.LiveRecords})");
            }
        }

        await progress.WriteLineAsync($"replay: {count} records (archive {source.ArchiveRecords}, live {source.LiveRecords}), done");
        return 0;
    }

    private static readonly System.Text.UTF8Encoding StrictUtf8 = new(false, true);

    private static string? Text(byte[]? bytes)
    {
        if (bytes is null)
        {
            return null;
        }

        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (System.Text.DecoderFallbackException)
        {
            return null;
        }
    }

    private static string? Base64(byte[]? bytes) => bytes is not null && Text(bytes) is null ? Convert.ToBase64String(bytes) : null;

    private static Dictionary<int, long> ParseOffsets(string option, string text)
    {
        var result = new Dictionary<int, long>();
        var items = text.Split(',');
        for (var i = 0; i < items.Length; i++)
        {
            var parts = items[i].Split(':');
            if (parts.Length != 2
                || !int.TryParse(parts[0].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var partition)
                || !long.TryParse(parts[1].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var offset))
            {
                throw new FormatException($"{option}: item {i + 1} '{items[i]}' is not PARTITION:OFFSET.");
            }

            if (!result.TryAdd(partition, offset))
            {
                throw new FormatException($"{option}: partition {partition} is given twice.");
            }
        }

        return result;
    }

    private static DateTimeOffset ParseTime(string option, string text) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var time)
            ? time
            : throw new FormatException($"{option}: '{text}' is not an ISO 8601 time.");
}
