using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Tributary.Cli.Backfill;
using Tributary.Query;
using Tributary.Segments.Schema;
using Tributary.Storage;
using Tributary.Storage.Archive;
using Tributary.Unified;

namespace Tributary.Cli.Commands;

/// <summary>
/// <c>tributary backfill --datasource D --interval I</c>: rebuilds the real-time segments of an interval of whole hours from
/// the archive (then live Kafka) through <see cref="UnifiedSource"/> as a new segment version, and swaps it into the
/// datasource's timeline atomically (<see cref="SegmentBackfill"/>). It runs in this process, connected to the cluster as
/// an Orleans client; the last line on stdout is a JSON report.
/// </summary>
internal static class BackfillCommand
{
    private const long HourMillis = 3_600_000;

    public static Command Create()
    {
        var datasource = new Option<string>("--datasource") { Description = "Datasource whose segments are rebuilt.", Required = true };
        var interval = new Option<string>("--interval") { Description = "ISO 8601 interval of whole UTC hours, e.g. 2026-12-01T10:00Z/PT2H.", Required = true };
        var topic = new Option<string?>("--topic") { Description = "Archived topic to read (default: the datasource's topic)." };
        var version = new Option<long?>("--version") { Description = "Segment version (default: now in Unix ms); give a failed run's version to resume it." };
        var bootstrap = new Option<string>("--bootstrap-servers") { Description = "Kafka bootstrap servers.", DefaultValueFactory = _ => "localhost:9092" };
        var datasources = new Option<string>("--datasources") { Description = "Directory of datasource specs (the silo's).", DefaultValueFactory = _ => Path.Combine("silo-config", "datasources") };
        var local = new Option<string?>("--local-store") { Description = "Archive in a local directory object store." };
        var s3Url = new Option<string?>("--s3-url") { Description = "Archive in S3 at this service URL (path style)." };
        var bucket = new Option<string?>("--bucket") { Description = "S3 bucket of the archive." };
        var archiveGroup = new Option<string?>("--archive-consumer-group") { Description = "The archiver's consumer group (holes below its commit are Kafka's own)." };
        var redis = new Option<string?>("--redis") { Description = "Redis connection string of the cluster's membership (default: a localhost silo)." };
        var gatewayPort = new Option<int>("--gateway-port") { Description = "Gateway port of a localhost silo.", DefaultValueFactory = _ => 30000 };
        var clusterId = new Option<string>("--cluster-id") { Description = "Orleans cluster id.", DefaultValueFactory = _ => "tributary" };
        var serviceId = new Option<string>("--service-id") { Description = "Orleans service id.", DefaultValueFactory = _ => "tributary" };
        var command = new Command("backfill", "Rebuild a datasource's real-time segments of an interval from the archive and swap them in atomically.")
        {
            datasource, interval, topic, version, bootstrap, datasources, local, s3Url, bucket, archiveGroup, redis, gatewayPort, clusterId, serviceId,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            BackfillRequest request;
            try
            {
                if ((parse.GetValue(local) is null) == (parse.GetValue(s3Url) is null))
                {
                    throw new FormatException("Give exactly one of --local-store or --s3-url.");
                }

                if (parse.GetValue(s3Url) is not null && string.IsNullOrWhiteSpace(parse.GetValue(bucket)))
                {
                    throw new FormatException("--bucket is required with --s3-url.");
                }

                request = Build(
                    LoadSpecs(parse.GetValue(datasources)!), parse.GetValue(datasource)!, parse.GetValue(interval)!, parse.GetValue(topic),
                    parse.GetValue(version) ?? DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), parse.GetValue(bootstrap)!, parse.GetValue(archiveGroup));
            }
            catch (Exception ex) when (ex is FormatException or DatasourceSpecException or DirectoryNotFoundException)
            {
                await Console.Error.WriteLineAsync(ex.Message);
                return 2;
            }

            IObjectStore store = parse.GetValue(local) is { } dir
                ? new LocalDirectoryObjectStore(dir)
                : new S3ObjectStore(Bench.ArchiveBench.StoreOptions(parse.GetValue(s3Url)!, parse.GetValue(bucket)!));
            var builder = Host.CreateApplicationBuilder();
            builder.Logging.SetMinimumLevel(LogLevel.Warning);
            builder.UseOrleansClient(client => client.AddTributaryClient(o =>
            {
                o.ClusterId = parse.GetValue(clusterId)!;
                o.ServiceId = parse.GetValue(serviceId)!;
                o.RedisConnectionString = parse.GetValue(redis);
                o.GatewayPort = parse.GetValue(gatewayPort);
            }));
            using var host = builder.Build();
            try
            {
                await host.StartAsync(cancellationToken);
                await Console.Error.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"backfill: {request.Spec.Name} {Iso(request.StartMs)}/{Iso(request.EndMs)} from topic {request.Source.Topic}, version {request.Version}"));
                var report = await RunAsync(host.Services.GetRequiredService<IClusterClient>(), store, request, Console.Error, cancellationToken);
                await Console.Out.WriteLineAsync(JsonSerializer.Serialize(report, ReportJson));
                return 0;
            }
            catch (InvalidOperationException ex)
            {
                await Console.Error.WriteLineAsync(ex.Message);
                return 1;
            }
            finally
            {
                await host.StopAsync(CancellationToken.None);
                (store as IDisposable)?.Dispose();
            }
        });
        return command;
    }

    /// <summary>Runs the backfill against the cluster reached through <paramref name="grains"/>.</summary>
    internal static Task<BackfillReport> RunAsync(IGrainFactory grains, IObjectStore archive, BackfillRequest request, TextWriter progress, CancellationToken cancellationToken)
        => new SegmentBackfill(grains, archive) { Progress = progress }.RunAsync(request, cancellationToken);

    /// <summary>Builds the request from the command's arguments; a malformed one throws a <see cref="FormatException"/> naming its option.</summary>
    internal static BackfillRequest Build(
        IReadOnlyDictionary<string, DatasourceSpec> specs, string datasource, string interval, string? topic, long version, string bootstrap, string? archiveConsumerGroup)
    {
        if (!specs.TryGetValue(datasource, out var spec))
        {
            throw new FormatException($"--datasource: no datasource spec named '{datasource}' (known: {string.Join(", ", specs.Keys.Order(StringComparer.Ordinal))}).");
        }

        Interval range;
        try
        {
            range = Interval.Parse(interval, "--interval");
        }
        catch (QueryValidationException ex)
        {
            throw new FormatException(ex.Message, ex);
        }

        if (range.Start % HourMillis != 0 || range.End % HourMillis != 0 || range.End <= range.Start)
        {
            throw new FormatException($"--interval: '{interval}' must cover whole UTC hours (segments are hourly), end after start.");
        }

        if (version <= 0)
        {
            throw new FormatException(string.Create(CultureInfo.InvariantCulture, $"--version: must be positive (was {version})."));
        }

        if (topic is not null && string.IsNullOrWhiteSpace(topic))
        {
            throw new FormatException("--topic: must not be empty.");
        }

        var options = new UnifiedSourceOptions
        {
            Topic = topic ?? spec.Topic,
            Start = UnifiedStart.Beginning,
            Until = UnifiedUntil.LatestAtOpen,
            ArchiveConsumerGroup = archiveConsumerGroup,
        };
        options.Kafka.BootstrapServers = bootstrap;

        // The segments parse the original event bytes, as they did live: only the Raw archive format keeps them.
        options.Archive.Format = ArchiveFormat.Raw;
        var problems = options.Validate().ToList();
        if (problems.Count > 0)
        {
            throw new FormatException(string.Join(Environment.NewLine, problems));
        }

        return new BackfillRequest(spec, range.Start, range.End, version, options);
    }

    private static IReadOnlyDictionary<string, DatasourceSpec> LoadSpecs(string directory) => DatasourceSpecLoader.LoadDirectory(directory);

    private static readonly JsonSerializerOptions ReportJson = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    private static string Iso(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm'Z'", CultureInfo.InvariantCulture);
}
