using System.Net.Sockets;

namespace Tributary.TestKit.Tests;

public sealed class ServiceProcessTests
{
    [Fact]
    public void ParseVariables_KeyValueLines_SplitAtFirstEquals()
    {
        var variables = ServiceProcess.ParseVariables("TRIBUTARY_REDIS=127.0.0.1:6379\n\nnoise\nTRIBUTARY_X=a=b\r\n");
        Assert.Equal(2, variables.Count);
        Assert.Equal("127.0.0.1:6379", variables["TRIBUTARY_REDIS"]);
        Assert.Equal("a=b", variables["TRIBUTARY_X"]);
    }

    [Fact]
    public void RepositoryRoot_FromTestBinaries_HoldsTheServiceScripts()
    {
        var root = ServiceProcess.RepositoryRoot();
        Assert.True(File.Exists(Path.Combine(root, ".ci", "services", "redis.sh")));
    }

    [Fact]
    public void Start_UnknownService_FailsNamingTheScript()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => ServiceProcess.Start("no-such-service"));
        Assert.Contains("no-such-service.sh", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_Redis_PrintsAnEndpointThatAcceptsConnectionsUntilStopped()
    {
        string host;
        int port;
        using (var redis = ServiceProcess.Start("redis"))
        {
            var endpoint = redis.Variables["TRIBUTARY_REDIS"];
            host = endpoint[..endpoint.LastIndexOf(':')];
            port = int.Parse(endpoint[(endpoint.LastIndexOf(':') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
            using var client = new TcpClient();
            await client.ConnectAsync(host, port, TestContext.Current.CancellationToken);
            await using var stream = client.GetStream();
            await stream.WriteAsync("PING\r\n"u8.ToArray(), TestContext.Current.CancellationToken);
            var reply = new byte[7];
            var read = await stream.ReadAtLeastAsync(reply, 7, cancellationToken: TestContext.Current.CancellationToken);
            Assert.Equal("+PONG\r\n", System.Text.Encoding.ASCII.GetString(reply, 0, read));
        }

        // stop waits until redis-server exited, so nothing listens any more
        using var after = new TcpClient();
        await Assert.ThrowsAsync<SocketException>(() => after.ConnectAsync(host, port, TestContext.Current.CancellationToken).AsTask());
    }

    [Fact]
    public async Task Start_RedisRestartedOnItsDirectory_KeepsWhatWasWritten()
    {
        // Checkpoints, membership and reminders live in Redis: a restart must not lose them (AOF persistence).
        var ct = TestContext.Current.CancellationToken;
        string directory;
        using (var redis = ServiceProcess.Start("redis"))
        {
            directory = redis.Directory;
            Assert.Equal("+OK\r\n", await RedisAsync(redis, "SET checkpoint 4711", ct));
        }

        using var again = ServiceProcess.Start("redis", directory);
        Assert.Equal("$4\r\n4711\r\n", await RedisAsync(again, "GET checkpoint", ct));
        Assert.Equal("*2\r\n$10\r\nappendonly\r\n$3\r\nyes\r\n", await RedisAsync(again, "CONFIG GET appendonly", ct));
    }

    /// <summary>The reply to one inline command; QUIT after it makes the server close the connection, so the read ends.</summary>
    private static async Task<string> RedisAsync(ServiceProcess redis, string command, CancellationToken ct)
    {
        var endpoint = redis.Variables["TRIBUTARY_REDIS"];
        var colon = endpoint.LastIndexOf(':');
        using var client = new TcpClient();
        await client.ConnectAsync(endpoint[..colon], int.Parse(endpoint[(colon + 1)..], System.Globalization.CultureInfo.InvariantCulture), ct);
        await using var stream = client.GetStream();
        await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes(command + "\r\nQUIT\r\n"), ct);
        using var reader = new StreamReader(stream, System.Text.Encoding.ASCII);
        var reply = await reader.ReadToEndAsync(ct);
        return reply.EndsWith("+OK\r\n", StringComparison.Ordinal) ? reply[..^5] : reply;
    }

    [Fact]
    public void Shared_VariableAlreadyInEnvironment_UsesItWithoutStarting()
    {
        Environment.SetEnvironmentVariable("TRIBUTARY_TESTKIT_PROBE_A", "given");
        Environment.SetEnvironmentVariable("TRIBUTARY_TESTKIT_PROBE_B", "too");
        try
        {
            // no such script: it would fail if it were run
            var variables = ServiceProcess.Shared("no-such-service", "TRIBUTARY_TESTKIT_PROBE_A", "TRIBUTARY_TESTKIT_PROBE_");
            Assert.Equal("given", variables["TRIBUTARY_TESTKIT_PROBE_A"]);
            Assert.Equal("too", variables["TRIBUTARY_TESTKIT_PROBE_B"]);
        }
        finally
        {
            Environment.SetEnvironmentVariable("TRIBUTARY_TESTKIT_PROBE_A", null);
            Environment.SetEnvironmentVariable("TRIBUTARY_TESTKIT_PROBE_B", null);
        }
    }
}
