using System.Text.Json;

namespace Tributary.Query;

// Virtual columns: the "virtualColumns" array of expression columns.
public static partial class QueryParser
{
    private static IReadOnlyList<VirtualColumn> ParseVirtualColumns(JsonElement root)
    {
        const string path = "virtualColumns";
        if (Get(root, path) is not { } element)
        {
            return [];
        }

        RequireKind(element, JsonValueKind.Array, path, "an array of virtual columns");
        var list = new List<VirtualColumn>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        var i = 0;
        foreach (var item in element.EnumerateArray())
        {
            var itemPath = Index(path, i++);
            RequireKind(item, JsonValueKind.Object, itemPath, "a virtual column object");
            var type = OptionalString(item, "type", itemPath) ?? "expression";
            if (type != "expression")
            {
                throw new QueryUnsupportedException(Child(itemPath, "type"), $"'{type}' virtual columns are not supported; use expression");
            }

            var name = NonEmpty(RequireString(item, "name", itemPath), Child(itemPath, "name"));
            if (name == Row.TimeColumn)
            {
                throw new QueryValidationException(Child(itemPath, "name"), "a virtual column cannot be named __time");
            }

            if (!names.Add(name))
            {
                throw new QueryValidationException(Child(itemPath, "name"), $"duplicate virtual column '{name}'");
            }

            var text = RequireString(item, "expression", itemPath);
            Expr parsed;
            try
            {
                parsed = Expr.Parse(text);
            }
            catch (ExpressionException ex)
            {
                throw new QueryValidationException(Child(itemPath, "expression"), $"invalid expression '{text}': {ex.Message}", ex);
            }

            DimensionOutputType? outputType = OptionalString(item, "outputType", itemPath)?.ToUpperInvariant() switch
            {
                null => null,
                "STRING" => DimensionOutputType.String,
                "LONG" => DimensionOutputType.Long,
                "DOUBLE" or "FLOAT" => DimensionOutputType.Double,
                var t => throw new QueryValidationException(Child(itemPath, "outputType"), $"'{t}' is not one of STRING, LONG, DOUBLE, FLOAT"),
            };
            list.Add(new VirtualColumn(name, text, parsed, outputType));
        }

        try
        {
            return VirtualColumn.Order(list);
        }
        catch (ArgumentException ex)
        {
            var at = list.FindIndex(c => ex.Message.Contains($"'{c.Name}'", StringComparison.Ordinal));
            throw new QueryValidationException(Child(Index(path, Math.Max(at, 0)), "expression"), ex.Message.Split(" (Parameter", 2)[0], ex);
        }
    }
}
