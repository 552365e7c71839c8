using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;
using Tributary.Silo;

namespace Tributary.Docs.Tests;

/// <summary>
/// Keeps the root README true: the classes it names exist, what does not exist is marked planned, its links stay
/// inside the repository and resolve, and its example of a start-up error is the message the silo really gives.
/// </summary>
public sealed partial class ReadmeTests
{
    private static readonly string Readme = RepositoryFiles.Read("README.md");

    [Fact]
    public void EveryGrainRouterOrSourceTheReadmeNamesExistsOrIsMarkedPlanned()
    {
        var declared = DeclaredTypeNames();
        var missing = new List<string>();
        foreach (var line in Readme.Split('\n'))
        {
            if (line.Contains("planned", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            foreach (Match m in ComponentName().Matches(line))
            {
                if (!declared.Contains(m.Value))
                {
                    missing.Add($"{m.Value} (line: {line.Trim()})");
                }
            }
        }

        Assert.True(missing.Count == 0, "README names types that src/ does not declare: " + string.Join("; ", missing));
    }

    [Fact]
    public void TheReadmeNamesTheGrainsThatExist()
    {
        // The architecture section's grains table must not go stale in the other direction either.
        var grains = DeclaredTypeNames().Where(n => n.EndsWith("Grain", StringComparison.Ordinal) && !n.StartsWith('I')).ToList();
        Assert.NotEmpty(grains);
        var unnamed = grains.Where(g => !Readme.Contains(g, StringComparison.Ordinal) && !IsAbstract(g)).ToList();
        Assert.True(unnamed.Count == 0, "grain classes the README does not describe: " + string.Join(", ", unnamed));
    }

    [Fact]
    public void LinksStayInsideTheRepositoryAndResolve()
    {
        var broken = new List<string>();
        foreach (Match m in MarkdownLink().Matches(Readme))
        {
            var target = m.Groups[1].Value;
            if (target.StartsWith("http", StringComparison.Ordinal) || target.StartsWith('#'))
            {
                continue;
            }

            var path = Path.GetFullPath(Path.Combine(RepositoryFiles.Root, target.Split('#')[0]));
            if (!path.StartsWith(RepositoryFiles.Root, StringComparison.Ordinal) || !(File.Exists(path) || Directory.Exists(path)))
            {
                broken.Add(target);
            }
        }

        Assert.True(broken.Count == 0, "README links outside the repository or to nothing: " + string.Join(", ", broken));
        Assert.DoesNotContain("../shared", Readme, StringComparison.Ordinal);
    }

    [Fact]
    public void TheExampleStartupErrorIsTheRealMessage()
    {
        var result = new TributarySettingsValidator().Validate(Options.DefaultName, new TributarySettings { Clustering = "zookeeper" });
        Assert.True(result.Failed);
        var message = Assert.Single(result.Failures!, f => f.Contains(":Clustering ", StringComparison.Ordinal));
        Assert.Contains($"`{message}`", Readme, StringComparison.Ordinal);
    }

    private static HashSet<string> DeclaredTypeNames()
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var file in Directory.EnumerateFiles(Path.Combine(RepositoryFiles.Root, "src"), "*.cs", SearchOption.AllDirectories))
        {
            if (file.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                || file.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            {
                continue;
            }

            foreach (Match m in TypeDeclaration().Matches(File.ReadAllText(file)))
            {
                names.Add(m.Groups[1].Value);
            }
        }

        return names;
    }

    private static bool IsAbstract(string typeName)
        => Directory.EnumerateFiles(Path.Combine(RepositoryFiles.Root, "src"), "*.cs", SearchOption.AllDirectories)
            .Any(f => Regex.IsMatch(File.ReadAllText(f), $@"\babstract\s+(partial\s+)?class\s+{typeName}\b"));

    [GeneratedRegex(@"\b[A-Z][A-Za-z]+(Grain|Source|Sink|Router|Planner|Enricher)\b")]
    private static partial Regex ComponentName();

    [GeneratedRegex(@"\b(?:class|interface|record|struct|enum)\s+([A-Z][A-Za-z0-9]*)")]
    private static partial Regex TypeDeclaration();

    [GeneratedRegex(@"\]\(([^)\s]+)\)")]
    private static partial Regex MarkdownLink();
}
