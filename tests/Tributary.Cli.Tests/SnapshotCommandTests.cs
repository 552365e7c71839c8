using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Tributary.Cli.Tests;

/// <summary>
/// <c>tributary snapshot</c> with bad settings, as a new user would try it: one line naming the key or the host, exit
/// code 2 for configuration and 1 for a run failure, never a stack trace. Each case runs the real process.
/// </summary>
public sealed class SnapshotCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tributary-snapshot-cmd-").FullName;
    private readonly string _passwordVariable = "TRIBUTARY_TEST_SET_" + Guid.NewGuid().ToString("N");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Snapshot_PasswordEnvNotSet_Exit2NamingTheKey()
    {
        var (code, output) = await RunAsync(Topology("127.0.0.1:3306", "TRIBUTARY_TEST_UNSET_" + Guid.NewGuid().ToString("N")), "--cluster", "c");
        AssertOneLine(output, code, 2, "Tributary:Tracker:Clusters:c:Credentials:PasswordEnv: environment variable");
    }

    [Fact]
    public async Task Snapshot_UnknownCluster_Exit2NamingTheKey()
    {
        var (code, output) = await RunAsync(Topology("127.0.0.1:3306", _passwordVariable), "--cluster", "nosuch");
        AssertOneLine(output, code, 2, "Tributary:Tracker:Clusters has no cluster 'nosuch'");
    }

    [Fact]
    public async Task Snapshot_ClosedPort_Exit1NamingTheHostUnreachable()
    {
        var port = ClosedPort();
        var (code, output) = await RunAsync(Topology($"127.0.0.1:{port}", _passwordVariable), "--cluster", "c");
        AssertOneLine(output, code, 1, $"snapshot of c/0 failed: shard c/0 has no eligible replica: 127.0.0.1:{port} Unreachable");
    }

    [Fact]
    public async Task Snapshot_UnknownHost_Exit1NamingTheHost()
    {
        var (code, output) = await RunAsync(Topology("no-such-host.invalid:3306", _passwordVariable), "--cluster", "c");
        AssertOneLine(output, code, 1, "no-such-host.invalid:3306 Unreachable");
    }

    private static void AssertOneLine(string output, int code, int expectedCode, string expected)
    {
        Assert.True(code == expectedCode, $"exit {code}, expected {expectedCode}: {output}");
        Assert.Contains(expected, output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", output, StringComparison.Ordinal);
        Assert.Single(output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries), l => l.Contains(expected, StringComparison.Ordinal));
    }

    private string Topology(string host, string passwordEnv)
    {
        var path = Path.Combine(_dir, $"tracker-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, $$"""
            { "Tributary": { "Tracker": { "ConnectTimeoutSeconds": 2, "Clusters": { "c": {
              "Credentials": { "User": "snap", "PasswordEnv": "{{passwordEnv}}" },
              "Shards": [ { "Id": 0, "Hosts": [ "{{host}}" ] } ] } } } } }
            """);
        return path;
    }

    private async Task<(int Code, string Output)> RunAsync(string config, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = _dir };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "tributary.dll"));
        foreach (var arg in (string[])["snapshot", "--shard", "0", "--config", config, "--out", Path.Combine(_dir, "out"), .. args])
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment[_passwordVariable] = "secret";
        using var process = Process.Start(info)!;
        // a guard against a hang, not a measurement
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(TimeSpan.FromMinutes(2));
        var stdout = process.StandardOutput.ReadToEndAsync(cts.Token);
        var stderr = process.StandardError.ReadToEndAsync(cts.Token);
        await process.WaitForExitAsync(cts.Token);
        return (process.ExitCode, await stdout + await stderr);
    }

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
