using Tributary.Agent;
using Tributary.Agent.Configuration;

// The agent's worker process: Tributary.Agent --config /etc/tributary/agent.json
if (args.Length != 2 || args[0] != "--config")
{
    await Console.Error.WriteLineAsync("usage: Tributary.Agent --config <agent.json>");
    return 2;
}

try
{
    return await AgentProgram.RunAsync(AgentConfigLoader.LoadMain(args[1]), CancellationToken.None);
}
catch (AgentConfigException ex)
{
    await Console.Error.WriteLineAsync($"invalid configuration: {ex.Message}");
    return 2;
}
