using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Tributary.Kafka;
using Tributary.Storage;
using Tributary.Storage.Archive;
using Tributary.Unified;

namespace Tributary.Client.Unified;

/// <summary>Creates <see cref="UnifiedSource"/>s configured from the service's configuration (registered by <c>AddTributaryClient</c>).</summary>
public interface IUnifiedSourceFactory
{
    /// <summary>A source over <paramref name="topic"/> with the configured store, Kafka, archive layout and reader settings; <paramref name="configure"/> adjusts its options (start, bounds, partitions).</summary>
    UnifiedSource Create(string topic, Action<UnifiedSourceOptions>? configure = null);

    /// <summary>
    /// As <see cref="Create"/>, aligned with the other readers of <paramref name="job"/> through the job's watermark grain:
    /// reader <paramref name="readerId"/> pauses while its watermark is more than <c>Tributary:Unified:Alignment:MaxDrift</c> ahead of the job's minimum.
    /// </summary>
    UnifiedSource CreateAligned(string job, string readerId, string topic, Action<UnifiedSourceOptions>? configure = null);
}

/// <summary>
/// Reader settings of the unified source in a service (section <c>Tributary:Unified</c>); Kafka comes from <c>Tributary:Kafka</c>
/// and the archive's layout and store from <c>Tributary:Archive</c>, the same keys the silos read.
/// </summary>
public sealed class UnifiedClientOptions
{
    /// <summary>Whether <c>AddTributaryClient</c> registers the unified source (<c>Tributary:Unified:Enabled</c>).</summary>
    public bool Enabled { get; set; }

    /// <summary>The archiver's consumer group (see <see cref="UnifiedSourceOptions.ArchiveConsumerGroup"/>), optional.</summary>
    public string? ArchiveConsumerGroup { get; set; }

    /// <summary>Learn of new files from the archive's notification topic (<c>Tributary:Archive:NotificationTopic</c>) while waiting for the archive. Default false.</summary>
    public bool UseNotificationTopic { get; set; }

    /// <summary>See <see cref="UnifiedSourceOptions.CatchUpDeadline"/>.</summary>
    public TimeSpan CatchUpDeadline { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>See <see cref="UnifiedSourceOptions.ManifestPollInterval"/> (the fallback listing when announcements are used).</summary>
    public TimeSpan ManifestPollInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>See <see cref="UnifiedSourceOptions.PrefetchFiles"/>.</summary>
    public int PrefetchFiles { get; set; } = 2;

    /// <summary>See <see cref="UnifiedSourceOptions.BufferRecords"/>.</summary>
    public int BufferRecords { get; set; } = 16_384;

    /// <summary>Watermarks: <c>OutOfOrderness</c>, <c>IdleTimeout</c>.</summary>
    public WatermarkOptions Watermarks { get; set; } = new();

    /// <summary>Alignment of <see cref="IUnifiedSourceFactory.CreateAligned"/>: <c>MaxDrift</c>, <c>ReportInterval</c>, <c>MinChange</c> (the reader id is given per source).</summary>
    public AlignmentOptions Alignment { get; set; } = new();
}

/// <summary>The <see cref="IUnifiedSourceFactory"/> over the keyed archive store and the bound options.</summary>
internal sealed class UnifiedSourceFactory(
    [FromKeyedServices(TributaryClientKeys.ArchiveStore)] IObjectStore store,
    IOptions<UnifiedClientOptions> unified,
    IOptionsMonitor<KafkaClientOptions> kafka,
    IOptions<ArchiveOptions> archive,
    IGrainFactory grains) : IUnifiedSourceFactory
{
    public UnifiedSource Create(string topic, Action<UnifiedSourceOptions>? configure = null)
        => new(store, Options(topic, configure));

    public UnifiedSource CreateAligned(string job, string readerId, string topic, Action<UnifiedSourceOptions>? configure = null)
    {
        var options = Options(topic, o =>
        {
            o.Alignment.ReaderId = readerId;
            configure?.Invoke(o);
        });
        return new UnifiedSource(store, options, new GrainWatermarkAlignment(grains, job));
    }

    private UnifiedSourceOptions Options(string topic, Action<UnifiedSourceOptions>? configure)
    {
        var options = Build(unified.Value, kafka.Get(TributaryClientKeys.Kafka), archive.Value);
        options.Topic = topic;
        configure?.Invoke(options);
        return options;
    }

    /// <summary>Source options from the configured sections (topic left empty).</summary>
    internal static UnifiedSourceOptions Build(UnifiedClientOptions u, KafkaClientOptions kafka, ArchiveOptions archive) => new()
    {
        Kafka = kafka,
        Archive = archive,
        ArchiveConsumerGroup = u.ArchiveConsumerGroup,
        NotificationTopic = u.UseNotificationTopic ? archive.NotificationTopic : null,
        CatchUpDeadline = u.CatchUpDeadline,
        ManifestPollInterval = u.ManifestPollInterval,
        PrefetchFiles = u.PrefetchFiles,
        BufferRecords = u.BufferRecords,
        Watermarks = new WatermarkOptions { OutOfOrderness = u.Watermarks.OutOfOrderness, IdleTimeout = u.Watermarks.IdleTimeout },
        Alignment = new AlignmentOptions { MaxDrift = u.Alignment.MaxDrift, ReportInterval = u.Alignment.ReportInterval, MinChange = u.Alignment.MinChange },
    };
}

/// <summary>
/// Validates the unified source's configuration at start-up: every message names the key as written in configuration
/// (<c>Tributary:Kafka:BootstrapServers</c>, <c>Tributary:Archive:Fields</c>, <c>Tributary:Unified:Watermarks:IdleTimeout</c>).
/// </summary>
internal sealed partial class UnifiedClientOptionsValidator(IOptionsMonitor<KafkaClientOptions> kafka, string root)
    : IValidateOptions<UnifiedClientOptions>
{
    public ValidateOptionsResult Validate(string? name, UnifiedClientOptions options)
    {
        // the archive's layout has its own validator (Tributary:Archive): a placeholder here keeps each message once
        var source = UnifiedSourceFactory.Build(options, kafka.Get(TributaryClientKeys.Kafka), new ArchiveOptions { Format = ArchiveFormat.Raw });
        source.Topic = "validated-per-source";
        var failures = source.Validate().Where(m => !m.StartsWith("UnifiedSourceOptions.Archive", StringComparison.Ordinal)).Select(ToKey).ToList();
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary><c>UnifiedSourceOptions.Watermarks.IdleTimeout must ...</c> becomes <c>Tributary:Unified:Watermarks:IdleTimeout must ...</c>.</summary>
    private string ToKey(string message)
    {
        var match = OptionPath().Match(message);
        if (!match.Success)
        {
            return message;
        }

        var path = match.Groups[1].Value.Replace('.', ':');
        var section = path.StartsWith("Kafka:", StringComparison.Ordinal) ? root : $"{root}:Unified";
        return $"{section}:{path}{message[match.Length..]}";
    }

    [GeneratedRegex(@"^UnifiedSourceOptions\.([A-Za-z.]+)")]
    private static partial Regex OptionPath();
}

/// <summary>Service and options keys of the client.</summary>
public static class TributaryClientKeys
{
    /// <summary>The keyed <see cref="IObjectStore"/> of the archive (<c>Tributary:Archive:Store</c>), as on the silos.</summary>
    public const string ArchiveStore = "archive";

    /// <summary>The named <see cref="KafkaClientOptions"/> of the unified source (<c>Tributary:Kafka</c>).</summary>
    public const string Kafka = "tributary-unified";
}
