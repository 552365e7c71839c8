namespace Tributary.Tracker;

/// <summary>The replica being read stopped being a usable replica (promoted, gone, or broken) mid-snapshot.</summary>
public sealed class ReplicaLostException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>No host of the shard is an eligible replica.</summary>
public sealed class NoReplicaAvailableException(string message) : Exception(message);

/// <summary>The configuration names something the shard does not have (an <c>IncludeDatabases</c> entry without wildcards that matches no database); <see cref="Exception.Message"/> names the key.</summary>
public sealed class SnapshotConfigurationException(string key, string message) : Exception($"{key}: {message}")
{
    /// <summary>The configuration key at fault, as written (<c>Tributary:Tracker:Clusters:main:IncludeDatabases:0</c>).</summary>
    public string Key { get; } = key;
}
