using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using FsCheck;
using FsCheck.Fluent;
using Tributary.Enrich.Filter;
using Tributary.Enrich.Json;
using static Tributary.Enrich.Tests.TestEvents;

namespace Tributary.Enrich.Tests;

public sealed class EventFilterTests
{
    private static bool Matches(FilterConditionOptions condition, string json)
    {
        var node = EventFilter.CompileCondition(condition);
        Assert.True(EventView.TryParse(Utf8(json), out var view, out var error), error);
        return node.Matches(view);
    }

    private static FilterConditionOptions C(string op, string? field = null, Action<FilterConditionOptions>? set = null)
    {
        var c = new FilterConditionOptions { Op = op, Field = field };
        set?.Invoke(c);
        return c;
    }

    [Theory]
    [InlineData("""{"action":"impression"}""", true)]
    [InlineData("""{"action":"Impression"}""", false)]
    [InlineData("""{"action":"impressions"}""", false)]
    [InlineData("""{"action":"impr\u0065ssion"}""", true)]
    [InlineData("""{"act\u0069on":"impression"}""", true)]
    [InlineData("""{"action":null}""", false)]
    [InlineData("""{"other":"impression"}""", false)]
    [InlineData("""{"action":["impression"]}""", false)]
    public void Equals_String_MatchesOrdinalTextOnly(string json, bool expected)
        => Assert.Equal(expected, Matches(C("equals", "action", c => c.Value = "impression"), json));

    [Theory]
    [InlineData("""{"user_id":42}""", "42", true)]
    [InlineData("""{"user_id":42.0}""", "42", true)]
    [InlineData("""{"user_id":4.2e1}""", "42", true)]
    [InlineData("""{"user_id":43}""", "42", false)]
    [InlineData("""{"user_id":"42"}""", "42", true)]
    [InlineData("""{"user_id":2.5}""", "2.5", true)]
    [InlineData("""{"flag":true}""", "true", true)]
    [InlineData("""{"flag":false}""", "true", false)]
    [InlineData("""{"flag":"true"}""", "true", true)]
    public void Equals_NumbersAndBooleans_CompareByValue(string json, string value, bool expected)
    {
        var field = json.Contains("flag", StringComparison.Ordinal) ? "flag" : "user_id";
        Assert.Equal(expected, Matches(C("equals", field, c => c.Value = value), json));
    }

    [Theory]
    [InlineData("""{"device":"ios"}""", true, false)]
    [InlineData("""{"device":"android"}""", true, false)]
    [InlineData("""{"device":"web"}""", false, true)]
    [InlineData("""{"device":null}""", false, true)]
    [InlineData("""{}""", false, true)]
    public void InAndNotIn_AreComplements_MissingIsNotIn(string json, bool inSet, bool notInSet)
    {
        List<string> values = ["ios", "android"];
        Assert.Equal(inSet, Matches(C("in", "device", c => c.Values = values), json));
        Assert.Equal(notInSet, Matches(C("notIn", "device", c => c.Values = values), json));
    }

    [Theory]
    [InlineData(9.99, false)]
    [InlineData(10, true)]
    [InlineData(15, true)]
    [InlineData(20, true)]
    [InlineData(20.01, false)]
    public void Range_Inclusive_BoundsMatch(double value, bool expected)
        => Assert.Equal(expected, Matches(C("range", "n", c => (c.Min, c.Max) = (10, 20)), $$"""{"n":{{value.ToString(CultureInfo.InvariantCulture)}}}"""));

    [Theory]
    [InlineData("10", false)]
    [InlineData("10.5", true)]
    [InlineData("20", false)]
    [InlineData("\"15\"", true)]
    [InlineData("\"abc\"", false)]
    [InlineData("null", false)]
    [InlineData("true", false)]
    public void Range_Exclusive_BoundsDoNotMatch(string value, bool expected)
        => Assert.Equal(expected, Matches(C("range", "n", c => (c.Min, c.Max, c.MinExclusive, c.MaxExclusive) = (10, 20, true, true)), $$"""{"n":{{value}}}"""));

    [Fact]
    public void Range_OneSided_OnlyThatBoundApplies()
    {
        Assert.True(Matches(C("range", "n", c => c.Min = 100), """{"n":1e9}"""));
        Assert.False(Matches(C("range", "n", c => c.Min = 100), """{"n":99}"""));
        Assert.True(Matches(C("range", "n", c => c.Max = 0), """{"n":-5}"""));
    }

    [Theory]
    [InlineData("""{"user_agent":"Mozilla/5.0 (compatible; Googlebot/2.1)"}""", true)]
    [InlineData("""{"user_agent":"Mozilla/5.0 (iPhone)"}""", false)]
    [InlineData("""{"user_agent":42}""", false)]
    [InlineData("""{"user_agent":null}""", false)]
    public void Regex_MatchesAnywhereInText(string json, bool expected)
        => Assert.Equal(expected, Matches(C("regex", "user_agent", c => c.Pattern = "(?i)bot|crawler"), json));

    [Fact]
    public void Regex_OnNumbers_SeesTheTokenText()
        => Assert.True(Matches(C("regex", "app", c => c.Pattern = @"^12\.3"), """{"app":12.31}"""));

    [Fact]
    public void Regex_LongString_DecodesBeyondTheStackBuffer()
    {
        var ua = new string('a', 5000) + "bot";
        Assert.True(Matches(C("regex", "ua", c => c.Pattern = "bot$"), $$"""{"ua":"{{ua}}"}"""));
    }

    [Theory]
    [InlineData("""{"f":1}""", true)]
    [InlineData("""{"f":{"a":1}}""", true)]
    [InlineData("""{"f":null}""", false)]
    [InlineData("""{"g":1}""", false)]
    public void Exists_PresentAndNotNull(string json, bool expected) => Assert.Equal(expected, Matches(C("exists", "f"), json));

    [Theory]
    [InlineData("ios", 1, true, true, false)]
    [InlineData("ios", 0, false, true, true)]
    [InlineData("web", 1, false, true, false)]
    [InlineData("web", 0, false, false, true)]
    public void AndOrNot_Combine(string device, int n, bool and, bool or, bool not)
    {
        var json = $$"""{"device":"{{device}}","n":{{n}}}""";
        var isIos = C("equals", "device", c => c.Value = "ios");
        var positive = C("range", "n", c =>
        {
            c.Min = 0;
            c.MinExclusive = true;
        });
        Assert.Equal(and, Matches(C("and", set: c => c.Conditions = [isIos, positive]), json));
        Assert.Equal(or, Matches(C("or", set: c => c.Conditions = [isIos, positive]), json));
        Assert.Equal(not, Matches(C("not", set: c => c.Condition = positive), json));
    }

    [Fact]
    public async Task Process_FirstMatchingRule_IsTheReason_AndCountedPerRule()
    {
        await using var pipeline = await FilterOnly(
            Rule("impressions", "equals", "action", r => r.Value = "impression"),
            Rule("bots", "regex", "user_agent", r => r.Pattern = "(?i)bot"),
            Rule("also-impressions", "in", "action", r => r.Values = ["impression", "hide"]));

        Assert.Equal(("impressions", EnrichOutcomeKind.Filtered), Reason(pipeline.Process(Utf8(PinEvent(action: "impression", userAgent: "Googlebot")))));
        Assert.Equal(("bots", EnrichOutcomeKind.Filtered), Reason(pipeline.Process(Utf8(PinEvent(userAgent: "AhrefsBot")))));
        Assert.Equal(("also-impressions", EnrichOutcomeKind.Filtered), Reason(pipeline.Process(Utf8(PinEvent(action: "hide")))));
        Assert.Equal((null, EnrichOutcomeKind.Kept), Reason(pipeline.Process(Utf8(PinEvent(action: "view", userAgent: "Safari")))));

        var stats = pipeline.Stats;
        Assert.Equal(1, stats.FilteredByReason["impressions"]);
        Assert.Equal(1, stats.FilteredByReason["bots"]);
        Assert.Equal(1, stats.FilteredByReason["also-impressions"]);
        Assert.Equal(3, stats.Filtered);
        Assert.Equal(1, stats.Kept);

        static (string?, EnrichOutcomeKind) Reason(EnrichOutcome o) => (o.Reason, o.Kind);
    }

    // ---- property: the compiled filter agrees with a reference evaluator over System.Text.Json's DOM ----

    private static readonly string[] Fields = ["a", "b"];
    private static readonly string[] Literals = ["x", "y", "1", "2", "2.5", "true", "false"];
    private static readonly string[] JsonValues = ["\"x\"", "\"y\"", "\"1\"", "1", "2", "2.5", "-3", "true", "false", "null", "[1]", "{\"x\":1}"];

    private static Gen<FilterConditionOptions> Condition(int depth)
    {
        var field = Gen.Elements(Fields);
        var literal = Gen.Elements(Literals);
        var leaves = Gen.OneOf(
            from f in field from v in literal select C("equals", f, c => c.Value = v),
            from f in field from vs in Gen.Elements(Literals).NonEmptyListOf() select C("in", f, c => c.Values = [.. vs]),
            from f in field from vs in Gen.Elements(Literals).NonEmptyListOf() select C("notIn", f, c => c.Values = [.. vs]),
            from f in field
            from lo in Gen.Choose(-4, 3)
            from width in Gen.Choose(0, 4)
            from lx in ArbMap.Default.GeneratorFor<bool>()
            from hx in ArbMap.Default.GeneratorFor<bool>()
            from sides in Gen.Choose(0, 2)
            select C("range", f, c =>
            {
                c.Min = sides == 2 ? null : lo;
                c.Max = sides == 1 ? null : lo + width + (lx || hx ? 1 : 0);
                (c.MinExclusive, c.MaxExclusive) = (lx, hx);
            }),
            from f in field from p in Gen.Elements("^x$", "1", "^[0-9.]+$", "u") select C("regex", f, c => c.Pattern = p),
            from f in field select C("exists", f));
        if (depth == 0)
        {
            return leaves;
        }

        var sub = Condition(depth - 1);
        return Gen.OneOf(
            leaves,
            from cs in sub.NonEmptyListOf() select C("and", set: c => c.Conditions = [.. cs.Take(3)]),
            from cs in sub.NonEmptyListOf() select C("or", set: c => c.Conditions = [.. cs.Take(3)]),
            from c1 in sub select C("not", set: c => c.Condition = c1));
    }

    private static Gen<string> Event =>
        from a in Gen.Elements(JsonValues.Append("<missing>").ToArray())
        from b in Gen.Elements(JsonValues.Append("<missing>").ToArray())
        select "{" + string.Join(",", new[] { ("a", a), ("b", b) }.Where(p => p.Item2 != "<missing>").Select(p => $"\"{p.Item1}\":{p.Item2}")) + "}";

    [Fact]
    public void CompiledFilter_AgreesWithReferenceEvaluator()
    {
        var gen = from c in Condition(3) from e in Event select (c, e);
        Prop.ForAll(gen.ToArbitrary(), input =>
        {
            using var doc = JsonDocument.Parse(input.e);
            Assert.Equal(Reference(input.c, doc.RootElement), Matches(input.c, input.e));
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(3000));
    }

    /// <summary>The documented semantics, written again over the DOM: an independent reading of the rules.</summary>
    private static bool Reference(FilterConditionOptions c, JsonElement root)
    {
        var has = c.Field is not null && root.TryGetProperty(c.Field, out var v) && v.ValueKind != JsonValueKind.Null;
        root.TryGetProperty(c.Field ?? "", out var value);
        switch (c.Op!.ToLowerInvariant())
        {
            case "equals":
                return has && Same(value, c.Value!);
            case "in":
                return has && c.Values!.Any(x => Same(value, x));
            case "notin":
                return !(has && c.Values!.Any(x => Same(value, x)));
            case "range":
                if (!has || !Number(value, out var d))
                {
                    return false;
                }

                return (c.Min is not { } lo || (c.MinExclusive ? d > lo : d >= lo)) && (c.Max is not { } hi || (c.MaxExclusive ? d < hi : d <= hi));
            case "regex":
                var text = !has ? null : value.ValueKind switch
                {
                    JsonValueKind.String => value.GetString(),
                    JsonValueKind.Number => value.GetRawText(),
                    JsonValueKind.True => "true",
                    JsonValueKind.False => "false",
                    _ => null,
                };
                return text is not null && Regex.IsMatch(text, c.Pattern!);
            case "exists":
                return has;
            case "and":
                return c.Conditions!.All(x => Reference(x, root));
            case "or":
                return c.Conditions!.Any(x => Reference(x, root));
            default:
                return !Reference(c.Condition!, root);
        }

        static bool Same(JsonElement v, string literal) => v.ValueKind switch
        {
            JsonValueKind.String => v.GetString() == literal,
            JsonValueKind.Number => double.TryParse(literal, NumberStyles.Float, CultureInfo.InvariantCulture, out var x) && v.GetDouble() == x,
            JsonValueKind.True => literal == "true",
            JsonValueKind.False => literal == "false",
            _ => false,
        };

        static bool Number(JsonElement v, out double d)
        {
            d = 0;
            return v.ValueKind == JsonValueKind.Number ? v.TryGetDouble(out d)
                : v.ValueKind == JsonValueKind.String && double.TryParse(v.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out d);
        }
    }
}
