using System.CommandLine;
using Tributary.Cli.Bench;

namespace Tributary.Cli.Commands;

/// <summary><c>tributary bench SCENARIO</c>: end-to-end benchmarks that print JSON with ratios against a peer measured in the same run.</summary>
internal static class BenchCommand
{
    private static readonly Dictionary<string, Func<BenchSettings, CancellationToken, Task<string>>> Scenarios = new(StringComparer.Ordinal)
    {
        ["stream"] = StreamBench.RunAsync,
        ["archive"] = ArchiveBench.RunAsync,
        ["replay"] = ReplayBench.RunAsync,
        ["agent"] = AgentBench.RunAsync,
        ["tracker"] = TrackerBench.RunAsync,
        ["ingest"] = IngestBench.RunAsync,
        ["query"] = QueryBench.RunAsync,
        ["sql"] = SqlBench.RunAsync,
        ["catalog"] = CatalogBench.RunAsync,
        ["memory"] = MemoryBench.RunAsync,
    };

    public static Command Create()
    {
        var scenario = new Argument<string>("scenario") { Description = $"One of: {string.Join(", ", Scenarios.Keys)}, all.", DefaultValueFactory = _ => "all" };
        var events = new Option<long?>("--events") { Description = "Events to process (default per scenario)." };
        var batch = new Option<int>("--batch-size") { Description = "Records per batch container.", DefaultValueFactory = _ => 1000 };
        var budget = new Option<double?>("--memory-budget-mb") { Description = "Tributary:Segments:MemoryBudgetMb for the memory scenario (default 512)." };
        var command = new Command("bench", "Run a benchmark scenario; the last line printed is one JSON object.") { scenario, events, batch, budget };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var name = parse.GetValue(scenario)!;
            var settings = new BenchSettings(parse.GetValue(events), parse.GetValue(batch), parse.GetValue(budget));
            var selected = name == "all" ? Scenarios.Keys.ToList() : [name];
            foreach (var s in selected)
            {
                if (!Scenarios.TryGetValue(s, out var run))
                {
                    await Console.Error.WriteLineAsync($"unknown scenario '{s}'; known: {string.Join(", ", Scenarios.Keys)}, all");
                    return 2;
                }

                Console.WriteLine(await run(settings, cancellationToken));
            }

            return 0;
        });
        return command;
    }
}
