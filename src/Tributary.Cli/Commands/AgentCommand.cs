using System.CommandLine;
using Tributary.Agent;
using Tributary.Agent.Configuration;

namespace Tributary.Cli.Commands;

/// <summary><c>tributary agent --config agent.json</c>: runs the log agent until Ctrl-C or SIGTERM (graceful: final watermarks written).</summary>
internal static class AgentCommand
{
    public static Command Create()
    {
        var config = new Option<FileInfo>("--config") { Description = "The agent's main JSON file (see src/Tributary.Agent/README.md).", Required = true };
        var command = new Command("agent", "Tail log files and ship every record to Kafka at-least-once.") { config };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var path = parse.GetValue(config)!.FullName;
            try
            {
                return await AgentProgram.RunAsync(AgentConfigLoader.LoadMain(path), cancellationToken);
            }
            catch (AgentConfigException ex)
            {
                await Console.Error.WriteLineAsync($"invalid configuration: {ex.Message}");
                return 2;
            }
        });
        return command;
    }
}
