namespace Tributary.Tracker.Tests;

public sealed class ShardTopologyTests
{
    [Fact]
    public void Resolve_HostFromEnvAndPasswordFile_ResolvesBoth()
    {
        var options = TrackerOptionsValidatorTests.Valid();
        var file = Path.GetTempFileName();
        File.WriteAllText(file, "s3cret\n");
        options.Clusters["main"].Credentials.PasswordEnv = null;
        options.Clusters["main"].Credentials.PasswordFile = file;
        Environment.SetEnvironmentVariable("DB_0B", "10.0.0.7:3307");

        var topology = ShardTopology.Resolve(options, "main", 0);

        Assert.Equal([new MySqlEndpoint("db-0a", 3306), new MySqlEndpoint("10.0.0.7", 3307)], topology.Hosts);
        Assert.Equal("snap", topology.User);
        Assert.Contains("Password=s3cret", topology.ConnectionString(topology.Hosts[0]), StringComparison.Ordinal);
        Assert.Contains("Treat Tiny As Boolean=False", topology.ConnectionString(topology.Hosts[0]), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Resolve_MissingPasswordVariable_NamesKeyAndVariable()
    {
        var options = TrackerOptionsValidatorTests.Valid();
        options.Clusters["main"].Credentials.PasswordEnv = "TRIBUTARY_TEST_UNSET_" + Guid.NewGuid().ToString("N");
        Environment.SetEnvironmentVariable("DB_0B", "10.0.0.7:3307");

        var ex = Assert.Throws<InvalidOperationException>(() => ShardTopology.Resolve(options, "main", 0));

        Assert.StartsWith("Tributary:Tracker:Clusters:main:Credentials:PasswordEnv:", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Resolve_UnknownShard_NamesTheShard()
    {
        var ex = Assert.Throws<ArgumentException>(() => ShardTopology.Resolve(TrackerOptionsValidatorTests.Valid(), "main", 9));

        Assert.Contains("no shard with Id 9", ex.Message, StringComparison.Ordinal);
    }
}
