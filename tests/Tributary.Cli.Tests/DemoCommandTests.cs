using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;
using MySqlConnector;
using Tributary.Cli.Commands;
using Tributary.Enrich;
using Tributary.MySqlLoad;
using Tributary.TestKit;

namespace Tributary.Cli.Tests;

/// <summary>
/// <c>tributary demo</c> in its own process against the real MariaDB it starts (Debian's mariadbd, as
/// <c>./build.sh</c> installs it): the SQL sink runs with filter and enrichment, and the demo ends with the SQL answer
/// per country and category.
/// </summary>
public sealed partial class DemoCommandTests
{
    [Fact]
    public async Task Demo_WithMariaDb_PrintsEnrichedAnswerPerCountryAndCategory()
    {
        var (code, stdout, stderr) = await RunDemoAsync("--duration", "6", "--rate", "2000");

        Assert.True(code == 0, $"demo exited {code}: {stderr}\n{stdout}");
        // Spectre wraps long lines at the (redirected) console's width: compare with whitespace collapsed.
        var text = Whitespace().Replace(stdout, " ");
        Assert.Contains("SQL sink: filtered (hides dropped) and enriched", text, StringComparison.Ordinal);
        var summary = Summary().Match(text);
        Assert.True(summary.Success, "no SQL sink summary in:\n" + stdout);
        var rows = long.Parse(summary.Groups["rows"].Value, NumberStyles.AllowThousands, CultureInfo.InvariantCulture);
        var filtered = long.Parse(summary.Groups["filtered"].Value, NumberStyles.AllowThousands, CultureInfo.InvariantCulture);
        Assert.True(rows > 1_000, $"{rows} rows committed");
        Assert.True(filtered > 0, "no hides filtered");

        // The answer's table: up to five (country, category, events, users) rows after its title.
        var answer = stdout[stdout.LastIndexOf("top 5 (geo_country, pin_category) by events", StringComparison.Ordinal)..];
        var cells = answer.Split('\n')
            .Select(line => line.Split('│', StringSplitOptions.TrimEntries))
            .Where(c => c.Length == 6 && long.TryParse(c[3], NumberStyles.AllowThousands, CultureInfo.InvariantCulture, out _))
            .ToList();
        Assert.InRange(cells.Count, 1, 5);
        Assert.All(cells, c => Assert.True(Country().IsMatch(c[1]) || c[1] == "unknown", $"'{c[1]}' is not a country code"));
        Assert.All(cells, c => Assert.True(PinCategoryTable.Categories.Contains(c[2]) || c[2] == "unknown", $"'{c[2]}' is not a seeded category"));
        var events = cells.Select(c => long.Parse(c[3], NumberStyles.AllowThousands, CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(events.OrderByDescending(e => e), events);
        Assert.True(events.Sum() <= rows);
    }

    [Fact]
    public async Task ReadmeAnalystQuestions_RunOnTheDemoTable()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var mariadb = await LocalMariaDb.StartAsync(ct);
        // The demo's table exactly: the embedded profile's columns plus the output columns of the demo's enrich stage.
        var configuration = new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(ServiceProcess.RepositoryRoot(), "silo-config", "appsettings.embedded.json"))
            .AddInMemoryCollection(await DemoSql.PrepareAsync(mariadb, ct))
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Tributary:SqlSink:ConnectionString"] = mariadb.ConnectionString })
            .Build();
        var load = configuration.GetSection("Tributary:SqlSink").Get<SqlLoadOptions>()!;
        await using var pipeline = await EnrichPipeline.CreateAsync(configuration.GetSection(EnrichOptions.SectionName).Get<EnrichOptions>()!, TimeProvider.System, null, ct);
        var loader = new MySqlTableLoader(load, [.. pipeline.OutputColumns.Select(c => (c.Name, c.SqlType))]);
        await loader.EnsureTableAsync(ct);

        var readme = File.ReadAllText(Path.Combine(ServiceProcess.RepositoryRoot(), "README.md"));
        var section = readme[readme.IndexOf("### The SQL sink", StringComparison.Ordinal)..];
        var start = section.IndexOf("```sql\n", StringComparison.Ordinal) + "```sql\n".Length;
        var block = section[start..section.IndexOf("```", start, StringComparison.Ordinal)];
        var questions = block.Split(';').Select(q => q.Trim()).Where(q => q.Length > 0).ToList();

        Assert.Equal(5, questions.Count);
        await using var connection = new MySqlConnection(mariadb.ConnectionString);
        await connection.OpenAsync(ct);
        foreach (var sql in questions)
        {
            await using var command = new MySqlCommand(sql, connection);
            await using var reader = await command.ExecuteReaderAsync(ct);
            Assert.True(reader.FieldCount >= 3, sql);
        }
    }

    private static async Task<(int Code, string Stdout, string Stderr)> RunDemoAsync(params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "tributary.dll"));
        info.ArgumentList.Add("demo");
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        info.ArgumentList.Add("--http");
        info.ArgumentList.Add($"http://127.0.0.1:{FreePort.Next().ToString(CultureInfo.InvariantCulture)}");
        // The embedded profile's fixed silo and gateway ports, moved so the test never meets another silo on this machine.
        info.Environment["Tributary__SiloPort"] = FreePort.Next().ToString(CultureInfo.InvariantCulture);
        info.Environment["Tributary__GatewayPort"] = FreePort.Next().ToString(CultureInfo.InvariantCulture);
        using var process = Process.Start(info)!;
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(TimeSpan.FromMinutes(4));
        var stdout = process.StandardOutput.ReadToEndAsync(cts.Token);
        var stderr = process.StandardError.ReadToEndAsync(cts.Token);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return (process.ExitCode, await stdout, await stderr);
    }

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();

    [GeneratedRegex(@"SQL sink: (?<rows>[\d,]+) enriched rows committed with their offsets, (?<filtered>[\d,]+) events filtered \(hides\)")]
    private static partial Regex Summary();

    [GeneratedRegex("^[A-Z]{2}$")]
    private static partial Regex Country();
}
