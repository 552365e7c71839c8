using Microsoft.Extensions.Options;
using MySqlConnector;
using Tributary.Enrich.Filter;

namespace Tributary.Enrich;

/// <summary>
/// Validates <see cref="EnrichOptions"/> at start-up. Every message starts with the configuration key at fault,
/// e.g. <c>Tributary:Enrich:Filter:Rules:2:Pattern is not a valid regular expression: ...</c>.
/// </summary>
public sealed class EnrichOptionsValidator : IValidateOptions<EnrichOptions>
{
    private const string Root = EnrichOptions.SectionName;
    private static readonly string[] FieldOps = ["equals", "in", "notin", "range", "regex", "exists"];

    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, EnrichOptions options)
    {
        var errors = Errors(options);
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    /// <summary>Throws <see cref="OptionsValidationException"/> listing every problem, or returns the options.</summary>
    public static EnrichOptions ThrowIfInvalid(EnrichOptions options)
    {
        var errors = Errors(options);
        return errors.Count == 0 ? options : throw new OptionsValidationException(Root, typeof(EnrichOptions), errors);
    }

    /// <summary>Every problem found, each starting with its key.</summary>
    public static List<string> Errors(EnrichOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        var rules = options.Filter?.Rules ?? [];
        for (var i = 0; i < rules.Count; i++)
        {
            var key = $"{Root}:Filter:Rules:{i}";
            var rule = rules[i];
            if (string.IsNullOrWhiteSpace(rule.Name))
            {
                errors.Add($"{key}:Name is required: it is the reason the rule's drops are counted under.");
            }
            else if (!names.Add(rule.Name))
            {
                errors.Add($"{key}:Name '{rule.Name}' is used by an earlier rule; rule names must be unique.");
            }

            Condition(rule, key, errors, depth: 0);
        }

        var columns = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var enrichers = options.Enrichers ?? [];
        for (var i = 0; i < enrichers.Count; i++)
        {
            Enricher(enrichers[i], $"{Root}:Enrichers:{i}", columns, errors);
        }

        return errors;
    }

    private static void Condition(FilterConditionOptions c, string key, List<string> errors, int depth)
    {
        if (depth > 32)
        {
            errors.Add($"{key} nests conditions deeper than 32 levels.");
            return;
        }

        var op = c.Op?.Trim().ToLowerInvariant();
        if (string.IsNullOrEmpty(op))
        {
            errors.Add($"{key}:Op is required (equals, in, notIn, range, regex, exists, and, or, not).");
            return;
        }

        var isField = FieldOps.Contains(op);
        if (!isField && op is not ("and" or "or" or "not"))
        {
            errors.Add($"{key}:Op '{c.Op}' is not one of equals, in, notIn, range, regex, exists, and, or, not.");
            return;
        }

        if (isField && string.IsNullOrWhiteSpace(c.Field))
        {
            errors.Add($"{key}:Field is required for op '{c.Op}'.");
        }

        if (!isField && c.Field is not null)
        {
            errors.Add($"{key}:Field does not apply to op '{c.Op}'.");
        }

        NotFor(c.Value is not null, op != "equals", "Value");
        NotFor(c.Values is not null, op is not ("in" or "notin"), "Values");
        NotFor(c.Min is not null || c.Max is not null || c.MinExclusive || c.MaxExclusive, op != "range", "Min/Max");
        NotFor(c.Pattern is not null, op != "regex", "Pattern");
        NotFor(c.Conditions is not null, op is not ("and" or "or"), "Conditions");
        NotFor(c.Condition is not null, op != "not", "Condition");

        switch (op)
        {
            case "equals" when c.Value is null:
                errors.Add($"{key}:Value is required for op 'equals'.");
                break;
            case "in" or "notin" when c.Values is not { Count: > 0 }:
                errors.Add($"{key}:Values must list at least one value for op '{c.Op}'.");
                break;
            case "range" when c.Min is null && c.Max is null:
                errors.Add($"{key}: op 'range' needs Min, Max or both.");
                break;
            case "range" when c.Min is { } lo && c.Max is { } hi && (lo > hi || (lo == hi && (c.MinExclusive || c.MaxExclusive))):
                errors.Add($"{key}:Min ({lo}) and Max ({hi}) leave an empty range.");
                break;
            case "regex" when string.IsNullOrEmpty(c.Pattern):
                errors.Add($"{key}:Pattern is required for op 'regex'.");
                break;
            case "regex":
                CheckPattern(c.Pattern!, $"{key}:Pattern", errors);
                break;
            case "and" or "or" when c.Conditions is not { Count: > 0 }:
                errors.Add($"{key}:Conditions must list at least one condition for op '{c.Op}'.");
                break;
            case "and" or "or":
                for (var j = 0; j < c.Conditions.Count; j++)
                {
                    Condition(c.Conditions[j], $"{key}:Conditions:{j}", errors, depth + 1);
                }

                break;
            case "not" when c.Condition is null:
                errors.Add($"{key}:Condition is required for op 'not'.");
                break;
            case "not":
                Condition(c.Condition, $"{key}:Condition", errors, depth + 1);
                break;
        }

        void NotFor(bool set, bool wrongOp, string property)
        {
            if (set && wrongOp)
            {
                errors.Add($"{key}:{property} does not apply to op '{c.Op}'.");
            }
        }
    }

    private static void CheckPattern(string pattern, string key, List<string> errors)
    {
        try
        {
            _ = EventFilter.CompileRegex(pattern, System.Text.RegularExpressions.RegexOptions.None);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException)
        {
            // NotSupportedException: a construct the non-backtracking engine refuses (backreferences, lookarounds).
            errors.Add($"{key} is not a valid regular expression: {e.Message}");
        }
    }

    private static void Enricher(EnricherOptions e, string key, HashSet<string> columns, List<string> errors)
    {
        var kind = e.Kind?.Trim().ToLowerInvariant();
        if (kind is not ("geo" or "pincategory" or "map" or "bot"))
        {
            errors.Add(string.IsNullOrWhiteSpace(e.Kind)
                ? $"{key}:Kind is required (geo, pinCategory, map, bot)."
                : $"{key}:Kind '{e.Kind}' is not one of geo, pinCategory, map, bot.");
            return;
        }

        var column = e.Column ?? EnrichDefaults.Column(kind);
        if (column is null)
        {
            errors.Add($"{key}:Column is required for kind '{e.Kind}'.");
        }
        else if (!SqlIdentifier.IsValid(column))
        {
            errors.Add($"{key}:Column '{column}' must be 1 to 64 letters, digits, '_' or '$'.");
        }
        else if (!columns.Add(column))
        {
            errors.Add($"{key}:Column '{column}' is written by an earlier enricher.");
        }

        if (string.IsNullOrWhiteSpace(e.Field ?? EnrichDefaults.Field(kind)))
        {
            errors.Add($"{key}:Field is required for kind '{e.Kind}'.");
        }

        switch (kind)
        {
            case "geo" when !string.IsNullOrWhiteSpace(e.DatabasePath) && !Directory.Exists(e.DatabasePath):
                errors.Add($"{key}:DatabasePath '{e.DatabasePath}' is not a directory.");
                break;
            case "pincategory":
                PinCategory(e, key, errors);
                break;
            case "bot" when !string.IsNullOrEmpty(e.Pattern):
                CheckPattern(e.Pattern, $"{key}:Pattern", errors);
                break;
        }
    }

    private static void PinCategory(EnricherOptions e, string key, List<string> errors)
    {
        if (string.IsNullOrWhiteSpace(e.ConnectionString))
        {
            errors.Add($"{key}:ConnectionString is required for kind 'pinCategory'.");
        }
        else
        {
            try
            {
                var b = new MySqlConnectionStringBuilder(e.ConnectionString);
                if (!string.IsNullOrEmpty(b.Password))
                {
                    errors.Add($"{key}:ConnectionString must not hold a password; put it in an environment variable named by PasswordEnv.");
                }
            }
            catch (ArgumentException x)
            {
                errors.Add($"{key}:ConnectionString is not a valid MySQL connection string: {x.Message}");
            }
        }

        if (!SqlIdentifier.IsValidTable(e.Table))
        {
            errors.Add($"{key}:Table '{e.Table}' must be a name or schema.name of letters, digits, '_' or '$'.");
        }

        foreach (var (value, name) in new[] { (e.KeyColumn, "KeyColumn"), (e.CategoryColumn, "CategoryColumn"), (e.UpdatedAtColumn, "UpdatedAtColumn") })
        {
            if (!SqlIdentifier.IsValid(value))
            {
                errors.Add($"{key}:{name} '{value}' must be 1 to 64 letters, digits, '_' or '$'.");
            }
        }

        if (e.RefreshInterval <= TimeSpan.Zero)
        {
            errors.Add($"{key}:RefreshInterval must be positive (got {e.RefreshInterval}).");
        }

        if (e.RefreshOverlap < TimeSpan.Zero)
        {
            errors.Add($"{key}:RefreshOverlap must not be negative (got {e.RefreshOverlap}).");
        }
    }
}

/// <summary>Default field and column of each enricher kind.</summary>
internal static class EnrichDefaults
{
    public static string? Field(string kind) => kind switch
    {
        "geo" => "ip",
        "pincategory" => "pin_id",
        "bot" => "user_agent",
        _ => null,
    };

    public static string? Column(string kind) => kind switch
    {
        "geo" => "geo_country",
        "pincategory" => "pin_category",
        "bot" => "is_bot",
        _ => null,
    };
}
