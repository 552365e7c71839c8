using System.CommandLine;
using Tributary.Cli.Commands;

var root = new RootCommand("Tributary: real-time analytics on Orleans (log agent, Kafka streams, segments, archive, tracker).");
root.Subcommands.Add(DemoCommand.Create());
root.Subcommands.Add(DevBrokerCommand.Create());
root.Subcommands.Add(GenerateCommand.Create());
root.Subcommands.Add(BenchCommand.Create());
root.Subcommands.Add(AgentCommand.Create());
root.Subcommands.Add(SnapshotCommand.Create());
root.Subcommands.Add(QueryCommand.Create());
root.Subcommands.Add(ReplayCommand.Create());
root.Subcommands.Add(BackfillCommand.Create());
// Ctrl-C or SIGTERM cancels the command's token; the demo, the agent and benches then drain and report before
// they return, which can take longer than System.CommandLine's default 2 s before it ends the process.
return await root.Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = TimeSpan.FromMinutes(1) });
