using System.Buffers;
using System.Text;
using System.Text.Json;
using Tributary.Grains.Segments;
using Tributary.Query;
using Tributary.Segments;
using Tributary.Segments.Query;
using Tributary.Segments.Schema;
using Tributary.Sql;
using Tributary.Sql.Protocol;

namespace Tributary.Silo.Sql;

/// <summary>The answer of one SQL request: status, content type, body and the query id.</summary>
public sealed record DruidSqlResponse(int StatusCode, string ContentType, byte[] Body, string QueryId);

/// <summary>
/// Runs Druid SQL requests. The catalog (datasources and system tables) is built once, from the datasource registry,
/// which is fixed for the silo's life. A statement on a datasource is planned with <see cref="SqlPlanner"/>, its
/// native query run through <see cref="IQueryBrokerGrain"/> (pruning applies unchanged), and its rows shaped by the
/// plan; a statement on a system table (INFORMATION_SCHEMA, <c>sys.segments</c>) or without FROM is answered by
/// <see cref="SqlRowEvaluator"/> over rows built from the catalog and the datasources' timelines. Rows are written
/// with <see cref="SqlResultWriter"/>. A native error from the broker is passed through with its status; SQL errors
/// are Druid's 400 error bodies. One instance serves every request (it is thread-safe).
/// </summary>
public sealed class DruidSqlExecutor
{
    private readonly IGrainFactory _grains;
    private readonly SqlSystemCatalog _catalog;
    private readonly TimeProvider _clock;
    private readonly Dictionary<string, (PartitionSpec Partitioning, string Dimensions, string Metrics)> _segmentJson = new(StringComparer.Ordinal);

    /// <summary>Creates the executor over <paramref name="registry"/>'s datasources.</summary>
    public DruidSqlExecutor(IGrainFactory grains, DatasourceRegistry registry, TimeProvider? clock = null)
    {
        ArgumentNullException.ThrowIfNull(grains);
        ArgumentNullException.ThrowIfNull(registry);
        _grains = grains;
        _clock = clock ?? TimeProvider.System;
        var specs = registry.Names.Select(n => registry.Find(n)!).ToList();
        _catalog = new SqlSystemCatalog(specs.Select(spec =>
            SqlTable.FromRowSchema(spec.Name, SegmentQueryEngine.Schema(spec), spec.Metrics.Select(m => m.Name))));
        foreach (var spec in specs)
        {
            _segmentJson[spec.Name] = (spec.Partitioning, JsonSerializer.Serialize(spec.Dimensions.Select(d => d.Name)), JsonSerializer.Serialize(spec.Metrics.Select(m => m.Name)));
        }
    }

    /// <summary>The catalog SQL is validated against.</summary>
    public ISqlCatalog Catalog => _catalog;

    /// <summary>Parses a request body (JSON) and runs it.</summary>
    public Task<DruidSqlResponse> ExecuteAsync(ReadOnlyMemory<byte> json)
    {
        SqlQueryRequest request;
        try
        {
            request = SqlQueryRequest.Parse(json);
        }
        catch (Exception ex) when (ex is SqlException or JsonException or FormatException)
        {
            return Task.FromResult(Error(ex, Guid.NewGuid().ToString()));
        }

        return ExecuteAsync(request);
    }

    /// <summary>Runs <paramref name="request"/>.</summary>
    public async Task<DruidSqlResponse> ExecuteAsync(SqlQueryRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var queryId = request.SqlQueryId ?? Guid.NewGuid().ToString();
        SqlValidatedQuery validated;
        SqlPlan plan;
        try
        {
            var parameters = request.Parameters.Select((p, i) => SqlParameterValue.FromJson(ParameterJson(p), $"parameters[{i}]")).ToList();
            validated = SqlValidator.Validate(SqlParameterBinder.Bind(SqlParser.Parse(request.Query), parameters), _catalog);
            if (!validated.Explain && validated.Table is not { Kind: SqlTableKind.Datasource })
            {
                return await SystemAsync(request, validated, queryId);
            }

            plan = SqlPlanner.Plan(validated, new SqlPlannerOptions { Clock = _clock, OuterLimit = request.SqlOuterLimit, TimeZone = request.SqlTimeZone });
        }
        catch (Exception ex) when (ex is SqlException or QueryValidationException)
        {
            return Error(ex, queryId);
        }

        IReadOnlyList<SqlResultColumn> columns;
        IEnumerable<IReadOnlyList<object?>> rows;
        if (plan.Explain)
        {
            columns = [SqlResultColumn.Of("PLAN", "VARCHAR"), SqlResultColumn.Of("RESOURCES", "VARCHAR")];
            rows = [new object?[] { plan.ExplainPlanJson(), plan.ExplainResourcesJson() }];
        }
        else
        {
            columns = [.. plan.Columns.Select(c => new SqlResultColumn(c.Name, c.Type.Name(), c.Type.NativeName()))];
            IReadOnlyList<object?[]> shaped;
            if (plan.NativeQuery is null)
            {
                shaped = plan.ConstantRows;
            }
            else
            {
                var native = Encoding.UTF8.GetBytes(NativeQueryJsonWriter.ToJson(plan.NativeQuery));
                var response = await _grains.GetGrain<IQueryBrokerGrain>(0).QueryAsync(native);
                if (response.StatusCode != 200)
                {
                    return new DruidSqlResponse(response.StatusCode, "application/json", response.Body, queryId);
                }

                using var doc = JsonDocument.Parse(response.Body);
                shaped = plan.ShapeRows(ToResult(plan.NativeQuery, NativeResultRows.Read(doc.RootElement)));
            }

            rows = shaped.Select(r => (IReadOnlyList<object?>)Typed(r, plan.Columns));
        }

        return Write(request, columns, rows, queryId);
    }

    /// <summary>A statement on a system table, or without FROM: evaluated over the table's rows.</summary>
    private async Task<DruidSqlResponse> SystemAsync(SqlQueryRequest request, SqlValidatedQuery validated, string queryId)
    {
        IReadOnlyList<object?[]> source = [];
        if (validated.Table is { } table)
        {
            source = _catalog.InformationSchemaRows(table) ?? (ReferenceEquals(table, SqlSystemTables.Segments)
                ? SqlSystemTables.SegmentsRows(await SegmentsAsync())
                : throw new SqlPlanningException($"{table.Schema}.{table.Name} has no rows in this silo", validated.Statement.Query.From?.Position));
        }

        var result = SqlRowEvaluator.Evaluate(validated, source, new SqlRowEvaluatorOptions { Clock = _clock, OuterLimit = request.SqlOuterLimit });
        var columns = result.Columns.Select(c => new SqlResultColumn(c.Name, c.Type.Name(), c.Type.NativeName())).ToList();
        return Write(request, columns, result.Rows.Select(r => (IReadOnlyList<object?>)Typed(r, result.Columns)), queryId);
    }

    /// <summary>Every datasource's timeline, as <c>sys.segments</c> rows (ordered by datasource, start, partition).</summary>
    private async Task<List<SqlSystemSegment>> SegmentsAsync()
    {
        var timelines = await Task.WhenAll(_catalog.Datasources.Select(t => _grains.GetGrain<IDatasourceCatalogGrain>(t.Name).GetTimelineAsync().AsTask()));
        var segments = new List<SqlSystemSegment>();
        foreach (var timeline in timelines)
        {
            var (partitioning, dimensions, metrics) = _segmentJson[timeline.Datasource];
            segments.AddRange(timeline.Segments.Select(e => new SqlSystemSegment(
                timeline.Datasource, e.StartMs, e.EndMs, e.Partition, e.State == SegmentState.Sealed, e.SizeBytes, e.RowCount)
            {
                ShardSpec = ShardSpecJson(partitioning, e.Partition),
                Dimensions = dimensions,
                Metrics = metrics,
            }));
        }

        return segments;
    }

    /// <summary>
    /// The shard spec of a segment of Kafka partition <paramref name="partition"/>: it holds the rows whose partition
    /// key hashes (murmur2, as the Kafka producer) to that partition.
    /// </summary>
    private static string ShardSpecJson(PartitionSpec partitioning, int partition)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("type", "hashed");
            w.WriteNumber("partitionNum", partition);
            w.WriteNumber("partitions", partitioning.Partitions);
            w.WriteStartArray("partitionDimensions");
            w.WriteStringValue(partitioning.Key);
            w.WriteEndArray();
            w.WriteString("partitionFunction", "murmur2");
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static DruidSqlResponse Write(SqlQueryRequest request, IReadOnlyList<SqlResultColumn> columns, IEnumerable<IReadOnlyList<object?>> rows, string queryId)
    {
        var buffer = new ArrayBufferWriter<byte>();
        SqlResultWriter.Write(buffer, request, columns, rows);
        return new DruidSqlResponse(200, SqlResultWriter.ContentType(request.ResultFormat), buffer.WrittenSpan.ToArray(), queryId);
    }

    private static DruidSqlResponse Error(Exception ex, string queryId)
    {
        var error = SqlErrors.ToDruidError(ex);
        return new DruidSqlResponse(error.StatusCode, "application/json", Encoding.UTF8.GetBytes(error.ToJson()), queryId);
    }

    private static JsonElement ParameterJson(Tributary.Sql.Protocol.SqlParameter p)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("type", p.Type);
            w.WritePropertyName("value");
            p.Value.WriteTo(w);
            w.WriteEndObject();
        }

        using var doc = JsonDocument.Parse(buffer.WrittenMemory);
        return doc.RootElement.Clone();
    }

    /// <summary>The flattened native rows as the typed result <see cref="SqlPlan.ShapeRows"/> reads.</summary>
    private static QueryResult ToResult(NativeQuery query, IReadOnlyList<NativeRow> rows)
    {
        if (query is ScanQuery)
        {
            var names = rows.SelectMany(r => r.Fields.Keys).Distinct(StringComparer.Ordinal).ToList();
            var events = rows.Select(r => names.Select(n => Value(r.Field(n))).ToArray()).ToList();
            return new ScanResult(ScanResultFormat.CompactedList, [new ScanBatch("sql", names, events)]);
        }

        return new TimeseriesResult([.. rows.Select(r =>
        {
            var fields = new OrderedDictionary<string, object?>(StringComparer.Ordinal);
            foreach (var (k, v) in r.Fields)
            {
                fields[k] = Value(v);
            }

            return new TimeseriesRow(r.Timestamp?.ToUnixTimeMilliseconds(), fields);
        })]);
    }

    private static object? Value(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.String => e.GetString(),
        JsonValueKind.Number => e.TryGetInt64(out var l) ? l : e.GetDouble(),
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        JsonValueKind.Null or JsonValueKind.Undefined => null,
        _ => e.GetRawText(),
    };

    private static object?[] Typed(object?[] row, IReadOnlyList<SqlOutputColumn> columns)
    {
        var result = new object?[row.Length];
        for (var i = 0; i < row.Length; i++)
        {
            var type = i < columns.Count ? columns[i].Type : SqlType.Varchar;
            result[i] = (type, row[i]) switch
            {
                (SqlType.Timestamp or SqlType.Date, long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms),
                (SqlType.Double, long l) => (double)l,
                (SqlType.Bigint, double d) when d == Math.Floor(d) && Math.Abs(d) < 9e18 => (long)d,
                (_, var v) => v,
            };
        }

        return result;
    }
}
