namespace Tributary.Enrich;

/// <summary>
/// Settings of the filter-and-enrich stage, bound from the configuration section <c>Tributary:Enrich</c>
/// (<see cref="SectionName"/>). Validated by <see cref="EnrichOptionsValidator"/>; every message names its key.
/// </summary>
public sealed class EnrichOptions
{
    /// <summary>The configuration section these options are bound from.</summary>
    public const string SectionName = "Tributary:Enrich";

    /// <summary>The filter: named drop rules, evaluated in order.</summary>
    public EnrichFilterOptions Filter { get; set; } = new();

    /// <summary>The enrichers, run in this order on every kept event; each adds its columns.</summary>
    public List<EnricherOptions> Enrichers { get; set; } = [];
}

/// <summary>The filter: an event matching any rule is dropped, counted under the first matching rule's name.</summary>
public sealed class EnrichFilterOptions
{
    /// <summary>Named drop rules, evaluated in order.</summary>
    public List<FilterRuleOptions> Rules { get; set; } = [];
}

/// <summary>
/// One predicate over an event's top-level fields. <see cref="Op"/> says which other properties apply:
/// <list type="bullet">
/// <item><c>equals</c>: <see cref="Field"/> and <see cref="Value"/>;</item>
/// <item><c>in</c>, <c>notIn</c>: <see cref="Field"/> and <see cref="Values"/>;</item>
/// <item><c>range</c>: <see cref="Field"/> and <see cref="Min"/> and/or <see cref="Max"/> (inclusive unless
/// <see cref="MinExclusive"/>/<see cref="MaxExclusive"/>);</item>
/// <item><c>regex</c>: <see cref="Field"/> and <see cref="Pattern"/> (.NET syntax, non-backtracking engine);</item>
/// <item><c>exists</c>: <see cref="Field"/> present and not null;</item>
/// <item><c>and</c>, <c>or</c>: <see cref="Conditions"/>; <c>not</c>: <see cref="Condition"/>.</item>
/// </list>
/// </summary>
public class FilterConditionOptions
{
    /// <summary>The operator: equals, in, notIn, range, regex, exists, and, or, not (case-insensitive).</summary>
    public string? Op { get; set; }

    /// <summary>Top-level field name the operator reads.</summary>
    public string? Field { get; set; }

    /// <summary>The value of <c>equals</c>: compared as text to strings, as a number to numbers, as true/false to booleans.</summary>
    public string? Value { get; set; }

    /// <summary>The values of <c>in</c> and <c>notIn</c>, compared as <see cref="Value"/> is.</summary>
    public List<string>? Values { get; set; }

    /// <summary>Lower bound of <c>range</c> (numbers, or strings that parse as numbers).</summary>
    public double? Min { get; set; }

    /// <summary>Upper bound of <c>range</c>.</summary>
    public double? Max { get; set; }

    /// <summary><see cref="Min"/> itself does not match.</summary>
    public bool MinExclusive { get; set; }

    /// <summary><see cref="Max"/> itself does not match.</summary>
    public bool MaxExclusive { get; set; }

    /// <summary>The regular expression of <c>regex</c>; matched against strings and the text of numbers and booleans.</summary>
    public string? Pattern { get; set; }

    /// <summary>Operands of <c>and</c> and <c>or</c>.</summary>
    public List<FilterConditionOptions>? Conditions { get; set; }

    /// <summary>Operand of <c>not</c>.</summary>
    public FilterConditionOptions? Condition { get; set; }
}

/// <summary>A named drop rule: the name is the reason events it drops are counted under.</summary>
public sealed class FilterRuleOptions : FilterConditionOptions
{
    /// <summary>The rule's name (unique): the <c>reason</c> tag of <c>tributary.enrich.filtered</c>.</summary>
    public string? Name { get; set; }
}

/// <summary>
/// One enricher. <see cref="Kind"/> says which other properties apply:
/// <list type="bullet">
/// <item><c>geo</c>: <see cref="Field"/> (default <c>ip</c>), <see cref="Column"/> (default <c>geo_country</c>),
/// <see cref="DatabasePath"/>;</item>
/// <item><c>pinCategory</c>: <see cref="Field"/> (default <c>pin_id</c>), <see cref="Column"/> (default
/// <c>pin_category</c>), <see cref="ConnectionString"/>, <see cref="PasswordEnv"/>, <see cref="Table"/>,
/// <see cref="KeyColumn"/>, <see cref="CategoryColumn"/>, <see cref="UpdatedAtColumn"/>,
/// <see cref="RefreshInterval"/>, <see cref="RefreshOverlap"/>;</item>
/// <item><c>map</c>: <see cref="Field"/>, <see cref="Column"/>, <see cref="Map"/>, <see cref="Default"/>;</item>
/// <item><c>bot</c>: <see cref="Field"/> (default <c>user_agent</c>), <see cref="Column"/> (default <c>is_bot</c>),
/// <see cref="Pattern"/> (a default bot pattern when empty).</item>
/// </list>
/// </summary>
public sealed class EnricherOptions
{
    /// <summary>geo, pinCategory, map or bot (case-insensitive).</summary>
    public string? Kind { get; set; }

    /// <summary>The event field the enricher reads (default per kind).</summary>
    public string? Field { get; set; }

    /// <summary>The output column the enricher writes (default per kind).</summary>
    public string? Column { get; set; }

    /// <summary>geo: directory holding <c>dbip-country-ipv4.csv</c> and <c>dbip-country-ipv6.csv</c>. Empty: the
    /// <c>.tools/node_modules/@ip-location-db/dbip-country</c> folder installed by <c>./build.sh deps</c>, searched
    /// upwards from the application's and the current directory.</summary>
    public string? DatabasePath { get; set; }

    /// <summary>pinCategory: MySqlConnector connection string, without a password (see <see cref="PasswordEnv"/>).</summary>
    public string? ConnectionString { get; set; }

    /// <summary>pinCategory: name of the environment variable holding the password. Optional.</summary>
    public string? PasswordEnv { get; set; }

    /// <summary>pinCategory: the dimension table (optionally <c>schema.table</c>). Default <c>pins</c>.</summary>
    public string Table { get; set; } = "pins";

    /// <summary>pinCategory: the integer key column. Default <c>pin_id</c>.</summary>
    public string KeyColumn { get; set; } = "pin_id";

    /// <summary>pinCategory: the category column. Default <c>category</c>.</summary>
    public string CategoryColumn { get; set; } = "category";

    /// <summary>pinCategory: the row's last-change time, the incremental refresh reads rows at or after the last one seen. Default <c>updated_at</c>.</summary>
    public string UpdatedAtColumn { get; set; } = "updated_at";

    /// <summary>pinCategory: time between incremental refreshes. Default 30 s.</summary>
    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>pinCategory: how far before the newest change seen a refresh reads again, for rows whose transaction
    /// committed after a later-stamped one. Default 5 s.</summary>
    public TimeSpan RefreshOverlap { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>map: field value to output value.</summary>
    public Dictionary<string, string> Map { get; set; } = new(StringComparer.Ordinal);

    /// <summary>map: output for a value not in <see cref="Map"/> or a missing field. Default <c>unknown</c>.</summary>
    public string? Default { get; set; }

    /// <summary>bot: regular expression that marks a user agent as a bot (case-insensitive).</summary>
    public string? Pattern { get; set; }
}
