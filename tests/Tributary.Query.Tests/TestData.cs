using System.Globalization;
using System.Text;

namespace Tributary.Query.Tests;

/// <summary>An exact "sketch" (a set of values): merges exactly, so merged and single-pass results must agree.</summary>
internal sealed class SetSketch : ICardinalitySketch
{
    private readonly HashSet<string> _values = new(StringComparer.Ordinal);

    public void Add(ReadOnlySpan<byte> value) => _values.Add(Convert.ToBase64String(value));

    public void Merge(ICardinalitySketch other) => _values.UnionWith(((SetSketch)other)._values);

    public double Estimate() => _values.Count;

    public ICardinalitySketch Clone()
    {
        var copy = new SetSketch();
        copy._values.UnionWith(_values);
        return copy;
    }

    // each value is prefixed so that the empty value ("" encodes to "") survives the round trip
    public byte[] Serialize() => Encoding.UTF8.GetBytes(string.Join(",", _values.Order(StringComparer.Ordinal).Select(v => "v" + v)));
}

internal sealed class SetSketchFactory : ICardinalitySketchFactory
{
    public static readonly SetSketchFactory Instance = new();

    public ICardinalitySketch Create() => new SetSketch();

    public ICardinalitySketch Deserialize(ReadOnlySpan<byte> bytes)
    {
        var sketch = new SetSketch();
        foreach (var v in Encoding.UTF8.GetString(bytes).Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            sketch.Add(Convert.FromBase64String(v[1..]));
        }

        return sketch;
    }
}

/// <summary>Random rows over a pin_engagement-like schema, and random Druid queries over them (as JSON).</summary>
internal sealed class TestData
{
    public static readonly long Start = IsoTime.Parse("2026-11-23T00:00:00Z", "t");

    public static readonly RowSchema Schema = new(
    [
        new ColumnSchema("pin_id", ColumnType.String),
        new ColumnSchema("country", ColumnType.String),
        new ColumnSchema("device", ColumnType.String),
        new ColumnSchema("n", ColumnType.Long),
        new ColumnSchema("clicks", ColumnType.Long),
        new ColumnSchema("revenue", ColumnType.Double),
        new ColumnSchema("users", ColumnType.String),
    ])
    {
        Metadata = new DatasourceMetadata(
            [new AggregatorSpec(AggregatorType.Count, "count", null), new AggregatorSpec(AggregatorType.LongSum, "clicks", "click_count"), new AggregatorSpec(AggregatorType.HyperUnique, "users", "user_id")],
            new SegmentTimestampSpec("ts", "iso"),
            "minute",
            true),
    };

    private static readonly string?[] Countries = ["US", "DE", "FR", "BR", "IN", "JP", "", null];
    private static readonly string[] Devices = ["ios", "android", "web"];
    private readonly Random _random;

    public TestData(int seed) => _random = new Random(seed);

    public Random Random => _random;

    public static string PinId(int i) => "pin-" + i.ToString("D3", CultureInfo.InvariantCulture);

    public List<Row> Rows(int count, int hours = 6, int pins = 50)
    {
        var rows = new List<Row>(count);
        for (var i = 0; i < count; i++)
        {
            var columns = new Dictionary<string, object?>(StringComparer.Ordinal)
            {
                ["pin_id"] = PinId(_random.Next(pins)),
                ["device"] = Devices[_random.Next(Devices.Length)],
                ["n"] = (long)_random.Next(-5, 25),
                ["clicks"] = (long)_random.Next(0, 100),
                ["revenue"] = _random.Next(-40, 400) * 0.25,
                ["users"] = "u" + _random.Next(200).ToString(CultureInfo.InvariantCulture),
            };
            var country = Countries[_random.Next(Countries.Length)];
            if (country is not null)
            {
                columns["country"] = country;
            }

            if (_random.Next(20) == 0)
            {
                columns.Remove("clicks");
            }

            rows.Add(new Row(Start + _random.NextInt64(hours * 3_600_000L), columns));
        }

        return rows;
    }

    public string Filter(int depth = 0)
    {
        if (_random.Next(5) == 0)
        {
            return _random.Next(6) switch
            {
                0 => _random.Next(2) == 0 ? """{"type":"true"}""" : """{"type":"false"}""",
                1 => $$"""{"type":"interval","dimension":"__time","intervals":["{{IsoTime.Format(Start + (_random.Next(0, 300) * 60_000L))}}/PT{{_random.Next(1, 200)}}M"]}""",
                2 => $$"""{"type":"range","column":"{{Dimension()}}","matchValueType":"STRING","lower":{{NonNullValue()}},"lowerOpen":{{Bool()}},"upper":{{NonNullValue()}},"upperOpen":{{Bool()}}}""",
                3 => $$"""{"type":"range","column":"{{new[] { "n", "clicks", "pin_id" }[_random.Next(3)]}}","matchValueType":"{{new[] { "LONG", "DOUBLE" }[_random.Next(2)]}}","lower":{{_random.Next(-5, 10)}},"upper":{{_random.Next(5, 30)}}.5}""",
                4 => $$"""{"type":"search","dimension":"{{Dimension()}}","query":{"type":"contains","value":"{{new[] { "pin-00", "u", "1" }[_random.Next(3)]}}","caseSensitive":{{Bool()}}}""" + "}",
                _ => $$"""{"type":"search","dimension":"{{Dimension()}}","query":{"type":"fragment","values":["{{new[] { "p", "U" }[_random.Next(2)]}}","0"]}""" + "}",
            };
        }

        var kind = _random.Next(depth >= 2 ? 6 : 9);
        switch (kind)
        {
            case 0:
                return Selector();
            case 1:
                return $$"""{"type":"in","dimension":"{{Dimension()}}","values":[{{string.Join(",", Enumerable.Range(0, _random.Next(1, 5)).Select(_ => Value()))}}]}""";
            case 2:
            {
                var numeric = _random.Next(2) == 0;
                var dim = numeric ? "n" : Dimension();
                var lower = _random.Next(3) == 0 ? string.Empty : ",\"lower\":" + (numeric ? $"\"{_random.Next(-5, 25)}\"" : NonNullValue()) + ",\"lowerStrict\":" + Bool();
                var upper = lower.Length > 0 && _random.Next(3) == 0 ? string.Empty : ",\"upper\":" + (numeric ? $"\"{_random.Next(-5, 25)}\"" : NonNullValue()) + ",\"upperStrict\":" + Bool();
                return $$"""{"type":"bound","dimension":"{{dim}}"{{lower}}{{upper}},"ordering":"{{(numeric ? "numeric" : "lexicographic")}}"}""";
            }

            case 3:
                return $$"""{"type":"like","dimension":"{{Dimension()}}","pattern":"{{new[] { "pin-00%", "%S", "_R", "%o%", "pin-0_1", "a!%b" }[_random.Next(6)]}}","escape":"!"}""";
            case 4:
                return $$"""{"type":"regex","dimension":"{{Dimension()}}","pattern":"{{new[] { "^pin-0[0-2]", "o", "^(US|DE)$", "1$" }[_random.Next(4)]}}"}""";
            case 5:
                return ExtractionFilter();
            case 6:
            case 7:
                return $$"""{"type":"{{(kind == 6 ? "and" : "or")}}","fields":[{{string.Join(",", Enumerable.Range(0, _random.Next(1, 4)).Select(_ => Filter(depth + 1)))}}]}""";
            default:
                return $$"""{"type":"not","field":{{Filter(depth + 1)}}}""";
        }
    }

    /// <summary>A leaf filter with an extractionFn, and values the extracted values can take.</summary>
    public string ExtractionFilter()
    {
        return _random.Next(9) switch
        {
            0 => $$"""{"type":"selector","dimension":"country","value":"{{new[] { "Europe", "America", "other" }[_random.Next(3)]}}","extractionFn":{{Lookup()}}}""",
            1 => $$"""{"type":"in","dimension":"pin_id","values":["00","01","1"],"extractionFn":{"type":"substring","index":4,"length":{{_random.Next(1, 3)}} } }""",
            2 => """{"type":"in","dimension":"device","values":["3","7"],"extractionFn":{"type":"strlen"}}""",
            3 => $$"""{"type":"bound","dimension":"n","lower":"0","upper":"{{_random.Next(0, 20)}}","ordering":"numeric","extractionFn":{"type":"bucket","size":5,"offset":1} }""",
            4 => """{"type":"like","dimension":"pin_id","pattern":"PIN-0%","extractionFn":{"type":"upper"}}""",
            5 => $$"""{"type":"regex","dimension":"country","pattern":"^[EA]","extractionFn":{{Lookup()}}}""",
            6 => """{"type":"selector","dimension":"missing","value":"none","extractionFn":{"type":"lookup","lookup":{"type":"map","map":{"a":"b"}},"replaceMissingValueWith":"none"}}""",
            7 => $$"""{"type":"selector","dimension":"__time","value":"0{{_random.Next(4)}}","extractionFn":{"type":"timeFormat","format":"HH","timeZone":"UTC"} }""",
            _ => """{"type":"selector","dimension":"pin_id","value":"1","extractionFn":{"type":"regex","expr":"(\\d)$","replaceMissingValue":true,"replaceMissingValueWith":"x"}}""",
        };
    }

    /// <summary>A dimension spec for <paramref name="dimension"/>: mostly its name, sometimes an extraction spec of the same output name.</summary>
    public string DimensionSpec(string dimension)
    {
        if (_random.Next(3) != 0)
        {
            return $"\"{dimension}\"";
        }

        var fn = _random.Next(7) switch
        {
            0 => Lookup(),
            1 => $$"""{"type":"substring","index":{{_random.Next(0, 6)}},"length":{{_random.Next(1, 4)}}}""",
            2 => """{"type":"strlen"}""",
            3 => """{"type":"bucket","size":4,"offset":-1}""",
            4 => """{"type":"cascade","extractionFns":[{"type":"substring","index":5},{"type":"upper"}]}""",
            5 => """{"type":"regex","expr":"-0*(\\d)","replaceMissingValue":true,"replaceMissingValueWith":"none"}""",
            _ => """{"type":"lower"}""",
        };
        return $$"""{"type":"extraction","dimension":"{{dimension}}","outputName":"{{dimension}}","extractionFn":{{fn}}}""";
    }

    /// <summary>Sometimes an extra grouping on a formatted <c>__time</c> (output name <c>t</c>).</summary>
    public string TimeDimension()
    {
        if (_random.Next(3) != 0)
        {
            return string.Empty;
        }

        var format = new[] { "HH", "yyyy-MM-dd HH:mm", "EEE h a" }[_random.Next(3)];
        var zone = new[] { "UTC", "+05:30", "America/Los_Angeles" }[_random.Next(3)];
        var granularity = _random.Next(2) == 0 ? ",\"granularity\":\"thirty_minute\"" : string.Empty;
        return $$""",{"type":"extraction","dimension":"__time","outputName":"t","extractionFn":{"type":"timeFormat","format":"{{format}}","timeZone":"{{zone}}"{{granularity}} } }""";
    }

    private string Lookup()
    {
        var missing = _random.Next(3) switch
        {
            0 => ",\"retainMissingValue\":true",
            1 => ",\"replaceMissingValueWith\":\"other\"",
            _ => string.Empty,
        };
        return $$"""{"type":"lookup","lookup":{"type":"map","map":{"US":"America","BR":"America","DE":"Europe","FR":"Europe","":"blank"} }{{missing}} }""";
    }

    public string Selector() => $$"""{"type":"selector","dimension":"{{Dimension()}}","value":{{Value()}}}""";

    public string Intervals()
    {
        if (_random.Next(4) == 0)
        {
            return "\"intervals\":[\"2026-11-22/2026-11-24\"]";
        }

        var a = _random.Next(0, 6 * 60);
        var b = _random.Next(a + 1, 6 * 60 + 30);
        var c = _random.Next(0, 6 * 60);
        var second = _random.Next(3) == 0 ? $",\"{IsoTime.Format(Start + (c * 60_000L))}/PT{_random.Next(1, 90)}M\"" : string.Empty;
        return $"\"intervals\":[\"{IsoTime.Format(Start + (a * 60_000L))}/{IsoTime.Format(Start + (b * 60_000L))}\"{second}]";
    }

    public string Granularity() => new[] { "\"all\"", "\"hour\"", "\"fifteen_minute\"", "{\"type\":\"period\",\"period\":\"PT30M\"}", "\"day\"", "{\"type\":\"duration\",\"duration\":2700000}" }[_random.Next(6)];

    public string Aggregations() => """
        "aggregations":[{"type":"count","name":"rows"},{"type":"longSum","name":"clicks","fieldName":"clicks"},
          {"type":"doubleSum","name":"revenue","fieldName":"revenue"},{"type":"longMin","name":"minClicks","fieldName":"clicks"},
          {"type":"longMax","name":"maxN","fieldName":"n"},{"type":"doubleMin","name":"minRevenue","fieldName":"revenue"},
          {"type":"doubleMax","name":"maxRevenue","fieldName":"revenue"},{"type":"hyperUnique","name":"users","fieldName":"users"},
          {"type":"filtered","filter":{"type":"selector","dimension":"device","value":"ios"},"aggregator":{"type":"count","name":"iosRows"}},
          {"type":"filtered","name":"usClicks","filter":{"type":"in","dimension":"country","values":["US","DE"]},"aggregator":{"type":"filtered","filter":{"type":"bound","dimension":"n","lower":"3","ordering":"numeric"},"aggregator":{"type":"longSum","name":"inner","fieldName":"clicks"}}},
          {"type":"cardinality","name":"placesByValue","fields":["country","device"]},
          {"type":"cardinality","name":"placesByRow","fields":["country",{"type":"extraction","dimension":"pin_id","outputName":"p","extractionFn":{"type":"substring","index":4,"length":2}}],"byRow":true,"round":true},
          {"type":"doubleMean","name":"meanRevenue","fieldName":"revenue"},{"type":"longFirst","name":"firstClicks","fieldName":"clicks"},
          {"type":"longLast","name":"lastN","fieldName":"n"},{"type":"doubleFirst","name":"firstRevenue","fieldName":"revenue"},
          {"type":"doubleLast","name":"lastRevenue","fieldName":"revenue"},{"type":"stringFirst","name":"firstCountry","fieldName":"country"},
          {"type":"stringLast","name":"lastPin","fieldName":"pin_id","maxStringBytes":5},{"type":"stringLast","name":"lastCountry","fieldName":"country","filterNullValues":true},
          {"type":"longSum","name":"vSum","fieldName":"v_num"},{"type":"doubleMax","name":"vMax","fieldName":"v_chain"},{"type":"cardinality","name":"vCard","fields":["v_upper","v_if"]}],
        "postAggregations":[{"type":"arithmetic","name":"cpr","fn":"/","fields":[{"type":"fieldAccess","fieldName":"clicks"},{"type":"fieldAccess","fieldName":"rows"}]},
          {"type":"arithmetic","name":"score","fn":"+","fields":[{"type":"fieldAccess","fieldName":"revenue"},{"type":"constant","value":2},{"type":"fieldAccess","fieldName":"cpr"}]},
          {"type":"hyperUniqueCardinality","name":"u","fieldName":"users"},
              {"type":"expression","name":"expr","expression":"if(rows > 2 && clicks % 2 == 0, clicks / rows, -revenue ^ 2) + nvl(firstClicks, 0) + greatest(u, meanRevenue, lastN)"},
              {"type":"expression","name":"label","expression":"concat(nvl(firstCountry, 'none'), '/', round(meanRevenue, 1))"},
              {"type":"doubleGreatest","name":"dg","fields":[{"type":"fieldAccess","fieldName":"revenue"},{"type":"fieldAccess","fieldName":"cpr"}]},
              {"type":"longLeast","name":"ll","fields":[{"type":"fieldAccess","fieldName":"clicks"},{"type":"fieldAccess","fieldName":"lastN"},{"type":"constant","value":40}]}]
        """;

    public string Query(string queryType)
    {
        var filter = _random.Next(2) == 0 ? string.Empty : $",\"filter\":{Filter()}";
        var common = $"\"queryType\":\"{queryType}\",\"dataSource\":\"pin_engagement\",{Intervals()}{filter}{VirtualColumns()}";
        switch (queryType)
        {
            case "timeseries":
                return $$"""{{{common}},"granularity":{{Granularity()}},{{Aggregations()}},"descending":{{Bool()}},"context":{"skipEmptyBuckets":{{Bool()}},"grandTotal":{{Bool()}}""" + "}}";
            case "topN":
            {
                var metric = new[] { "\"clicks\"", "\"cpr\"", "{\"type\":\"inverted\",\"metric\":\"revenue\"}", "{\"type\":\"dimension\",\"ordering\":\"lexicographic\"}", "{\"type\":\"dimension\",\"ordering\":\"numeric\",\"previousStop\":\"3\"}", "\"u\"", "\"minClicks\"" }[_random.Next(7)];
                var dim = metric.Contains("numeric", StringComparison.Ordinal) ? "\"n\"" : DimensionSpec(Dimension());
                return $$"""{{{common}},"granularity":{{Granularity()}},"dimension":{{dim}},"metric":{{metric}},"threshold":{{_random.Next(1, 12)}},{{Aggregations()}}}""";
            }

            case "groupBy":
            {
                var dims = Enumerable.Range(0, _random.Next(1, 3)).Select(_ => Dimension()).Distinct().ToList();
                var having = _random.Next(3) switch
                {
                    0 => string.Empty,
                    1 => $$""","having":{"type":"greaterThan","aggregation":"rows","value":{{_random.Next(0, 5)}}}""",
                    _ => $$""","having":{"type":"or","havingSpecs":[{"type":"lessThan","aggregation":"revenue","value":{{_random.Next(0, 200)}}},{"type":"not","havingSpec":{"type":"dimSelector","dimension":"{{dims[0]}}","value":{{Value()}}""" + "}}]}",
                };
                var limit = _random.Next(3) switch
                {
                    0 => string.Empty,
                    1 => $$""","limitSpec":{"type":"default","limit":{{_random.Next(1, 20)}},"columns":[{"dimension":"clicks","direction":"descending"},"{{dims[0]}}"]}""",
                    _ => $$""","limitSpec":{"type":"default","limit":{{_random.Next(1, 20)}},"offset":{{_random.Next(0, 4)}},"columns":[{"dimension":"{{dims[^1]}}","direction":"descending","dimensionOrder":"numeric"},{"dimension":"u","direction":"ascending"}]}""",
                };
                return $$"""{{{common}},"granularity":{{Granularity()}},"dimensions":[{{string.Join(",", dims.Select(DimensionSpec))}}{{TimeDimension()}}],{{Aggregations()}}{{having}}{{limit}}}""";
            }

            case "scan":
            {
                var columns = _random.Next(2) == 0 ? "[]" : "[\"__time\",\"pin_id\",\"clicks\",\"revenue\",\"country\",\"v_num\",\"v_upper\"]";
                var limit = _random.Next(3) == 0 ? string.Empty : $",\"limit\":{_random.Next(1, 50)}";
                var offset = _random.Next(3) == 0 ? $",\"offset\":{_random.Next(0, 10)}" : string.Empty;
                var order = new[] { "none", "ascending", "descending" }[_random.Next(3)];
                var format = _random.Next(2) == 0 ? "list" : "compactedList";
                return $$"""{{{common}},"columns":{{columns}}{{limit}}{{offset}},"order":"{{order}}","resultFormat":"{{format}}","batchSize":{{_random.Next(1, 30)}}}""";
            }

            case "timeBoundary":
                return $$"""{{{common}}{{new[] { string.Empty, ",\"bound\":\"maxTime\"", ",\"bound\":\"minTime\"" }[_random.Next(3)]}}}""";
            case "search":
            {
                var dimensions = _random.Next(2) == 0 ? string.Empty : ",\"searchDimensions\":[\"pin_id\",\"country\",{\"type\":\"default\",\"dimension\":\"n\",\"outputName\":\"number\"}]";
                var spec = new[] { """{"type":"contains","value":"1"}""", """{"type":"insensitive_contains","value":"U"}""", """{"type":"fragment","values":["p","0"]}""", """{"type":"contains","value":""}""" }[_random.Next(4)];
                var sort = new[] { "lexicographic", "strlen", "numeric" }[_random.Next(3)];
                return $$"""{{{common}},"granularity":{{Granularity()}}{{dimensions}},"query":{{spec}},"sort":{"type":"{{sort}}"},"limit":{{_random.Next(1, 40)}}}""";
            }

            case "dataSourceMetadata":
                return """{"queryType":"dataSourceMetadata","dataSource":"pin_engagement"}""";
            default:
                return $$"""{"queryType":"segmentMetadata","dataSource":"pin_engagement",{{Intervals()}},"merge":true,"analysisTypes":["cardinality","minmax","size","interval","aggregators","timestampSpec","queryGranularity","rollup"]}""";
        }
    }

    /// <summary>Half the queries declare virtual columns (one-dimension ones, per-row ones over metrics, a chained one defined before its input); the others may still name them, as missing columns.</summary>
    private string VirtualColumns() => _random.Next(2) == 0 ? string.Empty : """
        ,"virtualColumns":[{"type":"expression","name":"v_chain","expression":"v_num / 4.0","outputType":"DOUBLE"},
          {"type":"expression","name":"v_upper","expression":"upper(country)","outputType":"STRING"},
          {"type":"expression","name":"v_num","expression":"clicks * 2 + n","outputType":"LONG"},
          {"type":"expression","name":"v_pin","expression":"substring(pin_id, 4, 2)"},
          {"type":"expression","name":"v_n","expression":"n * 3","outputType":"LONG"},
          {"type":"expression","name":"v_if","expression":"if(n, 'yes', concat('no', n))"},
          {"type":"expression","name":"v_time","expression":"__time % 7200000 > 3600000"}]
        """;

    private string Dimension() => new[] { "pin_id", "country", "device", "n", "pin_id", "missing", "v_upper", "v_num", "v_pin", "v_n", "v_if", "v_chain", "v_time" }[_random.Next(_random.Next(2) == 0 ? 6 : 13)];

    private string Value()
    {
        return _random.Next(10) switch
        {
            0 => "null",
            1 => "\"\"",
            2 => $"\"{Countries[_random.Next(Countries.Length - 2)]}\"",
            3 => $"\"{Devices[_random.Next(Devices.Length)]}\"",
            4 => $"\"{_random.Next(-5, 25)}\"",
            _ => $"\"{PinId(_random.Next(50))}\"",
        };
    }

    private string NonNullValue()
    {
        var v = Value();
        return v == "null" ? "\"pin-010\"" : v;
    }

    private string Bool() => _random.Next(2) == 0 ? "true" : "false";
}
