using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Tributary.Storage;

namespace Tributary.TestKit;

/// <summary>
/// The S3-compatible server the tests use: <c>TRIBUTARY_S3_ENDPOINT</c> when <c>./build.sh test</c> started
/// one, otherwise s3rver from <c>.tools/</c> (installed by <c>./build.sh deps</c>) started here on a free
/// loopback port with a throwaway directory. Credentials are s3rver's defaults.
/// </summary>
public static class S3rver
{
    private static readonly Lazy<string> EndpointValue = new(Start, LazyThreadSafetyMode.ExecutionAndPublication);
    private static Process? _process;
    private static int _buckets;

    /// <summary>The endpoint, e.g. <c>http://127.0.0.1:4568</c>.</summary>
    public static string Endpoint => EndpointValue.Value;

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

    private static string Start()
    {
        if (Environment.GetEnvironmentVariable("TRIBUTARY_S3_ENDPOINT") is { Length: > 0 } given)
        {
            return given.TrimEnd('/');
        }

        var script = FindS3rver();
        var port = FreePort.Next();
        var dir = Directory.CreateTempSubdirectory("tributary-s3rver-").FullName;
        var start = new ProcessStartInfo("node", $"\"{script}\" --directory \"{dir}\" --address 127.0.0.1 --port {port} --silent")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["NODE_OPTIONS"] = "--openssl-legacy-provider";
        _process = Process.Start(start) ?? throw new InvalidOperationException("node did not start s3rver");
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Stop();
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                using var client = new TcpClient();
                client.Connect(IPAddress.Loopback, port);
                return $"http://127.0.0.1:{port}";
            }
            catch (SocketException) when (deadline.Elapsed < TimeSpan.FromSeconds(30) && !_process.HasExited)
            {
                Thread.Sleep(50);
            }
        }
    }

    /// <summary>Finds <c>.tools/node_modules/s3rver/bin/s3rver.js</c> by walking up from the test binaries to the repository root.</summary>
    private static string FindS3rver()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, ".tools", "node_modules", "s3rver", "bin", "s3rver.js");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException("s3rver is not installed: run ./build.sh deps (it installs s3rver into .tools/) or set TRIBUTARY_S3_ENDPOINT.");
    }

    private static void Stop()
    {
        try
        {
            if (_process is { HasExited: false })
            {
                _process.Kill();
            }
        }
        catch (InvalidOperationException)
        {
            // already gone
        }
    }
}
