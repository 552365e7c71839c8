using System.Diagnostics;
using System.Runtime.InteropServices;
using Tributary.TestKit;

namespace Tributary.Cluster.Tests;

/// <summary>
/// One silo as an operator runs it: <c>dotnet Tributary.Silo.dll</c> in the cluster profile, its own process, ports and log
/// file, configured through environment variables and arguments only. Stopped from outside: SIGKILL (<see cref="Kill"/>)
/// or SIGTERM (<see cref="StopAsync"/>), and started again on the same ports (<see cref="StartAsync"/>).
/// </summary>
internal sealed partial class SiloProcess : IAsyncDisposable
{
    private const int SigTerm = 15;
    private readonly IReadOnlyDictionary<string, string> _environment;
    private readonly string _log;
    private Process? _process;
    private int _starts;

    public SiloProcess(int index, IReadOnlyDictionary<string, string> environment, string logDirectory)
    {
        Index = index;
        _environment = environment;
        SiloPort = FreePort.Next();
        GatewayPort = FreePort.Next();
        HttpPort = FreePort.Next();
        _log = Path.Combine(logDirectory, $"silo-{index}.log");
        Http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{HttpPort}"), Timeout = TimeSpan.FromSeconds(30) };
    }

    public int Index { get; }

    public int SiloPort { get; }

    public int GatewayPort { get; }

    public int HttpPort { get; }

    public HttpClient Http { get; }

    public bool IsRunning => _process is { HasExited: false };

    /// <summary>The silo host's build output next to this test's configuration (Debug or Release).</summary>
    public static string SiloDll()
    {
        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";
        var dll = Path.Combine(ServiceProcess.RepositoryRoot(), "src", "Tributary.Silo", "bin", configuration, "net10.0", "Tributary.Silo.dll");
        return File.Exists(dll) ? dll : throw new InvalidOperationException($"{dll} is missing: build src/Tributary.Silo first");
    }

    /// <summary>Starts the process and waits until its HTTP API answers <c>/status/health</c>.</summary>
    public async Task StartAsync(TimeSpan deadline)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(SiloDll());
        info.ArgumentList.Add($"--Tributary:SiloPort={SiloPort}");
        info.ArgumentList.Add($"--Tributary:GatewayPort={GatewayPort}");
        info.ArgumentList.Add($"--Tributary:HttpUrls=http://127.0.0.1:{HttpPort}");
        foreach (var (key, value) in _environment)
        {
            info.Environment[key] = value;
        }

        var log = new StreamWriter(_log, append: true) { AutoFlush = true };
        await log.WriteLineAsync($"===== start {++_starts} at {DateTimeOffset.UtcNow:O}");
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) => Write(log, e.Data);
        process.ErrorDataReceived += (_, e) => Write(log, e.Data);
        process.Exited += (_, _) => Write(log, $"===== exited at {DateTimeOffset.UtcNow:O}");
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;

        var until = DateTime.UtcNow + deadline;
        while (true)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"silo {Index} exited with {process.ExitCode} at start; log {_log}:\n{Tail()}");
            }

            try
            {
                using var response = await Http.GetAsync("/status/health");
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                // not listening yet
            }

            if (DateTime.UtcNow > until)
            {
                throw new TimeoutException($"silo {Index} did not become healthy within {deadline}; log {_log}:\n{Tail()}");
            }

            await Task.Delay(200);
        }
    }

    /// <summary>SIGKILL: the process dies at once, with whatever it had not made durable.</summary>
    public void Kill()
    {
        if (_process is { HasExited: false } process)
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
        }
    }

    /// <summary>SIGTERM, then waits for a graceful exit (SIGKILL after <paramref name="deadline"/>).</summary>
    public async Task StopAsync(TimeSpan deadline)
    {
        if (_process is not { HasExited: false } process)
        {
            return;
        }

        _ = SendSignal(process.Id, SigTerm);
        using var timeout = new CancellationTokenSource(deadline);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }

    public string Tail(int lines = 40)
    {
        try
        {
            using var stream = new FileStream(_log, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            using var reader = new StreamReader(stream);
            var all = reader.ReadToEnd().Split('\n');
            return string.Join('\n', all.TakeLast(lines));
        }
        catch (IOException)
        {
            return "(no log)";
        }
    }

    public async ValueTask DisposeAsync()
    {
        Kill();
        _process?.Dispose();
        Http.Dispose();
        await Task.CompletedTask;
    }

    private static void Write(StreamWriter log, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (log)
        {
            try
            {
                log.WriteLine(line);
            }
            catch (ObjectDisposedException)
            {
                // the test ended
            }
        }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int SendSignal(int pid, int signal);
}
