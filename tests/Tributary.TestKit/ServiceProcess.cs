using System.Collections.Concurrent;
using System.Diagnostics;

namespace Tributary.TestKit;

/// <summary>
/// A service the tests need (Redis, s3rver, MariaDB), run the one way <c>./build.sh</c> runs it: the repository's
/// <c>.ci/services/NAME.sh start DIR</c> prints the <c>KEY=VALUE</c> lines that tell clients where it listens, and
/// <c>stop DIR</c> stops it. Tests call <see cref="Shared"/>: when <c>./build.sh test</c> (or <c>./build.sh services</c>)
/// already exported the variables, they use that service; otherwise the script runs here once per test process,
/// its variables are exported into this process, and it is stopped when the process exits.
/// </summary>
public sealed class ServiceProcess : IDisposable
{
    private static readonly ConcurrentDictionary<string, Lazy<IReadOnlyDictionary<string, string>>> SharedServices = new(StringComparer.Ordinal);
    private readonly string _script;
    private bool _stopped;

    private ServiceProcess(string name, string script, string directory, IReadOnlyDictionary<string, string> variables)
    {
        Name = name;
        _script = script;
        Directory = directory;
        Variables = variables;
    }

    /// <summary>The service's name: its script is <c>.ci/services/{Name}.sh</c>.</summary>
    public string Name { get; }

    /// <summary>The throwaway directory the service keeps its data, pid files and logs in.</summary>
    public string Directory { get; }

    /// <summary>The <c>KEY=VALUE</c> lines the start script printed.</summary>
    public IReadOnlyDictionary<string, string> Variables { get; }

    /// <summary>
    /// The variables of the shared service <paramref name="name"/>: the environment's variables starting with
    /// <paramref name="prefix"/> when <paramref name="requiredVariable"/> is set (a service started by <c>./build.sh</c>),
    /// otherwise those printed by starting it here (once per process; they are exported into the environment too).
    /// </summary>
    public static IReadOnlyDictionary<string, string> Shared(string name, string requiredVariable, string prefix)
    {
        if (Environment.GetEnvironmentVariable(requiredVariable) is { Length: > 0 })
        {
            return FromEnvironment(prefix);
        }

        return SharedServices.GetOrAdd(name, n => new Lazy<IReadOnlyDictionary<string, string>>(() => StartShared(n, requiredVariable), LazyThreadSafetyMode.ExecutionAndPublication)).Value;
    }

    /// <summary>Runs <c>.ci/services/{name}.sh start</c> in a new temporary directory and returns the running service.</summary>
    /// <exception cref="InvalidOperationException">The script is missing or failed (its standard error is in the message).</exception>
    public static ServiceProcess Start(string name) => Start(name, null);

    /// <summary>
    /// Runs <c>.ci/services/{name}.sh start</c> in <paramref name="directory"/> (a new temporary directory when null):
    /// starting again in the directory of a stopped service restarts it on its own data.
    /// </summary>
    /// <exception cref="InvalidOperationException">The script is missing or failed (its standard error is in the message).</exception>
    public static ServiceProcess Start(string name, string? directory)
    {
        var script = FindScript(name);
        directory ??= System.IO.Directory.CreateTempSubdirectory($"tributary-{name}-").FullName;
        var (exitCode, output, error) = RunScript(script, "start", directory);
        if (exitCode != 0)
        {
            throw new InvalidOperationException($"{script} start failed ({exitCode}): {error.Trim()} (run ./build.sh deps to install the services, or ./build.sh services to start them and export what they print)");
        }

        return new ServiceProcess(name, script, directory, ParseVariables(output));
    }

    /// <summary>Parses the <c>KEY=VALUE</c> lines of a start script's output (blank lines and lines without '=' are ignored).</summary>
    public static IReadOnlyDictionary<string, string> ParseVariables(string output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var variables = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var eq = line.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0)
            {
                variables[line[..eq]] = line[(eq + 1)..];
            }
        }

        return variables;
    }

    /// <summary>The repository root: the first directory above the test binaries that holds <c>.ci/services</c>.</summary>
    /// <exception cref="InvalidOperationException">No such directory (the tests run outside a checkout).</exception>
    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (System.IO.Directory.Exists(Path.Combine(dir.FullName, ".ci", "services")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("cannot find .ci/services above " + AppContext.BaseDirectory + "; start the services with ./build.sh services and export what it prints.");
    }

    /// <summary>Runs <c>stop</c> (idempotent); the script waits until the service exited.</summary>
    public void Stop()
    {
        if (_stopped)
        {
            return;
        }

        _stopped = true;
        RunScript(_script, "stop", Directory);
    }

    /// <inheritdoc />
    public void Dispose() => Stop();

    private static IReadOnlyDictionary<string, string> StartShared(string name, string requiredVariable)
    {
        var service = Start(name);
        if (!service.Variables.ContainsKey(requiredVariable))
        {
            service.Stop();
            throw new InvalidOperationException($".ci/services/{name}.sh start printed no {requiredVariable}");
        }

        foreach (var (key, value) in service.Variables)
        {
            Environment.SetEnvironmentVariable(key, value);
        }

        AppDomain.CurrentDomain.ProcessExit += (_, _) => service.Stop();
        return service.Variables;
    }

    private static Dictionary<string, string> FromEnvironment(string prefix) =>
        Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>()
            .Where(e => ((string)e.Key).StartsWith(prefix, StringComparison.Ordinal))
            .ToDictionary(e => (string)e.Key, e => (string)e.Value!, StringComparer.Ordinal);

    private static string FindScript(string name)
    {
        var script = Path.Combine(RepositoryRoot(), ".ci", "services", name + ".sh");
        return File.Exists(script) ? script : throw new InvalidOperationException($"no service script {script}");
    }

    private static (int ExitCode, string Output, string Error) RunScript(string script, string action, string directory)
    {
        var start = new ProcessStartInfo("bash", [script, action, directory])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // The scripts find npm tools (s3rver) under $TOOLS, as ./build.sh sets it.
        if (Environment.GetEnvironmentVariable("TOOLS") is not { Length: > 0 })
        {
            start.Environment["TOOLS"] = Path.Combine(RepositoryRoot(), ".tools");
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not run bash");
        var error = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output, error.GetAwaiter().GetResult());
    }
}
