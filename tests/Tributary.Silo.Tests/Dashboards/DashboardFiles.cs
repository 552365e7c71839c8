using System.Text.Json;
using System.Text.RegularExpressions;

namespace Tributary.Silo.Tests.Dashboards;

/// <summary>The Grafana dashboards in dashboards/, the metric names their expressions use, and the metric table of dashboards/README.md.</summary>
internal static partial class DashboardFiles
{
    private static readonly Lazy<string> DirectoryPath = new(Find);

    /// <summary>dashboards/ of the repository the tests were built from.</summary>
    public static string Directory => DirectoryPath.Value;

    /// <summary>Every dashboard's file name.</summary>
    public static IReadOnlyList<string> Names
        => [.. System.IO.Directory.GetFiles(Directory, "*.json").Select(Path.GetFileName).Order(StringComparer.Ordinal)!];

    /// <summary>The dashboard's parsed JSON.</summary>
    public static JsonDocument Parse(string name) => JsonDocument.Parse(File.ReadAllText(Path.Combine(Directory, name)));

    /// <summary>Every PromQL expression of the dashboard: panel targets and query variables.</summary>
    public static IReadOnlyList<string> Expressions(JsonElement dashboard)
    {
        var expressions = new List<string>();
        foreach (var panel in dashboard.GetProperty("panels").EnumerateArray())
        {
            foreach (var target in panel.TryGetProperty("targets", out var targets) ? targets.EnumerateArray() : default)
            {
                expressions.Add(target.GetProperty("expr").GetString()!);
            }
        }

        foreach (var variable in dashboard.GetProperty("templating").GetProperty("list").EnumerateArray())
        {
            if (variable.GetProperty("type").GetString() == "query")
            {
                expressions.Add(variable.GetProperty("query").GetString()!);
            }
        }

        return expressions;
    }

    /// <summary>The metric names (<c>tributary_*</c>, <c>orleans_*</c>) an expression uses.</summary>
    public static IEnumerable<string> MetricNames(string expression) => MetricName().Matches(expression).Select(m => m.Value);

    /// <summary>The metric names the named dashboards use.</summary>
    public static SortedSet<string> MetricNames(IEnumerable<string> dashboards)
    {
        var names = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var name in dashboards)
        {
            using var document = Parse(name);
            names.UnionWith(Expressions(document.RootElement).SelectMany(MetricNames));
        }

        return names;
    }

    /// <summary>The exact label matchers (<c>metric{label="value"}</c>, no variables) the named dashboards' expressions use.</summary>
    public static SortedSet<string> ExactMatchers(IEnumerable<string> dashboards)
    {
        var matchers = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var name in dashboards)
        {
            using var document = Parse(name);
            foreach (var expression in Expressions(document.RootElement))
            {
                foreach (Match selector in Selector().Matches(expression))
                {
                    foreach (Match matcher in ExactMatcher().Matches(selector.Groups[2].Value))
                    {
                        matchers.Add($"{selector.Groups[1].Value}{{{matcher.Groups[1].Value}=\"{matcher.Groups[2].Value}\"}}");
                    }
                }
            }
        }

        return matchers;
    }

    /// <summary>Whether a sample line of <paramref name="exposition"/> matches <paramref name="matcher"/> (<c>metric{label="value"}</c>).</summary>
    public static bool Matches(string exposition, string matcher)
    {
        var brace = matcher.IndexOf('{', StringComparison.Ordinal);
        var (metric, label) = (matcher[..(brace + 1)], matcher[(brace + 1)..^1]);
        return exposition.Split('\n').Any(l => l.StartsWith(metric, StringComparison.Ordinal) && (l.Contains("," + label, StringComparison.Ordinal) || l.Contains("{" + label, StringComparison.Ordinal)));
    }

    /// <summary>
    /// The series names dashboards/README.md's metric table lists, by the table's type: a histogram stands for its
    /// <c>_bucket</c>, <c>_count</c> and <c>_sum</c> series.
    /// </summary>
    public static SortedSet<string> ReadmeSeries()
    {
        var names = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var line in File.ReadLines(Path.Combine(Directory, "README.md")))
        {
            var cells = line.Split('|', StringSplitOptions.TrimEntries);
            if (cells.Length < 4 || !cells[1].StartsWith('`'))
            {
                continue;
            }

            foreach (Match m in MetricName().Matches(cells[1]))
            {
                if (cells[2] == "histogram")
                {
                    names.UnionWith([m.Value + "_bucket", m.Value + "_count", m.Value + "_sum"]);
                }
                else
                {
                    names.Add(m.Value);
                }
            }
        }

        return names;
    }

    /// <summary>The series names a Prometheus text exposition holds (one per sample line).</summary>
    public static SortedSet<string> ScrapedSeries(string exposition)
    {
        var names = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var line in exposition.Split('\n'))
        {
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            var end = line.IndexOfAny(['{', ' ']);
            names.Add(end < 0 ? line : line[..end]);
        }

        return names;
    }

    [GeneratedRegex(@"\b(?:tributary|orleans)_[a-z0-9_]+\b")]
    private static partial Regex MetricName();

    [GeneratedRegex(@"\b((?:tributary|orleans)_[a-z0-9_]+)\{([^}]*)\}")]
    private static partial Regex Selector();

    [GeneratedRegex(@"\b([a-z_]+)=""([^""$]*)""")]
    private static partial Regex ExactMatcher();

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Grains.sln")))
            {
                return Path.Combine(dir.FullName, "dashboards");
            }
        }

        throw new DirectoryNotFoundException($"No Grains.sln above {AppContext.BaseDirectory}.");
    }
}
