namespace Tributary.Cli.Bench;

/// <summary>Common benchmark settings.</summary>
internal sealed record BenchSettings(long? Events, int BatchSize);
