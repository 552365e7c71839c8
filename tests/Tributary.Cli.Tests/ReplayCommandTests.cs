using Tributary.Cli.Commands;

namespace Tributary.Cli.Tests;

public sealed class ReplayCommandTests
{
    [Theory]
    [InlineData("0:5,x", null, null, null, false, null, "--from-offset")]
    [InlineData("0:5,0:6", null, null, null, false, null, "--from-offset")]
    [InlineData(null, "yesterday", null, null, false, null, "--from-time")]
    [InlineData(null, null, "1-2", null, false, null, "--until-offset")]
    [InlineData(null, null, null, "nope", false, null, "--until-time")]
    [InlineData(null, null, "0:1", null, true, null, "--until-latest")]
    [InlineData(null, null, null, null, false, "0,a", "--partitions")]
    [InlineData("0:1", "2026-01-01T00:00:00Z", null, null, false, null, "--from-time")]
    public void Malformed_argument_names_its_option(string? fromOffset, string? fromTime, string? untilOffset, string? untilTime, bool untilLatest, string? partitions, string option)
    {
        var ex = Assert.Throws<FormatException>(() => ReplayCommand.Build("t", "localhost:9092", fromOffset, fromTime, untilOffset, untilTime, untilLatest, partitions));
        Assert.Contains(option, ex.Message);
    }

    [Fact]
    public void Valid_arguments_build_the_source_options()
    {
        var options = ReplayCommand.Build("t", "b:9092", "0:5,3:7", null, null, "2026-01-01T00:00:00Z", false, "0,3");
        Assert.Equal(new Dictionary<int, long> { [0] = 5, [3] = 7 }, options.Start.Offsets);
        Assert.Equal(DateTimeOffset.Parse("2026-01-01T00:00:00Z").ToUnixTimeMilliseconds(), options.Until!.TimeMs);
        Assert.Equal([0, 3], options.Partitions);
        Assert.Equal("b:9092", options.Kafka.BootstrapServers);
    }

    [Fact]
    public async Task Command_line_with_a_malformed_offset_exits_non_zero()
    {
        var root = new System.CommandLine.RootCommand { ReplayCommand.Create() };
        var error = new StringWriter();
        var code = await root.Parse(["replay", "--topic", "t", "--local-store", "x", "--from-offset", "0-5"])
            .InvokeAsync(new System.CommandLine.InvocationConfiguration { Error = error, Output = new StringWriter() }, TestContext.Current.CancellationToken);
        Assert.NotEqual(0, code);
    }
}
