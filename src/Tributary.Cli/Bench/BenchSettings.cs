namespace Tributary.Cli.Bench;

/// <summary>Common benchmark settings (<see cref="MemoryBudgetMb"/> is read by <c>bench memory</c> only).</summary>
internal sealed record BenchSettings(long? Events, int BatchSize, double? MemoryBudgetMb = null);
