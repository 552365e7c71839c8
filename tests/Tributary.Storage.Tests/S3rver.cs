using Tributary.Storage;

namespace Tributary.TestKit;

/// <summary>
/// The S3-compatible server the tests use: <c>TRIBUTARY_S3_ENDPOINT</c> when <c>./build.sh test</c> started
/// one, otherwise <c>.ci/services/s3rver.sh</c> run here through <see cref="ServiceProcess"/> (s3rver from
/// <c>.tools/</c>, installed by <c>./build.sh deps</c>, on a free loopback port with a throwaway directory).
/// Credentials are s3rver's defaults.
/// </summary>
public static class S3rver
{
    private static int _buckets;

    /// <summary>The endpoint, e.g. <c>http://127.0.0.1:4568</c>.</summary>
    public static string Endpoint => ServiceProcess.Shared("s3rver", "TRIBUTARY_S3_ENDPOINT", "TRIBUTARY_S3_")["TRIBUTARY_S3_ENDPOINT"].TrimEnd('/');

    /// <summary>Options for a store over <paramref name="endpoint"/> (default: the server) and a bucket.</summary>
    public static S3ObjectStoreOptions Options(string bucket, string? endpoint = null, string prefix = "") => new()
    {
        Bucket = bucket,
        Prefix = prefix,
        ServiceUrl = endpoint ?? Endpoint,
        ForcePathStyle = true,
        AccessKeyId = "S3RVER",
        SecretAccessKey = "S3RVER",
        DisableChunkEncoding = true,
        MultipartThresholdBytes = 5L << 20,
        MultipartPartSizeBytes = 5L << 20,
    };

    /// <summary>Creates a bucket with a name unique in this process (through the SDK) and returns a store over it.</summary>
    public static async Task<S3ObjectStore> CreateStoreAsync(string prefix = "", string? endpoint = null, Action<S3ObjectStoreOptions>? tune = null)
    {
        var bucket = $"t{Environment.ProcessId}-{Interlocked.Increment(ref _buckets)}";
        var options = Options(bucket, null, prefix);
        using (var admin = new S3ObjectStore(options))
        {
            await admin.EnsureBucketAsync();
        }

        var used = Options(bucket, endpoint, prefix);
        tune?.Invoke(used);
        return new S3ObjectStore(used);
    }
}
