namespace Tributary.Tracker;

/// <summary>The replica being read stopped being a usable replica (promoted, gone, or broken) mid-snapshot.</summary>
public sealed class ReplicaLostException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>No host of the shard is an eligible replica.</summary>
public sealed class NoReplicaAvailableException(string message) : Exception(message);
