using Tributary.Query;

namespace Tributary.Sql.Protocol;

/// <summary>Maps the SQL front end's exceptions to Druid's SQL error bodies (all 400, as Druid answers them).</summary>
public static class SqlErrors
{
    /// <summary>Druid's error for <paramref name="exception"/>; anything not from the SQL layer maps as a native query error.</summary>
    public static DruidError ToDruidError(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return exception switch
        {
            SqlParseException p => new DruidError(400, "SQL parse failed", p.Message, "org.apache.calcite.sql.parser.SqlParseException"),
            SqlValidationException v => new DruidError(400, "Plan validation failed", v.Message, "org.apache.calcite.tools.ValidationException"),
            SqlPlanningException u => new DruidError(400, "SQL query is unsupported", u.Message, "org.apache.druid.sql.calcite.planner.UnsupportedSQLQueryException"),
            SqlRequestException r => new DruidError(400, "Json parse failed", r.Message, "com.fasterxml.jackson.databind.exc.ValueInstantiationException"),
            _ => DruidError.FromException(exception),
        };
    }
}
