using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Tributary.TestKit;

namespace Tributary.Silo.Tests;

/// <summary>
/// The silo process started with bad or unreachable settings: it exits with a non-zero code and one line naming the
/// key as written in configuration, never a stack trace. Each case runs the real <c>Tributary.Silo</c> process.
/// </summary>
[Collection(nameof(SiloHostTests))]
public sealed class SiloStartupTests
{
    [Theory]
    [InlineData("--Tributary:Kafka:DevBroker:Enabled=false --Tributary:Kafka:BootstrapServers=notahostport", 2, "Tributary:Kafka:BootstrapServers entry 'notahostport' is not host:port")]
    [InlineData("--Tributary:Clustering=redis --Tributary:RedisConnectionString=127.0.0.1:6379,abortConnect=maybe", 2, "Tributary:RedisConnectionString is not a StackExchange.Redis configuration")]
    [InlineData("--Tributary:Clustering=redis --Tributary:RedisConnectionString=127.0.0.1:{closed}", 1, "Redis at 127.0.0.1:{closed} (Tributary:RedisConnectionString) is unreachable")]
    [InlineData("--Tributary:Archive:IdleTimeout=00:00:00", 2, "Tributary:Archive:IdleTimeout must be between")]
    [InlineData("--Tributary:HealthTimeout=-00:00:01", 2, "Tributary:HealthTimeout must be positive")]
    public async Task Start_BadSetting_ExitsWithOneLineNamingTheKeyAndNoStackTrace(string settings, int exitCode, string expected)
    {
        var closed = ClosedPort().ToString(CultureInfo.InvariantCulture);
        var (code, output) = await RunSiloAsync([.. Ports(), .. settings.Replace("{closed}", closed, StringComparison.Ordinal).Split(' ')]);
        var errorLines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(l => !l.StartsWith("info:", StringComparison.Ordinal) && !l.StartsWith("warn:", StringComparison.Ordinal)).ToList();
        Assert.True(code == exitCode, $"exit {code}, expected {exitCode}: {output}");
        Assert.Contains(expected.Replace("{closed}", closed, StringComparison.Ordinal), output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", output, StringComparison.Ordinal);
        Assert.Single(errorLines, l => l.Contains(expected.Replace("{closed}", closed, StringComparison.Ordinal), StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("SiloPort")]
    [InlineData("GatewayPort")]
    [InlineData("HttpUrls")]
    public async Task Start_PortAlreadyInUse_RefusesNamingTheKeyBeforeJoining(string key)
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;
        var args = Ports();
        var index = Array.FindIndex(args, a => a.StartsWith($"--Tributary:{key}=", StringComparison.Ordinal));
        args[index] = key == "HttpUrls" ? $"--Tributary:HttpUrls=http://127.0.0.1:{port}" : $"--Tributary:{key}={port}";

        var (code, output) = await RunSiloAsync(args);

        Assert.True(code == 2, $"exit {code}: {output}");
        Assert.Contains($"Tributary:{key}: port {port} on 127.0.0.1 is already in use", output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_SecondSiloOnTheSiloPortOfARunningOne_RefusesAndTheRunningOneStaysHealthy()
    {
        var ct = TestContext.Current.CancellationToken;
        var first = Ports();
        var http = Setting(first, "HttpUrls");
        await using var app = TributarySiloHost.Build(first);
        await app.StartAsync(ct);
        try
        {
            var second = Ports();
            second[Array.FindIndex(second, a => a.StartsWith("--Tributary:SiloPort=", StringComparison.Ordinal))] = $"--Tributary:SiloPort={Setting(first, "SiloPort")}";
            var (code, output) = await RunSiloAsync(second);
            Assert.True(code == 2, $"exit {code}: {output}");
            Assert.Contains("Tributary:SiloPort: port", output, StringComparison.Ordinal);

            using var client = new HttpClient { BaseAddress = new Uri(http) };
            using var health = await client.GetAsync("/healthz", ct);
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        }
        finally
        {
            await app.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task Start_ConsoleLogs_EachLineStartsWithAnIso8601UtcTimestamp()
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Tributary.Silo.dll"));
        foreach (var arg in Ports())
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start the silo process");
        try
        {
            var lines = new List<string>();
            while (lines.Count < 5 && await process.StandardOutput.ReadLineAsync(TestContext.Current.CancellationToken) is { } line)
            {
                if (line.Length > 0)
                {
                    lines.Add(line);
                }
            }

            Assert.True(lines.Count == 5, "the silo logged fewer than 5 lines: " + string.Join(" | ", lines));
            Assert.All(lines, l => Assert.Matches(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z (trce|dbug|info|warn|fail|crit): ", l));
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None);
        }
    }

    private static string Setting(string[] args, string key)
        => args.Single(a => a.StartsWith($"--Tributary:{key}=", StringComparison.Ordinal))[$"--Tributary:{key}=".Length..];

    internal static string[] Ports() =>
    [
        "--profile", "embedded",
        $"--Tributary:HttpUrls=http://127.0.0.1:{FreePort.Next()}",
        $"--Tributary:SiloPort={FreePort.Next()}",
        $"--Tributary:GatewayPort={FreePort.Next()}",
    ];

    /// <summary>Runs the silo process to its exit; returns its exit code and standard output and error together.</summary>
    internal static async Task<(int ExitCode, string Output)> RunSiloAsync(string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Tributary.Silo.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start the silo process");
        var stdout = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        try
        {
            // a guard against a regression that keeps the process running, not a measurement
            using var guard = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
            guard.CancelAfter(TimeSpan.FromMinutes(2));
            await process.WaitForExitAsync(guard.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return (process.ExitCode, await stdout + await stderr);
    }

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
