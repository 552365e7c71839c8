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
return await root.Parse(args).InvokeAsync();
