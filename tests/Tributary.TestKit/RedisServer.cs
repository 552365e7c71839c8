namespace Tributary.TestKit;

/// <summary>
/// The Redis the tests use: <c>TRIBUTARY_REDIS</c> when <c>./build.sh test</c> started one, otherwise
/// <c>.ci/services/redis.sh</c> run here through <see cref="ServiceProcess"/> (Debian's redis-server on a free
/// loopback port with a throwaway data directory, stopped when the test process exits).
/// </summary>
public static class RedisServer
{
    /// <summary>StackExchange.Redis connection string of the test Redis.</summary>
    public static string ConnectionString => ServiceProcess.Shared("redis", "TRIBUTARY_REDIS", "TRIBUTARY_REDIS")["TRIBUTARY_REDIS"];
}
