using Tributary.Agent.Configuration;
using Tributary.Agent.Options;

namespace Tributary.Agent.Tests;

public sealed class AgentConfigLoaderTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tributary-agent-config-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, string json)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, json);
        return path;
    }

    [Fact]
    public void LoadMain_ValidFile_ResolvesDirectoriesAgainstItsFolder()
    {
        var path = Write("agent.json", """{ "dataDirectory": "data", "confDirectory": "conf.d", "zone": "az-1", "kafka": { "bootstrap.servers": "127.0.0.1:9092" } }""");
        var options = AgentConfigLoader.LoadMain(path);
        Assert.Equal(Path.Combine(_dir, "data"), options.DataDirectory);
        Assert.Equal(Path.Combine(_dir, "conf.d"), options.ConfDirectory);
        Assert.Equal("az-1", options.Zone);
    }

    [Fact]
    public void LoadMain_MissingBootstrapServers_NamesTheKey()
    {
        var path = Write("agent.json", """{ "dataDirectory": "data" }""");
        var ex = Assert.Throws<AgentConfigException>(() => AgentConfigLoader.LoadMain(path));
        Assert.Contains("kafka.bootstrap.servers: required", ex.Message, StringComparison.Ordinal);
        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadMain_InvalidInlineStream_NamesTheStreamIndexAndKey()
    {
        var path = Write("agent.json", """{ "dataDirectory": "d", "kafka": { "bootstrap.servers": "x:1" }, "streams": [ { "name": "a", "directory": "/tmp", "pattern": "a.log", "topic": "t", "batchMaxRecords": 0 } ] }""");
        var ex = Assert.Throws<AgentConfigException>(() => AgentConfigLoader.LoadMain(path));
        Assert.Contains("streams[0].batchMaxRecords: must be positive", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadStream_UnknownKey_NamesTheFileAndKey()
    {
        var path = Write("app.json", """{ "directory": "/var/log", "pattern": "app.log", "topic": "t", "partitoner": { } }""");
        var ex = Assert.Throws<AgentConfigException>(() => AgentConfigLoader.LoadStream(path));
        Assert.Contains("app.json", ex.Message, StringComparison.Ordinal);
        Assert.Contains("partitoner", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadStream_BadEnumValue_NamesTheKey()
    {
        var path = Write("app.json", """{ "directory": "/var/log", "pattern": "app.log", "topic": "t", "reader": "xml" }""");
        var ex = Assert.Throws<AgentConfigException>(() => AgentConfigLoader.LoadStream(path));
        Assert.Contains("$.reader", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadStream_Murmur2WithoutKeyField_NamesTheKey()
    {
        var path = Write("app.json", """{ "directory": "/var/log", "pattern": "app.log", "topic": "t", "partitioner": { "type": "murmur2" } }""");
        var ex = Assert.Throws<AgentConfigException>(() => AgentConfigLoader.LoadStream(path));
        Assert.Contains("partitioner.keyField: required", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadStream_NegativeRotateWait_NamesTheFileAndKey()
    {
        var path = Write("app.json", """{ "directory": "/var/log", "pattern": "app.log", "topic": "t", "rotateWaitMs": -1 }""");
        var ex = Assert.Throws<AgentConfigException>(() => AgentConfigLoader.LoadStream(path));
        Assert.Contains("app.json", ex.Message, StringComparison.Ordinal);
        Assert.Contains("rotateWaitMs: must not be negative (was -1)", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadStream_NoName_UsesTheFileName()
    {
        var path = Write("payments.json", """{ "directory": "/var/log", "pattern": "pay.log", "topic": "t", "reader": "binary", "partitioner": { "type": "fixed", "partitions": [1, 3] } }""");
        var stream = AgentConfigLoader.LoadStream(path);
        Assert.Equal("payments", stream.Name);
        Assert.Equal(ReaderKind.Binary, stream.Reader);
        Assert.Equal([1, 3], stream.Partitioner.Partitions);
    }
}
