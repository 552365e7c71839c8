namespace Tributary.Storage;

/// <summary>
/// Settings of <see cref="S3ObjectStore"/>. With no explicit keys the standard AWS credential chain is used
/// (environment variables, shared profile, web identity, container and instance metadata).
/// </summary>
public sealed class S3ObjectStoreOptions
{
    /// <summary>Bucket name. Required.</summary>
    public string Bucket { get; set; } = string.Empty;

    /// <summary>Key prefix every object lives under (no leading or trailing <c>/</c>), e.g. <c>archive</c>. Optional.</summary>
    public string Prefix { get; set; } = string.Empty;

    /// <summary>Endpoint of an S3-compatible server (<c>http://127.0.0.1:4568</c>). Empty: AWS for <see cref="Region"/>.</summary>
    public string? ServiceUrl { get; set; }

    /// <summary>AWS region (signing region for S3-compatible servers). Default <c>us-east-1</c>.</summary>
    public string Region { get; set; } = "us-east-1";

    /// <summary>Path-style addressing (<c>http://host/bucket/key</c>), needed by most S3-compatible servers.</summary>
    public bool ForcePathStyle { get; set; }

    /// <summary>Explicit access key id; leave empty to use the AWS credential chain.</summary>
    [Redact]
    public string? AccessKeyId { get; set; }

    /// <summary>Explicit secret access key; set with <see cref="AccessKeyId"/>. Never logged.</summary>
    [Redact]
    public string? SecretAccessKey { get; set; }

    /// <summary>
    /// Sends bodies with a plain Content-Length instead of aws-chunked encoding and only computes request
    /// checksums where S3 requires them. Needed by s3rver and other S3-compatible servers.
    /// </summary>
    public bool DisableChunkEncoding { get; set; }

    /// <summary>Objects larger than this are uploaded in parts (multipart upload). Default 16 MiB; at least 5 MiB.</summary>
    public long MultipartThresholdBytes { get; set; } = 16L << 20;

    /// <summary>Part size of multipart uploads. Default 8 MiB; at least 5 MiB (S3's minimum).</summary>
    public long MultipartPartSizeBytes { get; set; } = 8L << 20;

    /// <summary>Timeout of one HTTP request. Default 100 s.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(100);

    /// <summary>Retries of one request on throttling, 5xx and network errors (the SDK's standard retry mode). Default 4.</summary>
    public int MaxErrorRetry { get; set; } = 4;

    /// <summary>Creates the bucket at start-up when it does not exist (development and tests). Default false.</summary>
    public bool CreateBucketIfMissing { get; set; }
}

/// <summary>
/// The rules of <see cref="S3ObjectStoreOptions"/>, each message naming the setting. The configured stores are
/// validated through <see cref="ObjectStoreOptionsValidator"/> (keys as users write them); a store built in code
/// (<see cref="S3ObjectStore"/>'s constructor) checks the same rules naming the property.
/// </summary>
public static class S3ObjectStoreOptionsRules
{
    private const long MinPart = 5L << 20;

    /// <summary>The problems with <paramref name="options"/>, naming each setting <c>S3ObjectStoreOptions.Bucket</c>; empty when valid.</summary>
    public static IEnumerable<string> Collect(S3ObjectStoreOptions options) => Collect(options, section: null);

    /// <summary>
    /// The problems with <paramref name="options"/>; empty when valid. With a <paramref name="section"/> each
    /// message names the configuration key (<c>{section}:Bucket</c>) and required settings say when they are
    /// required (<paramref name="requiredWhen"/>, e.g. <c> when Tributary:Archive:Store:Kind is 's3'</c>);
    /// without one it names the property (<c>S3ObjectStoreOptions.Bucket</c>).
    /// </summary>
    public static IEnumerable<string> Collect(S3ObjectStoreOptions options, string? section, string requiredWhen = "")
    {
        ArgumentNullException.ThrowIfNull(options);
        string Key(string setting) => section is null ? $"{nameof(S3ObjectStoreOptions)}.{setting}" : $"{section}:{setting}";
        if (string.IsNullOrWhiteSpace(options.Bucket))
        {
            yield return $"{Key("Bucket")} is required{requiredWhen}.";
        }
        else if (options.Bucket.Length is < 3 or > 63 || !options.Bucket.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-' or '.'))
        {
            yield return $"{Key("Bucket")} '{options.Bucket}' is not a legal bucket name (3 to 63 of a-z, 0-9, '-', '.').";
        }

        if (options.Prefix.StartsWith('/') || options.Prefix.EndsWith('/'))
        {
            yield return $"{Key("Prefix")} '{options.Prefix}' must not start or end with '/'.";
        }

        if (!string.IsNullOrWhiteSpace(options.ServiceUrl)
            && (!Uri.TryCreate(options.ServiceUrl, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https")))
        {
            yield return $"{Key("ServiceUrl")} '{options.ServiceUrl}' is not an http(s) URL.";
        }

        if (string.IsNullOrWhiteSpace(options.Region))
        {
            yield return $"{Key("Region")} is required{requiredWhen}.";
        }

        if (string.IsNullOrEmpty(options.AccessKeyId) != string.IsNullOrEmpty(options.SecretAccessKey))
        {
            yield return $"{Key("AccessKeyId")} and {Key("SecretAccessKey")} must be set together (or both left empty for the AWS credential chain).";
        }

        if (options.MultipartPartSizeBytes < MinPart)
        {
            yield return $"{Key("MultipartPartSizeBytes")} must be at least 5 MiB (was {options.MultipartPartSizeBytes}).";
        }

        if (options.MultipartThresholdBytes < MinPart)
        {
            yield return $"{Key("MultipartThresholdBytes")} must be at least 5 MiB (was {options.MultipartThresholdBytes}).";
        }

        if (options.RequestTimeout <= TimeSpan.Zero)
        {
            yield return $"{Key("RequestTimeout")} must be positive (was {options.RequestTimeout}).";
        }

        if (options.MaxErrorRetry is < 0 or > 20)
        {
            yield return $"{Key("MaxErrorRetry")} must be between 0 and 20 (was {options.MaxErrorRetry}).";
        }
    }
}
