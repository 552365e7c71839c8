namespace Tributary.Grains.Sql;

/// <summary>The SQL sink's fixed names: its configuration section, stream namespace and meter.</summary>
public static class SqlSink
{
    /// <summary>The configuration section (<see cref="SqlSinkOptions"/> and the loader's options): <c>Tributary:SqlSink</c>.</summary>
    public const string SectionName = "Tributary:SqlSink";

    /// <summary>The stream namespace of its Kafka stream provider.</summary>
    public const string StreamNamespace = SqlIngestGrain.StreamNamespace;

    /// <summary>The meter its counters are on.</summary>
    public const string MeterName = SqlSinkRuntime.MeterName;
}
