using MySqlConnector;

namespace Tributary.Tracker;

/// <summary>
/// One shard's hosts and credentials resolved from <see cref="TrackerOptions"/> (environment variables and
/// password files read now), plus the MySqlConnector settings every Tracker connection uses.
/// </summary>
public sealed class ShardTopology
{
    private readonly string _password;

    private ShardTopology(string cluster, int shard, IReadOnlyList<MySqlEndpoint> hosts, string user, string password, TrackerOptions options, TrackerClusterOptions clusterOptions)
    {
        Cluster = cluster;
        Shard = shard;
        Hosts = hosts;
        User = user;
        _password = password;
        Options = options;
        ClusterOptions = clusterOptions;
    }

    /// <summary>Cluster name.</summary>
    public string Cluster { get; }

    /// <summary>Shard id.</summary>
    public int Shard { get; }

    /// <summary>Every host of the shard, in configuration order (roles are discovered at run time).</summary>
    public IReadOnlyList<MySqlEndpoint> Hosts { get; }

    /// <summary>User name Tracker logs in with.</summary>
    public string User { get; }

    /// <summary>The whole Tracker configuration.</summary>
    public TrackerOptions Options { get; }

    /// <summary>The cluster's configuration (table filters).</summary>
    public TrackerClusterOptions ClusterOptions { get; }

    /// <summary>Resolves <paramref name="cluster"/>/<paramref name="shard"/>; errors name the configuration key.</summary>
    public static ShardTopology Resolve(TrackerOptions options, string cluster, int shard)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!options.Clusters.TryGetValue(cluster, out var clusterOptions))
        {
            throw new ArgumentException($"{TrackerOptions.SectionName}:Clusters has no cluster '{cluster}' (known: {string.Join(", ", options.Clusters.Keys)}).", nameof(cluster));
        }

        var index = clusterOptions.Shards.FindIndex(s => s.Id == shard);
        if (index < 0)
        {
            throw new ArgumentException($"{TrackerOptions.SectionName}:Clusters:{cluster}:Shards has no shard with Id {shard}.", nameof(shard));
        }

        var key = $"{TrackerOptions.SectionName}:Clusters:{cluster}";
        var hosts = new List<MySqlEndpoint>();
        var shardOptions = clusterOptions.Shards[index];
        for (var h = 0; h < shardOptions.Hosts.Count; h++)
        {
            var text = shardOptions.Hosts[h];
            if (text.StartsWith("env:", StringComparison.Ordinal))
            {
                var variable = text[4..];
                text = Environment.GetEnvironmentVariable(variable) is { Length: > 0 } value
                    ? value
                    : throw new InvalidOperationException($"{key}:Shards:{index}:Hosts:{h}: environment variable {variable} is not set.");
            }

            hosts.Add(MySqlEndpoint.TryParse(text, out var endpoint)
                ? endpoint
                : throw new InvalidOperationException($"{key}:Shards:{index}:Hosts:{h}: '{text}' is not 'host:port'."));
        }

        var credentials = clusterOptions.Credentials;
        var user = credentials.UserEnv is { Length: > 0 } userEnv
            ? Environment.GetEnvironmentVariable(userEnv) is { Length: > 0 } u ? u : throw new InvalidOperationException($"{key}:Credentials:UserEnv: environment variable {userEnv} is not set.")
            : credentials.User ?? throw new InvalidOperationException($"{key}:Credentials: set User or UserEnv.");
        string password;
        if (credentials.PasswordEnv is { Length: > 0 } passwordEnv)
        {
            password = Environment.GetEnvironmentVariable(passwordEnv)
                ?? throw new InvalidOperationException($"{key}:Credentials:PasswordEnv: environment variable {passwordEnv} is not set.");
        }
        else if (credentials.PasswordFile is { Length: > 0 } passwordFile)
        {
            password = File.Exists(passwordFile)
                ? File.ReadAllText(passwordFile).TrimEnd('\r', '\n')
                : throw new InvalidOperationException($"{key}:Credentials:PasswordFile: file '{passwordFile}' does not exist.");
        }
        else
        {
            throw new InvalidOperationException($"{key}:Credentials: set PasswordEnv or PasswordFile.");
        }

        return new ShardTopology(cluster, shard, hosts, user, password, options, clusterOptions);
    }

    /// <summary>
    /// Connection string for <paramref name="host"/>. Zero dates come back as <see cref="MySqlDateTime"/>
    /// (never silently converted), TINYINT(1) stays a number, BINARY(16)/CHAR(36) are never turned into Guids,
    /// the session runs in UTC so TIMESTAMP values are UTC, and reads have no command timeout.
    /// </summary>
    public string ConnectionString(MySqlEndpoint host)
        => new MySqlConnectionStringBuilder
        {
            Server = host.Host,
            Port = (uint)host.Port,
            UserID = User,
            Password = _password,
            AllowZeroDateTime = true,
            ConvertZeroDateTime = false,
            TreatTinyAsBoolean = false,
            GuidFormat = MySqlGuidFormat.None,
            DateTimeKind = MySqlDateTimeKind.Unspecified,
            CharacterSet = "utf8mb4",
            ConnectionTimeout = (uint)Options.ConnectTimeoutSeconds,
            DefaultCommandTimeout = 0,
            Pooling = false,
            AllowPublicKeyRetrieval = true,
            SslMode = MySqlSslMode.Preferred,
            ApplicationName = "tributary-tracker",

            // Chunk reads are prepared: the binary protocol spares the server formatting and the client parsing text.
            IgnorePrepare = !Options.UseBinaryProtocol,
        }.ConnectionString;

    /// <summary>Opens a connection to <paramref name="host"/>; a data session (<paramref name="utcSession"/>) runs in UTC.</summary>
    public async Task<MySqlConnection> OpenAsync(MySqlEndpoint host, CancellationToken cancellationToken, bool utcSession = true)
    {
        var connection = new MySqlConnection(ConnectionString(host));
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            if (!utcSession)
            {
                return connection;
            }

            await using var command = new MySqlCommand("SET SESSION time_zone = '+00:00'", connection);
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }
}
