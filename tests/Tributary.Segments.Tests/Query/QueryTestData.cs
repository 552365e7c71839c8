using System.Globalization;
using System.Text;
using Tributary.Query;
using Tributary.Segments.Ingest;
using Tributary.Segments.Query;
using Tributary.Segments.Schema;

namespace Tributary.Segments.Tests.Query;

/// <summary>
/// Random events over a pin_engagement-like datasource with every dimension and metric type, their rolled-up rows
/// as plain <see cref="Row"/>s (the oracle's input), and random Druid queries over them (the idea of
/// Tributary.Query.Tests' TestData, with this datasource's columns).
/// </summary>
/// <remarks>
/// Rollup semantics: a segment row is one (minute, dimension values) combination; <c>count</c> at query time
/// counts those rows and <c>longSum</c> of the ingested <c>count</c> metric counts events, as in Druid. The oracle
/// therefore runs over the same rolled-up rows, built here independently of the segment code: metrics aggregated
/// per row as ingestion specifies (sums, min, max, a HyperLogLog of the users), row order as the segment keeps it
/// (first-seen order while open; sorted by time then dimension values, null first, once sealed).
/// </remarks>
internal sealed class QueryTestData
{
    public const string Datasource = "pin_engagement";

    public static readonly long Start = new DateTimeOffset(2026, 11, 23, 0, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds();

    private static readonly string?[] Countries = ["US", "DE", "FR", "BR", "", null];
    private static readonly string[] Devices = ["ios", "android", "web", "é-tv"];
    private static readonly string[] Dimensions = ["pin_id", "country", "device", "n", "pin_id", "missing", "v_upper", "v_num", "v_pin", "v_n", "v_if", "v_chain", "v_time"];
    private readonly Random _random;
    private readonly int _hours;
    private string _aggregations = "full";
    private int _pins = 50;
    private int _minutes = 60;

    public QueryTestData(int seed, int hours = 1)
    {
        _random = new Random(seed);
        _hours = hours;
    }

    public Random Random => _random;

    public static DatasourceSpec Spec(bool rollup = true) => DatasourceSpecLoader.Parse($$"""
        {
          "name": "{{Datasource}}", "topic": "{{Datasource}}",
          "timestamp": { "field": "ts", "format": "iso" },
          "dimensions": [
            { "name": "pin_id", "type": "string" },
            { "name": "country", "type": "string" },
            { "name": "device", "type": "string" },
            { "name": "n", "type": "long" }
          ],
          "metrics": [
            { "type": "count", "name": "count" },
            { "type": "longSum", "name": "clicks", "fieldName": "clicks" },
            { "type": "longMin", "name": "clicks_min", "fieldName": "clicks" },
            { "type": "longMax", "name": "clicks_max", "fieldName": "clicks" },
            { "type": "doubleSum", "name": "revenue", "fieldName": "revenue" },
            { "type": "doubleMin", "name": "revenue_min", "fieldName": "revenue" },
            { "type": "doubleMax", "name": "revenue_max", "fieldName": "revenue" },
            { "type": "hyperUnique", "name": "users", "fieldName": "user" }
          ],
          "partitioning": { "key": "pin_id", "partitions": 2 },
          "granularity": { "segment": "hour", "query": "minute", "rollup": {{(rollup ? "true" : "false")}} }
        }
        """);

    public static string PinId(int i) => "pin-" + i.ToString("D3", CultureInfo.InvariantCulture);

    /// <summary>Random events; times are crowded into a few minutes sometimes so that rows roll up.</summary>
    public List<Event> Events(int count)
    {
        var pins = _pins = _random.Next(3, 60);
        var minutes = _minutes = new[] { 2, 10, 60 }[_random.Next(3)];
        var hourOffsets = Enumerable.Range(0, _hours).ToArray();
        var events = new List<Event>(count);
        for (var i = 0; i < count; i++)
        {
            var hour = hourOffsets[_random.Next(hourOffsets.Length)];
            var ts = Start + (hour * 3_600_000L) + _random.NextInt64(minutes * 60_000L);
            events.Add(new Event(
                ts,
                PinId(_random.Next(pins)),
                Countries[_random.Next(Countries.Length)],
                Devices[_random.Next(Devices.Length)],
                _random.Next(6) == 0 ? null : _random.Next(-5, 25),
                _random.Next(0, 100),
                _random.Next(-40, 400) * 0.25,
                "u" + _random.Next(300).ToString(CultureInfo.InvariantCulture)));
        }

        return events;
    }

    /// <summary>Appends <paramref name="events"/> to a new open segment through the JSON row parser.</summary>
    public static OpenSegment Build(DatasourceSpec spec, SegmentId id, IEnumerable<Event> events)
    {
        var segment = new OpenSegment(spec, id);
        var parser = new RowParser(spec);
        var row = new ParsedRow(spec);
        foreach (var e in events)
        {
            Assert.True(segment.TryAppend(e.Json(), parser, row, out var error), error);
        }

        return segment;
    }

    /// <summary>Seals <paramref name="segment"/> into bytes and loads them back, as the object store round trip does.</summary>
    public static SealedSegment SealAndLoad(OpenSegment segment)
    {
        using var buffer = new MemoryStream();
        segment.SealTo(buffer);
        return SealedSegment.Load(buffer.ToArray());
    }

    /// <summary>The rows a segment of <paramref name="events"/> holds, in its row order.</summary>
    public static List<Row> Rows(DatasourceSpec spec, IEnumerable<Event> events, bool sealedOrder)
    {
        var rows = new List<(Key Key, Accumulator Acc)>();
        var index = new Dictionary<Key, int>();
        foreach (var e in events)
        {
            var key = new Key(e.Ts - (((e.Ts % 60_000) + 60_000) % 60_000), e.Pin, e.Country, e.Device, e.N);
            if (spec.Granularity.Rollup && index.TryGetValue(key, out var at))
            {
                rows[at].Acc.Add(e);
                continue;
            }

            index[key] = rows.Count;
            var acc = new Accumulator();
            acc.Add(e);
            rows.Add((key, acc));
        }

        IEnumerable<(Key Key, Accumulator Acc)> ordered = rows;
        if (sealedOrder)
        {
            ordered = rows.OrderBy(r => r.Key.Time)
                .ThenBy(r => r.Key.Pin, Utf8Order.Instance)
                .ThenBy(r => r.Key.Country, Utf8Order.Instance)
                .ThenBy(r => r.Key.Device, Utf8Order.Instance)
                .ThenBy(r => r.Key.N.HasValue).ThenBy(r => r.Key.N ?? 0);
        }

        return [.. ordered.Select(r => r.Acc.ToRow(r.Key, spec.HyperUniquePrecision))];
    }

    public void UseAggregations(string set) => _aggregations = set;

    public string Query(string queryType)
    {
        _aggregations = new[] { "full", "full", "full", "count", "countSum", "filteredCounts" }[_random.Next(6)];
        var filter = _random.Next(2) == 0 ? string.Empty : $",\"filter\":{Filter()}";
        var common = $"\"queryType\":\"{queryType}\",\"dataSource\":\"{Datasource}\",{Intervals()}{filter}{VirtualColumns()}";
        switch (queryType)
        {
            case "timeseries":
                return $$"""{{{common}},"granularity":{{Granularity()}},{{Aggregations()}},"descending":{{Bool()}},"context":{"skipEmptyBuckets":{{Bool()}},"grandTotal":{{Bool()}}""" + "}}";
            case "topN":
            {
                var metrics = _aggregations == "full"
                    ? new[] { "\"clicks\"", "\"cpr\"", "{\"type\":\"inverted\",\"metric\":\"revenue\"}", "{\"type\":\"dimension\",\"ordering\":\"lexicographic\"}", "{\"type\":\"dimension\",\"ordering\":\"numeric\",\"previousStop\":\"3\"}", "\"u\"", "\"minClicks\"", "\"events\"" }
                    : ["\"rows\"", "{\"type\":\"dimension\",\"ordering\":\"lexicographic\"}", "{\"type\":\"inverted\",\"metric\":\"rows\"}"];
                var metric = metrics[_random.Next(metrics.Length)];
                var dim = metric.Contains("numeric", StringComparison.Ordinal) ? "\"n\"" : DimensionSpec(Dimension());
                return $$"""{{{common}},"granularity":{{Granularity()}},"dimension":{{dim}},"metric":{{metric}},"threshold":{{_random.Next(1, 12)}},{{Aggregations()}}}""";
            }

            case "groupBy":
            {
                var dims = Enumerable.Range(0, _random.Next(1, 4)).Select(_ => Dimension()).Distinct().ToList();
                var metric = _aggregations == "full" ? "revenue" : "rows";
                var having = _random.Next(3) switch
                {
                    0 => string.Empty,
                    1 => $$""","having":{"type":"greaterThan","aggregation":"rows","value":{{_random.Next(0, 3)}}}""",
                    _ => $$""","having":{"type":"or","havingSpecs":[{"type":"lessThan","aggregation":"{{metric}}","value":{{_random.Next(0, 200)}}},{"type":"not","havingSpec":{"type":"dimSelector","dimension":"{{dims[0]}}","value":{{Value()}}""" + "}}]}",
                };
                var limit = _random.Next(3) switch
                {
                    0 => string.Empty,
                    1 => $$""","limitSpec":{"type":"default","limit":{{_random.Next(1, 20)}},"columns":[{"dimension":"{{metric}}","direction":"descending"},"{{dims[0]}}"]}""",
                    _ => $$""","limitSpec":{"type":"default","limit":{{_random.Next(1, 20)}},"offset":{{_random.Next(0, 4)}},"columns":[{"dimension":"{{dims[^1]}}","direction":"descending","dimensionOrder":"numeric"},{"dimension":"rows","direction":"ascending"}]}""",
                };
                return $$"""{{{common}},"granularity":{{Granularity()}},"dimensions":[{{string.Join(",", dims.Select(DimensionSpec))}}{{TimeDimension()}}],{{Aggregations()}}{{having}}{{limit}}}""";
            }

            case "scan":
            {
                var columns = _random.Next(2) == 0 ? "[]" : "[\"__time\",\"pin_id\",\"clicks\",\"revenue\",\"country\",\"n\",\"missing\",\"v_chain\",\"v_if\",\"v_pin\"]";
                var limit = _random.Next(3) == 0 ? string.Empty : $",\"limit\":{_random.Next(1, 50)}";
                var offset = _random.Next(3) == 0 ? $",\"offset\":{_random.Next(0, 10)}" : string.Empty;
                var order = new[] { "none", "ascending", "descending" }[_random.Next(3)];
                var format = _random.Next(2) == 0 ? "list" : "compactedList";
                return $$"""{{{common}},"columns":{{columns}}{{limit}}{{offset}},"order":"{{order}}","resultFormat":"{{format}}","batchSize":{{_random.Next(1, 30)}}}""";
            }

            case "search":
            {
                var dimensions = _random.Next(3) switch
                {
                    0 => string.Empty,
                    1 => $",\"searchDimensions\":[{string.Join(",", new[] { "\"pin_id\"" }.Concat(Enumerable.Range(0, _random.Next(0, 3)).Select(_ => $"\"{Dimension()}\"")).Distinct())}]",
                    _ => ",\"searchDimensions\":[\"country\",{\"type\":\"default\",\"dimension\":\"pin_id\",\"outputName\":\"pin\"},\"n\",\"__time\",\"clicks\"]",
                };
                var spec = _random.Next(4) switch
                {
                    0 => $$"""{"type":"contains","value":"{{new[] { "pin-0", "o", "U", "1", "", "i" }[_random.Next(6)]}}","caseSensitive":{{Bool()}}}""",
                    1 => $$"""{"type":"insensitive_contains","value":"{{new[] { "PIN", "s", "2", "e" }[_random.Next(4)]}}"}""",
                    2 => $$"""{"type":"fragment","values":["{{new[] { "pin", "i", "" }[_random.Next(3)]}}","{{new[] { "0", "I", "" }[_random.Next(3)]}}"],"caseSensitive":{{Bool()}}}""",
                    _ => """{"type":"regex","pattern":"^(pin-0[0-3]|US|[0-9])"}""",
                };
                var sort = new[] { string.Empty, ",\"sort\":{\"type\":\"lexicographic\"}", ",\"sort\":{\"type\":\"strlen\"}", ",\"sort\":{\"type\":\"numeric\"}" }[_random.Next(4)];
                var limit = _random.Next(2) == 0 ? string.Empty : $",\"limit\":{_random.Next(1, 30)}";
                return $$"""{{{common}},"granularity":{{Granularity()}}{{dimensions}},"query":{{spec}}{{sort}}{{limit}}}""";
            }

            case "dataSourceMetadata":
                return $$"""{"queryType":"dataSourceMetadata","dataSource":"{{Datasource}}","context":{"queryId":"q{{_random.Next(100)}}"}""" + "}";
            case "timeBoundary":
                return $$"""{{{common}}{{new[] { string.Empty, ",\"bound\":\"maxTime\"", ",\"bound\":\"minTime\"" }[_random.Next(3)]}}}""";
            default:
            {
                var include = _random.Next(3) == 0 ? ",\"toInclude\":{\"type\":\"list\",\"columns\":[\"country\",\"n\",\"users\",\"__time\"]}" : string.Empty;
                return $$"""{"queryType":"segmentMetadata","dataSource":"{{Datasource}}",{{Intervals()}},"merge":{{Bool()}}{{include}},"analysisTypes":["cardinality","minmax","size","interval"{{(_random.Next(2) == 0 ? string.Empty : ",\"aggregators\",\"rollup\",\"queryGranularity\",\"timestampSpec\"")}}]}""";
            }
        }
    }

    public string Filter(int depth = 0)
    {
        if (_random.Next(4) == 0)
        {
            return NewerFilter();
        }

        var kind = _random.Next(depth >= 2 ? 6 : 9);
        switch (kind)
        {
            case 0:
                return $$"""{"type":"selector","dimension":"{{Dimension()}}","value":{{Value()}}}""";
            case 5:
                return _random.Next(3) == 0 ? $$"""{"type":"selector","dimension":"{{Dimension()}}","value":{{Value()}}}""" : ExtractionFilter();
            case 1:
                return $$"""{"type":"in","dimension":"{{Dimension()}}","values":[{{string.Join(",", Enumerable.Range(0, _random.Next(1, 5)).Select(_ => Value()))}}]}""";
            case 2:
            {
                var numeric = _random.Next(2) == 0;
                var dim = numeric ? new[] { "n", "pin_id" }[_random.Next(2)] : Dimension();
                var lower = _random.Next(3) == 0 ? string.Empty : ",\"lower\":" + (numeric ? $"\"{_random.Next(-5, 25)}\"" : NonNullValue()) + ",\"lowerStrict\":" + Bool();
                var upper = lower.Length > 0 && _random.Next(3) == 0 ? string.Empty : ",\"upper\":" + (numeric ? $"\"{_random.Next(-5, 25)}\"" : NonNullValue()) + ",\"upperStrict\":" + Bool();
                return $$"""{"type":"bound","dimension":"{{dim}}"{{lower}}{{upper}},"ordering":"{{(numeric ? "numeric" : "lexicographic")}}"}""";
            }

            case 3:
                return $$"""{"type":"like","dimension":"{{Dimension()}}","pattern":"{{new[] { "pin-00%", "%S", "_R", "%o%", "pin-0_1", "a!%b", "%" }[_random.Next(7)]}}","escape":"!"}""";
            case 4:
                return $$"""{"type":"regex","dimension":"{{Dimension()}}","pattern":"{{new[] { "^pin-0[0-2]", "o", "^(US|DE)$", "1$", "^-" }[_random.Next(5)]}}"}""";
            case 6:
            case 7:
                return $$"""{"type":"{{(kind == 6 ? "and" : "or")}}","fields":[{{string.Join(",", Enumerable.Range(0, _random.Next(1, 4)).Select(_ => Filter(depth + 1)))}}]}""";
            default:
                return $$"""{"type":"not","field":{{Filter(depth + 1)}}}""";
        }
    }

    /// <summary>interval (on __time and on the long dimension n), true, false, range (string and numeric) and search.</summary>
    private string NewerFilter()
    {
        switch (_random.Next(9))
        {
            case 0:
            {
                var hour = _random.Next(_hours) * 60;
                var a = hour + _random.Next(0, _minutes);
                return $$"""{"type":"interval","dimension":"__time","intervals":["{{IsoTime.Format(Start + (a * 60_000L))}}/PT{{_random.Next(1, 40)}}M","{{IsoTime.Format(Start + ((a + _random.Next(5, 60)) * 60_000L))}}/PT{{_random.Next(1, 9)}}M"]}""";
            }

            case 1:
                // n holds small numbers, read as epoch milliseconds
                return $$"""{"type":"interval","dimension":"n","intervals":["1970-01-01T00:00:00.00{{_random.Next(0, 5)}}Z/1970-01-01T00:00:00.0{{_random.Next(10, 30)}}Z"]}""";
            case 2:
                return _random.Next(2) == 0 ? """{"type":"true"}""" : """{"type":"false"}""";
            case 3:
            {
                var lower = _random.Next(3) == 0 ? string.Empty : $",\"lower\":{NonNullValue()},\"lowerOpen\":{Bool()}";
                var upper = lower.Length > 0 && _random.Next(3) == 0 ? string.Empty : $",\"upper\":{NonNullValue()},\"upperOpen\":{Bool()}";
                return $$"""{"type":"range","column":"{{Dimension()}}","matchValueType":"STRING"{{lower}}{{upper}}}""";
            }

            case 4:
            {
                var column = new[] { "n", "pin_id", "clicks", "country" }[_random.Next(4)];
                var type = new[] { "LONG", "DOUBLE", "FLOAT" }[_random.Next(3)];
                var lower = _random.Next(3) == 0 ? string.Empty : $",\"lower\":{_random.Next(-5, 20)}.{_random.Next(0, 2) * 5},\"lowerOpen\":{Bool()}";
                var upper = lower.Length > 0 && _random.Next(3) == 0 ? string.Empty : $",\"upper\":\"{_random.Next(-5, 25)}\",\"upperOpen\":{Bool()}";
                return $$"""{"type":"range","column":"{{column}}","matchValueType":"{{type}}"{{lower}}{{upper}}}""";
            }

            case 5:
            {
                // __time as LONG, the way Druid SQL plans time ranges
                var hour = _random.Next(_hours) * 60;
                var a = Start + ((hour + _random.Next(0, _minutes)) * 60_000L) + _random.Next(-1, 2);
                var b = a + (_random.Next(1, 40) * 60_000L);
                return $$"""{"type":"range","column":"__time","matchValueType":"LONG","lower":{{a}},"lowerOpen":{{Bool()}},"upper":{{b}},"upperOpen":{{Bool()}}}""";
            }

            case 6:
                return $$"""{"type":"search","dimension":"{{Dimension()}}","query":{"type":"contains","value":"{{new[] { "PIN", "pin-00", "o", "u", "-", "É" }[_random.Next(6)]}}","caseSensitive":{{Bool()}}}""" + "}";
            case 7:
                return $$"""{"type":"search","dimension":"{{Dimension()}}","query":{"type":"insensitive_contains","value":"{{new[] { "PIN-01", "S", "1", "" }[_random.Next(4)]}}"}""" + "}";
            default:
                return $$"""{"type":"search","dimension":"{{Dimension()}}","query":{"type":"fragment","values":["{{new[] { "pin", "US", "i" }[_random.Next(3)]}}","{{new[] { "1", "o", "" }[_random.Next(3)]}}"],"caseSensitive":{{Bool()}}}""" + "}";
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
            7 => $$"""{"type":"selector","dimension":"__time","value":"0{{_random.Next(2)}}","extractionFn":{"type":"timeFormat","format":"HH","timeZone":"UTC"} }""",
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

    private string Intervals()
    {
        if (_random.Next(3) == 0)
        {
            return "\"intervals\":[\"2026-11-22/2026-11-24\"]";
        }

        // mostly inside the minutes that hold events, so that most queries match rows
        var hour = _random.Next(_hours) * 60;
        var a = hour + _random.Next(0, _minutes);
        var b = _random.Next(a + 1, hour + _minutes + 5);
        var c = hour + _random.Next(0, _minutes);
        var second = _random.Next(3) == 0 ? $",\"{IsoTime.Format(Start + (c * 60_000L))}/PT{_random.Next(1, 90)}M\"" : string.Empty;
        return $"\"intervals\":[\"{IsoTime.Format(Start + (a * 60_000L))}/{IsoTime.Format(Start + (b * 60_000L))}\"{second}]";
    }

    private string Granularity() => new[] { "\"all\"", "\"all\"", "\"minute\"", "\"hour\"", "\"fifteen_minute\"", "{\"type\":\"period\",\"period\":\"PT30M\"}", "\"day\"", "{\"type\":\"duration\",\"duration\":2700000}", "\"none\"" }[_random.Next(9)];

    private string Aggregations() => _aggregations switch
    {
        "count" => "\"aggregations\":[{\"type\":\"count\",\"name\":\"rows\"}]",
        "filteredCounts" => """
            "aggregations":[{"type":"filtered","filter":{"type":"selector","dimension":"device","value":"web"},"aggregator":{"type":"count","name":"rows"}},
              {"type":"filtered","filter":{"type":"not","field":{"type":"selector","dimension":"country","value":"US"}},"aggregator":{"type":"count","name":"nonUs"}}]
            """,
        "countSum" => "\"aggregations\":[{\"type\":\"filtered\",\"filter\":{\"type\":\"selector\",\"dimension\":\"device\",\"value\":\"web\"},\"aggregator\":{\"type\":\"count\",\"name\":\"webRows\"}},{\"type\":\"count\",\"name\":\"rows\"},{\"type\":\"longSum\",\"name\":\"events\",\"fieldName\":\"count\"},{\"type\":\"longSum\",\"name\":\"clicks\",\"fieldName\":\"clicks\"}]",
        _ => """
            "aggregations":[{"type":"count","name":"rows"},{"type":"longSum","name":"clicks","fieldName":"clicks"},{"type":"longSum","name":"events","fieldName":"count"},
              {"type":"doubleSum","name":"revenue","fieldName":"revenue"},{"type":"longMin","name":"minClicks","fieldName":"clicks_min"},
              {"type":"longMax","name":"maxN","fieldName":"n"},{"type":"doubleMin","name":"minRevenue","fieldName":"revenue_min"},
              {"type":"doubleMax","name":"maxRevenue","fieldName":"revenue_max"},{"type":"hyperUnique","name":"users","fieldName":"users"},
              {"type":"hyperUnique","name":"devices","fieldName":"device","round":true},{"type":"longSum","name":"nSum","fieldName":"n"},
              {"type":"doubleSum","name":"clicksAsDouble","fieldName":"clicks_max"},{"type":"longSum","name":"nothing","fieldName":"missing"},
              {"type":"filtered","filter":{"type":"selector","dimension":"device","value":"ios"},"aggregator":{"type":"count","name":"iosRows"}},
              {"type":"filtered","name":"usClicks","filter":{"type":"in","dimension":"country","values":["US","DE"]},"aggregator":{"type":"filtered","filter":{"type":"bound","dimension":"n","lower":"3","ordering":"numeric"},"aggregator":{"type":"longSum","name":"inner","fieldName":"clicks"}}},
              {"type":"filtered","filter":{"type":"not","field":{"type":"selector","dimension":"missing","value":null}},"aggregator":{"type":"doubleSum","name":"none","fieldName":"revenue"}},
              {"type":"cardinality","name":"placesByValue","fields":["country","device"]},
              {"type":"cardinality","name":"placesByRow","fields":["country",{"type":"extraction","dimension":"pin_id","outputName":"p","extractionFn":{"type":"substring","index":4,"length":2}},"n"],"byRow":true,"round":true},
              {"type":"cardinality","name":"timesAndMissing","fields":["__time","missing","clicks"]},
              {"type":"doubleMean","name":"meanRevenue","fieldName":"revenue"},{"type":"longFirst","name":"firstClicks","fieldName":"clicks"},
              {"type":"longLast","name":"lastN","fieldName":"n"},{"type":"doubleFirst","name":"firstRevenue","fieldName":"revenue_max"},
              {"type":"doubleLast","name":"lastRevenue","fieldName":"revenue"},{"type":"stringFirst","name":"firstCountry","fieldName":"country"},
              {"type":"stringLast","name":"lastPin","fieldName":"pin_id","maxStringBytes":5},{"type":"stringLast","name":"lastCountry","fieldName":"country","filterNullValues":true},
              {"type":"longFirst","name":"firstByN","fieldName":"clicks","timeColumn":"n"},
              {"type":"longSum","name":"vSum","fieldName":"v_num"},{"type":"doubleMax","name":"vMax","fieldName":"v_chain"},
              {"type":"cardinality","name":"vCard","fields":["v_upper","v_if"]},{"type":"stringFirst","name":"vFirst","fieldName":"v_pin"}],
            "postAggregations":[{"type":"arithmetic","name":"cpr","fn":"/","fields":[{"type":"fieldAccess","fieldName":"clicks"},{"type":"fieldAccess","fieldName":"rows"}]},
              {"type":"arithmetic","name":"score","fn":"+","fields":[{"type":"fieldAccess","fieldName":"revenue"},{"type":"constant","value":2},{"type":"fieldAccess","fieldName":"cpr"}]},
              {"type":"hyperUniqueCardinality","name":"u","fieldName":"users"},
              {"type":"expression","name":"expr","expression":"if(rows > 2 && clicks % 2 == 0, clicks / rows, -revenue ^ 2) + nvl(firstClicks, 0) + greatest(u, meanRevenue, lastN)"},
              {"type":"expression","name":"label","expression":"concat(nvl(firstCountry, 'none'), '/', round(meanRevenue, 1))"},
              {"type":"doubleGreatest","name":"dg","fields":[{"type":"fieldAccess","fieldName":"revenue"},{"type":"fieldAccess","fieldName":"cpr"}]},
              {"type":"longLeast","name":"ll","fields":[{"type":"fieldAccess","fieldName":"clicks"},{"type":"fieldAccess","fieldName":"lastN"},{"type":"constant","value":40}]}]
            """,
    };

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

    private string Dimension() => Dimensions[_random.Next(_random.Next(2) == 0 ? 6 : Dimensions.Length)];

    private string Value()
    {
        return _random.Next(11) switch
        {
            0 => "null",
            1 => "\"\"",
            2 => $"\"{Countries[_random.Next(Countries.Length - 2)]}\"",
            3 => $"\"{Devices[_random.Next(Devices.Length)]}\"",
            4 => $"\"{_random.Next(-5, 25)}\"",
            5 => $"\"0{_random.Next(10)}\"",
            _ => $"\"{PinId(_random.Next(_pins + 2))}\"",
        };
    }

    private string NonNullValue()
    {
        var v = Value();
        return v == "null" ? "\"pin-010\"" : v;
    }

    private string Bool() => _random.Next(2) == 0 ? "true" : "false";

    public sealed record Event(long Ts, string Pin, string? Country, string Device, long? N, long Clicks, double Revenue, string User)
    {
        public byte[] Json()
        {
            var sb = new StringBuilder();
            sb.Append(CultureInfo.InvariantCulture, $"{{\"ts\":\"{IsoTime.Format(Ts)}\",\"pin_id\":\"{Pin}\",\"device\":\"{Device}\"");
            if (Country is not null)
            {
                sb.Append(CultureInfo.InvariantCulture, $",\"country\":\"{Country}\"");
            }

            if (N is not null)
            {
                sb.Append(CultureInfo.InvariantCulture, $",\"n\":{N}");
            }

            sb.Append(CultureInfo.InvariantCulture, $",\"clicks\":{Clicks},\"revenue\":{Revenue.ToString("R", CultureInfo.InvariantCulture)},\"user\":\"{User}\"}}");
            return Encoding.UTF8.GetBytes(sb.ToString());
        }
    }

    private sealed record Key(long Time, string Pin, string? Country, string Device, long? N);

    private sealed class Accumulator
    {
        private readonly List<Event> _events = [];

        public void Add(Event e) => _events.Add(e);

        public Row ToRow(Key key, int precision)
        {
            var users = new HyperLogLogSketch(new Bitmaps.Sketches.HyperLogLog(precision));
            foreach (var e in _events)
            {
                users.Add(Encoding.UTF8.GetBytes(e.User));
            }

            // sums in event order, as ingestion folds them
            var revenue = 0.0;
            foreach (var e in _events)
            {
                revenue += e.Revenue;
            }

            var columns = new Dictionary<string, object?>(StringComparer.Ordinal)
            {
                ["pin_id"] = key.Pin,
                ["device"] = key.Device,
                ["count"] = (long)_events.Count,
                ["clicks"] = _events.Sum(e => e.Clicks),
                ["clicks_min"] = _events.Min(e => e.Clicks),
                ["clicks_max"] = _events.Max(e => e.Clicks),
                ["revenue"] = revenue,
                ["revenue_min"] = _events.Min(e => e.Revenue),
                ["revenue_max"] = _events.Max(e => e.Revenue),
                ["users"] = users,
            };
            if (key.Country is not null)
            {
                columns["country"] = key.Country;
            }

            if (key.N is not null)
            {
                columns["n"] = key.N.Value;
            }

            return new Row(key.Time, columns);
        }
    }

    /// <summary>Sealed dictionaries' order: null first, then UTF-8 bytes (= code points).</summary>
    private sealed class Utf8Order : IComparer<string?>
    {
        public static readonly Utf8Order Instance = new();

        public int Compare(string? x, string? y) => x is null || y is null ? (x is null ? (y is null ? 0 : -1) : 1) : StringComparers.CompareLexicographic(x, y);
    }
}
