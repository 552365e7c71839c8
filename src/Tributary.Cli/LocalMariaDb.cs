using System.Diagnostics;
using System.Globalization;
using MySqlConnector;

namespace Tributary.Cli;

/// <summary>
/// A MariaDB server on loopback for the demo and the SQL bench: Debian's <c>mariadbd</c> (installed by
/// <c>./build.sh</c>), data in a temporary directory, a free port, no binary log, database <c>tributary</c> owned by
/// user <c>tributary</c> (password <see cref="Password"/>). Stopped and deleted on dispose.
/// </summary>
internal sealed class LocalMariaDb : IAsyncDisposable
{
    /// <summary>The demo user's password (loopback only, throwaway data).</summary>
    public const string Password = "tributary-demo";

    private readonly Process _server;
    private readonly string _directory;

    private LocalMariaDb(Process server, string directory, int port)
    {
        _server = server;
        _directory = directory;
        Port = port;
    }

    /// <summary>The TCP port on 127.0.0.1.</summary>
    public int Port { get; }

    /// <summary>MySqlConnector connection string of user <c>tributary</c>, database <c>tributary</c>.</summary>
    public string ConnectionString => $"Server=127.0.0.1;Port={Port.ToString(CultureInfo.InvariantCulture)};User ID=tributary;Password={Password};Database=tributary";

    /// <summary>The command line that opens the database with the MariaDB client.</summary>
    public string ClientCommand => $"mariadb -h 127.0.0.1 -P {Port.ToString(CultureInfo.InvariantCulture)} -u tributary -p{Password} tributary";

    /// <summary>Whether <c>mariadbd</c> is installed.</summary>
    public static bool IsInstalled => Find("mariadbd") is not null && Find("mariadb-install-db") is not null;

    /// <summary>Installs a data directory and starts the server; throws with the server's log when it does not come up.</summary>
    public static async Task<LocalMariaDb> StartAsync(CancellationToken cancellationToken)
    {
        var daemon = Find("mariadbd") ?? throw new InvalidOperationException("mariadbd is not installed (./build.sh deps installs mariadb-server)");
        var install = Find("mariadb-install-db")!;
        var directory = Directory.CreateTempSubdirectory("tributary-mariadb-").FullName;
        var data = Path.Combine(directory, "data");
        var socket = Path.Combine(directory, "mysqld.sock");
        var root = Environment.UserName == "root" || Environment.GetEnvironmentVariable("USER") == "root" || Environment.GetEnvironmentVariable("HOME") == "/root";
        var userArgs = root ? new[] { "--user=root" } : [];
        await RunAsync(install, [.. new[] { "--no-defaults" }, .. userArgs, $"--datadir={data}", "--auth-root-authentication-method=socket", "--skip-test-db"], cancellationToken);
        var port = EmbeddedSilo.FreePort();
        var server = Process.Start(new ProcessStartInfo(daemon, [
            "--no-defaults", .. userArgs, $"--datadir={data}", $"--socket={socket}", $"--port={port.ToString(CultureInfo.InvariantCulture)}",
            "--bind-address=127.0.0.1", $"--pid-file={Path.Combine(directory, "mysqld.pid")}", $"--log-error={Path.Combine(directory, "error.log")}",
            "--skip-log-bin", "--skip-name-resolve", "--innodb-buffer-pool-size=256M", "--innodb-flush-log-at-trx-commit=2",
            "--innodb-doublewrite=0", "--character-set-server=utf8mb4", "--collation-server=utf8mb4_bin", "--max-allowed-packet=256M", "--local-infile=1",
        ])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        }) ?? throw new InvalidOperationException("could not start mariadbd");
        server.OutputDataReceived += (_, _) => { };
        server.ErrorDataReceived += (_, _) => { };
        server.BeginOutputReadLine();
        server.BeginErrorReadLine();
        var db = new LocalMariaDb(server, directory, port);
        try
        {
            var admin = $"Server={socket};Protocol=Unix;User ID={(root ? "root" : Environment.UserName)};Pooling=false";
            var started = Stopwatch.StartNew();
            while (true)
            {
                try
                {
                    await using var connection = new MySqlConnection(admin);
                    await connection.OpenAsync(cancellationToken);
                    await using var command = new MySqlCommand($"CREATE DATABASE IF NOT EXISTS tributary; CREATE USER IF NOT EXISTS 'tributary'@'127.0.0.1' IDENTIFIED BY '{Password}'; GRANT ALL ON tributary.* TO 'tributary'@'127.0.0.1';", connection);
                    await command.ExecuteNonQueryAsync(cancellationToken);
                    return db;
                }
                catch (MySqlException) when (started.Elapsed < TimeSpan.FromSeconds(30) && !server.HasExited)
                {
                    await Task.Delay(100, cancellationToken);
                }
            }
        }
        catch (Exception ex)
        {
            var log = Path.Combine(directory, "error.log");
            var tail = File.Exists(log) ? string.Join('\n', File.ReadLines(log).TakeLast(10)) : string.Empty;
            await db.DisposeAsync();
            throw new InvalidOperationException($"MariaDB did not start: {ex.Message}\n{tail}", ex);
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (!_server.HasExited)
        {
            _server.Kill();
            await _server.WaitForExitAsync();
        }

        _server.Dispose();
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

    private static string? Find(string name)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':').Append("/usr/sbin").Append("/usr/bin"))
        {
            var path = Path.Combine(dir, name);
            if (File.Exists(path))
            {
                return path;
            }
        }

        return null;
    }

    private static async Task RunAsync(string file, string[] args, CancellationToken cancellationToken)
    {
        using var process = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false })
            ?? throw new InvalidOperationException("could not run " + file);
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} failed ({process.ExitCode}): {await error}{await output}");
        }
    }
}
