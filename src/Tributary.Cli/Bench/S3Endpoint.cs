using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Tributary.Cli.Bench;

/// <summary>
/// s3rver for the benches: <c>TRIBUTARY_S3_ENDPOINT</c> when set (<c>./build.sh bench</c> starts it through
/// <c>.ci/services/s3rver.sh</c>), otherwise started from <c>.tools/</c> on a free loopback port and stopped on dispose.
/// Credentials are s3rver's defaults (<see cref="AccessKey"/>).
/// </summary>
internal sealed class S3Endpoint : IDisposable
{
    /// <summary>s3rver's fixed access key id and secret.</summary>
    public const string AccessKey = "S3RVER";

    private readonly Process? _process;

    private S3Endpoint(string url, Process? process)
    {
        Url = url;
        _process = process;
    }

    public string Url { get; }

    public static async Task<S3Endpoint> StartAsync()
    {
        if (Environment.GetEnvironmentVariable("TRIBUTARY_S3_ENDPOINT") is { Length: > 0 } given)
        {
            return new S3Endpoint(given.TrimEnd('/'), null);
        }

        var script = FindS3rver();
        int port;
        using (var listener = new TcpListener(IPAddress.Loopback, 0))
        {
            listener.Start();
            port = ((IPEndPoint)listener.LocalEndpoint).Port;
        }

        var dir = Directory.CreateTempSubdirectory("tributary-bench-s3rver-").FullName;
        var start = new ProcessStartInfo("node", $"\"{script}\" --directory \"{dir}\" --address 127.0.0.1 --port {port} --silent")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["NODE_OPTIONS"] = "--openssl-legacy-provider";
        var process = Process.Start(start) ?? throw new InvalidOperationException("node did not start s3rver");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port);
                return new S3Endpoint($"http://127.0.0.1:{port}", process);
            }
            catch (SocketException) when (deadline.Elapsed < TimeSpan.FromSeconds(30) && !process.HasExited)
            {
                await Task.Delay(50);
            }
        }
    }

    public void Dispose()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill();
        }

        _process?.Dispose();
    }

    private static string FindS3rver()
    {
        foreach (var root in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
        {
            for (var dir = new DirectoryInfo(root); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, ".tools", "node_modules", "s3rver", "bin", "s3rver.js");
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }

        throw new InvalidOperationException("s3rver is not installed: run ./build.sh deps (it installs s3rver into .tools/) or set TRIBUTARY_S3_ENDPOINT.");
    }
}
