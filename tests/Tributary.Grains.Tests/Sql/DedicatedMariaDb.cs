using System.Diagnostics;
using System.Globalization;
using MySqlConnector;
using Tributary.TestKit;

namespace Tributary.Grains.Tests.Sql;

/// <summary>
/// A MariaDB server that one test owns, so the test can kill and restart the real <c>mariadbd</c> without touching the
/// shared services' server: Debian's <c>mariadb-install-db</c> and <c>mariadbd --no-defaults</c> on a free loopback
/// port, data in a temporary directory that survives <see cref="KillAsync"/> (a restart recovers from it). User
/// <see cref="User"/> may do anything over TCP. Stopped and deleted on dispose.
/// </summary>
internal sealed class DedicatedMariaDb : IAsyncDisposable
{
    public const string User = "tributary_test";
    private const string Password = "dedicated-test-pw";
    private static readonly TimeSpan StartDeadline = TimeSpan.FromSeconds(60);
    private readonly string _directory;
    private readonly bool _root = Environment.UserName == "root";
    private Process? _server;

    private DedicatedMariaDb(string directory, int port)
    {
        _directory = directory;
        Port = port;
    }

    /// <summary>The TCP port on 127.0.0.1 (the same across restarts).</summary>
    public int Port { get; }

    /// <summary>Connection string of <see cref="User"/>, no default database.</summary>
    public string ConnectionString => new MySqlConnectionStringBuilder
    {
        Server = "127.0.0.1",
        Port = (uint)Port,
        UserID = User,
        Password = Password,
        ConnectionTimeout = 3,
    }.ConnectionString;

    /// <summary>The process id of the running server (changes with every <see cref="StartAsync()"/>).</summary>
    public int ProcessId => _server?.Id ?? throw new InvalidOperationException("the server is not running");

    private string Socket => Path.Combine(_directory, "mysqld.sock");

    /// <summary>Installs a data directory, starts the server and creates <see cref="User"/>.</summary>
    public static async Task<DedicatedMariaDb> StartNewAsync()
    {
        var directory = Directory.CreateTempSubdirectory("tributary-dedicated-mariadb-").FullName;
        var db = new DedicatedMariaDb(directory, FreePort.Next());
        try
        {
            await db.RunAsync(Find("mariadb-install-db"), ["--no-defaults", .. db.UserArgs, $"--datadir={Path.Combine(directory, "data")}", "--auth-root-authentication-method=socket", "--skip-test-db"]);
            await db.StartAsync();
            await using var connection = new MySqlConnection($"Server={db.Socket};Protocol=Unix;User ID=root;Pooling=false");
            await connection.OpenAsync();
            await using var command = new MySqlCommand($"CREATE USER '{User}'@'127.0.0.1' IDENTIFIED BY '{Password}'; GRANT ALL ON *.* TO '{User}'@'127.0.0.1';", connection);
            await command.ExecuteNonQueryAsync();
            return db;
        }
        catch
        {
            await db.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts <c>mariadbd</c> on the data directory and port; returns once it accepts connections.</summary>
    public async Task StartAsync()
    {
        if (_server is { HasExited: false })
        {
            throw new InvalidOperationException("the server is already running");
        }

        _server?.Dispose();
        var data = Path.Combine(_directory, "data");
        _server = Process.Start(new ProcessStartInfo(Find("mariadbd"), [
            "--no-defaults", .. UserArgs, $"--datadir={data}", $"--socket={Socket}", $"--port={Port.ToString(CultureInfo.InvariantCulture)}",
            "--bind-address=127.0.0.1", $"--pid-file={Path.Combine(_directory, "mysqld.pid")}", $"--log-error={Path.Combine(_directory, "error.log")}",
            "--skip-log-bin", "--skip-name-resolve", "--innodb-buffer-pool-size=128M", "--innodb-doublewrite=0",
            "--character-set-server=utf8mb4", "--collation-server=utf8mb4_bin", "--max-connections=300",
        ])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        }) ?? throw new InvalidOperationException("could not start mariadbd");
        _server.OutputDataReceived += (_, _) => { };
        _server.ErrorDataReceived += (_, _) => { };
        _server.BeginOutputReadLine();
        _server.BeginErrorReadLine();

        // mariadbd gives no readiness signal but its socket: poll it, with a deadline.
        var started = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                await using var connection = new MySqlConnection($"Server={Socket};Protocol=Unix;User ID=root;Pooling=false");
                await connection.OpenAsync();
                return;
            }
            catch (MySqlException) when (started.Elapsed < StartDeadline && !_server.HasExited)
            {
                await Task.Delay(100);
            }
            catch (MySqlException ex)
            {
                throw new InvalidOperationException($"mariadbd did not start on port {Port}: {ex.Message}\n{LogTail()}", ex);
            }
        }
    }

    /// <summary>Kills <c>mariadbd</c> (SIGKILL: no clean shutdown, the next start runs InnoDB crash recovery) and waits until it is gone.</summary>
    public async Task KillAsync()
    {
        if (_server is { HasExited: false } server)
        {
            server.Kill();
            await server.WaitForExitAsync();
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _server?.Dispose();
        MySqlConnection.ClearAllPools();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // left for the OS to clean (temp directory)
        }
    }

    /// <summary>The program's path: on PATH, or in /usr/sbin (where Debian puts mariadbd, often not on a user's PATH).</summary>
    private static string Find(string name)
        => (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':', StringSplitOptions.RemoveEmptyEntries).Append("/usr/sbin").Append("/usr/bin")
            .Select(dir => Path.Combine(dir, name)).FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException($"{name} is not installed (./build.sh deps installs mariadb-server)");

    private string[] UserArgs => _root ? ["--user=root"] : [];

    private string LogTail()
    {
        var log = Path.Combine(_directory, "error.log");
        return File.Exists(log) ? string.Join('\n', File.ReadLines(log).TakeLast(15)) : "(no error.log)";
    }

    private async Task RunAsync(string file, string[] args)
    {
        using var process = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false })
            ?? throw new InvalidOperationException("could not run " + file);
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} failed ({process.ExitCode}): {await error}{await output} (./build.sh deps installs mariadb-server)");
        }
    }
}
