using Tributary.Agent.Files;

namespace Tributary.Agent.Tests;

public sealed class GlobTests
{
    [Theory]
    [InlineData("app.log", "app.log", true)]
    [InlineData("app.log.1", "app.log.*", true)]
    [InlineData("app.log", "app.log.*", false)]
    [InlineData("0.log.20240102-150405", "0.log.????????-??????", true)]
    [InlineData("0.log.20240102-150405.gz", "0.log.????????-??????", false)]
    [InlineData("web-3.log", "*.log", true)]
    [InlineData("web.log.bak", "*.log", false)]
    public void IsMatch_NameAndPattern_MatchesLikeAShellGlob(string name, string pattern, bool expected)
        => Assert.Equal(expected, Glob.IsMatch(name, pattern));
}
