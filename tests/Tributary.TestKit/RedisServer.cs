using System.Diagnostics;
using StackExchange.Redis;

namespace Tributary.TestKit;

/// <summary>
/// The Redis the tests use: <c>TRIBUTARY_REDIS</c> when <c>./build.sh test</c> started one, otherwise a
/// redis-server from Debian started here on a free loopback port with a throwaway data directory.
/// </summary>
public static class RedisServer
{
    private static readonly Lazy<string> Endpoint = new(Start, LazyThreadSafetyMode.ExecutionAndPublication);
    private static Process? _process;

    /// <summary>StackExchange.Redis connection string of the test Redis.</summary>
    public static string ConnectionString => Endpoint.Value;

    private static string Start()
    {
        if (Environment.GetEnvironmentVariable("TRIBUTARY_REDIS") is { Length: > 0 } given)
        {
            return given;
        }

        var port = FreePort.Next();
        var dir = Directory.CreateTempSubdirectory("tributary-redis-").FullName;
        var start = new ProcessStartInfo("redis-server", $"--port {port} --bind 127.0.0.1 --save \"\" --appendonly no --dir {dir}")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        try
        {
            _process = Process.Start(start) ?? throw new InvalidOperationException("redis-server did not start");
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new InvalidOperationException("redis-server is not installed: run ./build.sh deps (it installs Debian's redis-server) or set TRIBUTARY_REDIS.", ex);
        }

        _process.OutputDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Stop();
        var endpoint = $"127.0.0.1:{port}";
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                using var connection = ConnectionMultiplexer.Connect($"{endpoint},connectTimeout=500");
                connection.GetDatabase().Ping();
                return endpoint;
            }
            catch (RedisConnectionException) when (deadline.Elapsed < TimeSpan.FromSeconds(20))
            {
                Thread.Sleep(50);
            }
        }
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
