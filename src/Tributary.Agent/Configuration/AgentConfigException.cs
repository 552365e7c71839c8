namespace Tributary.Agent.Configuration;

/// <summary>The configuration is invalid; the message names the file and the key.</summary>
public sealed class AgentConfigException : Exception
{
    /// <summary>Creates the exception.</summary>
    public AgentConfigException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with its cause.</summary>
    public AgentConfigException(string message, Exception inner)
        : base(message, inner)
    {
    }

    /// <summary>Creates the exception.</summary>
    public AgentConfigException()
    {
    }
}
