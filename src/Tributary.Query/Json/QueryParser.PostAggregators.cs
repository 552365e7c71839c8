using System.Text.Json;

namespace Tributary.Query;

// Post-aggregators: the "postAggregations" array and the names each may refer to.
public static partial class QueryParser
{
    private const string PostAggregatorTypes = "arithmetic, fieldAccess, finalizingFieldAccess, constant, hyperUniqueCardinality, expression, doubleGreatest, doubleLeast, longGreatest, longLeast";

    private static List<PostAggregator> ParsePostAggregations(JsonElement root, List<AggregatorSpec> aggregations)
    {
        var list = new List<PostAggregator>();
        if (Get(root, "postAggregations") is not { } posts)
        {
            return list;
        }

        RequireKind(posts, JsonValueKind.Array, "postAggregations", "an array of post-aggregators");
        var known = aggregations.ToDictionary(a => a.Name, a => (AggregatorType?)a.Type, StringComparer.Ordinal);
        var i = 0;
        foreach (var post in posts.EnumerateArray())
        {
            var path = Index("postAggregations", i++);
            var parsed = ParsePostAggregator(post, path, known, true);
            known[parsed.Name] = null;
            list.Add(parsed);
        }

        return list;
    }

    private static PostAggregator ParsePostAggregator(JsonElement element, string path, Dictionary<string, AggregatorType?> known, bool topLevel)
    {
        RequireKind(element, JsonValueKind.Object, path, "a post-aggregator object");
        var type = RequireString(element, "type", path);
        var name = topLevel ? NonEmpty(RequireString(element, "name", path), Child(path, "name")) : OptionalString(element, "name", path) ?? string.Empty;
        switch (type)
        {
            case "arithmetic":
            {
                var fnText = RequireString(element, "fn", path);
                var fn = fnText switch
                {
                    "+" => ArithmeticFunction.Add,
                    "-" => ArithmeticFunction.Subtract,
                    "*" => ArithmeticFunction.Multiply,
                    "/" => ArithmeticFunction.Divide,
                    "quotient" => ArithmeticFunction.Quotient,
                    _ => throw new QueryValidationException(Child(path, "fn"), $"'{fnText}' is not one of +, -, *, /, quotient"),
                };
                var fieldsPath = Child(path, "fields");
                var fields = RequireArray(element, "fields", path);
                if (fields.GetArrayLength() < 2)
                {
                    throw new QueryValidationException(fieldsPath, $"an arithmetic post-aggregator needs at least 2 fields, got {fields.GetArrayLength()}");
                }

                var list = new List<PostAggregator>();
                var i = 0;
                foreach (var f in fields.EnumerateArray())
                {
                    list.Add(ParsePostAggregator(f, Index(fieldsPath, i++), known, false));
                }

                var ordering = OptionalString(element, "ordering", path);
                if (ordering is not null and not "numericFirst")
                {
                    throw new QueryValidationException(Child(path, "ordering"), $"'{ordering}' is not null or numericFirst");
                }

                return new ArithmeticPostAggregator(name, fn, list, ordering);
            }

            case "fieldAccess" or "finalizingFieldAccess":
            {
                var fieldName = RequireString(element, "fieldName", path);
                CheckKnown(known, fieldName, Child(path, "fieldName"));
                return new FieldAccessPostAggregator(name, fieldName, type == "finalizingFieldAccess");
            }

            case "constant":
            {
                var value = Require(element, "value", path);
                if (value.ValueKind != JsonValueKind.Number)
                {
                    throw new QueryValidationException(Child(path, "value"), "must be a number");
                }

                return new ConstantPostAggregator(name, value.TryGetInt64(out var l) ? l : value.GetDouble());
            }

            case "hyperUniqueCardinality":
            {
                var fieldName = RequireString(element, "fieldName", path);
                CheckKnown(known, fieldName, Child(path, "fieldName"));
                if (known[fieldName] is not (AggregatorType.HyperUnique or AggregatorType.Cardinality))
                {
                    throw new QueryValidationException(Child(path, "fieldName"), $"'{fieldName}' is not a hyperUnique or cardinality aggregator");
                }

                return new HyperUniqueCardinalityPostAggregator(name, fieldName);
            }

            case "expression":
            {
                var text = RequireString(element, "expression", path);
                Expr parsed;
                try
                {
                    parsed = Expr.Parse(text);
                }
                catch (ExpressionException ex)
                {
                    throw new QueryValidationException(Child(path, "expression"), $"invalid expression '{text}': {ex.Message}", ex);
                }

                foreach (var identifier in parsed.Identifiers)
                {
                    CheckKnown(known, identifier, Child(path, "expression"));
                }

                return new ExpressionPostAggregator(name, text, parsed, OptionalString(element, "ordering", path));
            }

            case "doubleGreatest" or "doubleLeast" or "longGreatest" or "longLeast":
            {
                var fieldsPath = Child(path, "fields");
                var fields = RequireArray(element, "fields", path);
                if (fields.GetArrayLength() == 0)
                {
                    throw new QueryValidationException(fieldsPath, $"a {type} post-aggregator needs at least one field");
                }

                var list = new List<PostAggregator>();
                var i = 0;
                foreach (var f in fields.EnumerateArray())
                {
                    list.Add(ParsePostAggregator(f, Index(fieldsPath, i++), known, false));
                }

                return new ExtremumPostAggregator(name, type.EndsWith("Greatest", StringComparison.Ordinal), type.StartsWith("long", StringComparison.Ordinal), list);
            }

            case "javascript" or "thetaSketchEstimate" or "quantilesDoublesSketchToQuantile" or "HLLSketchEstimate":
                throw new QueryUnsupportedException(Child(path, "type"), $"'{type}' post-aggregators are not supported; use one of {PostAggregatorTypes}");
            default:
                throw new QueryValidationException(Child(path, "type"), $"unknown or unsupported post-aggregator type '{type}'; expected one of {PostAggregatorTypes}");
        }
    }

    private static void CheckKnown(Dictionary<string, AggregatorType?> known, string name, string path)
    {
        if (!known.ContainsKey(name))
        {
            throw new QueryValidationException(path, $"'{name}' is not an aggregator or an earlier post-aggregator");
        }
    }
}
