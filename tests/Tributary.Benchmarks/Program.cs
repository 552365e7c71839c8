using BenchmarkDotNet.Running;

// Micro-benchmarks of the hot paths (bitmaps, Bloom filter, segment append and scan, partitioner).
// Run: dotnet run -c Release --project tests/Tributary.Benchmarks -- --filter '*'
if (args.Length > 0 && args[0] == "append-cpu")
{
    Tributary.Benchmarks.AppendCpuProbe.Run(args);
}
else if (args.Length > 0 && args[0] == "open-filter")
{
    Tributary.Benchmarks.OpenFilterProbe.Run();
}
else if (args.Length > 0 && args[0] == "enrich")
{
    await Tributary.Benchmarks.EnrichProbe.RunAsync();
}
else if (args.Length > 0 && args[0] == "memory")
{
    Tributary.Benchmarks.MemoryProbe.Run(args);
}
else
{
    BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
}

/// <summary>Entry point holder for BenchmarkSwitcher.</summary>
public partial class Program;
