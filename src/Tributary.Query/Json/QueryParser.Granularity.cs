using System.Text.Json;

namespace Tributary.Query;

// Query granularity: names, {"type":"period"} with its time zone and origin, {"type":"duration"}.
public static partial class QueryParser
{
    private static Granularity ParseGranularity(JsonElement root)
    {
        const string path = "granularity";
        return Get(root, path) is { } g ? ParseGranularity(g, path) : Granularity.All;
    }

    private static Granularity ParseGranularity(JsonElement g, string path)
    {
        if (g.ValueKind == JsonValueKind.String)
        {
            var name = g.GetString()!;
            return Granularity.FromName(name)
                ?? throw new QueryValidationException(path, $"unknown granularity '{name}'; expected all, none, second, minute, five_minute, ten_minute, fifteen_minute, thirty_minute, hour, six_hour, eight_hour, day, week, month, quarter, year or a period object");
        }

        RequireKind(g, JsonValueKind.Object, path, "a granularity name or object");
        var type = RequireString(g, "type", path);
        switch (type)
        {
            case "period":
            {
                var period = Period.Parse(RequireString(g, "period", path), Child(path, "period"));
                if (period.HasCalendarFields && period.FixedMillis != 0)
                {
                    throw new QueryUnsupportedException(Child(path, "period"), $"'{period}' mixes years/months with smaller units, which is not supported");
                }

                var zone = OptionalString(g, "timeZone", path) is { } z ? ParseTimeZone(z, Child(path, "timeZone")) : null;
                var origin = OptionalString(g, "origin", path) is { } o ? IsoTime.Parse(o, Child(path, "origin")) : (long?)null;
                return new PeriodGranularity(period, zone, origin);
            }

            case "duration":
            {
                var duration = OptionalLong(g, "duration", path, 1) ?? throw new QueryValidationException(Child(path, "duration"), "is required (milliseconds)");
                var origin = OptionalString(g, "origin", path) is { } o ? IsoTime.Parse(o, Child(path, "origin")) : 0;
                return new DurationGranularity(duration, origin);
            }

            default:
                return Granularity.FromName(type) ?? throw new QueryValidationException(Child(path, "type"), $"unknown granularity type '{type}'; expected period, duration or a granularity name");
        }
    }

    private static TimeZoneInfo ParseTimeZone(string id, string path)
    {
        if (id is "UTC" or "Z" or "Etc/UTC")
        {
            return TimeZoneInfo.Utc;
        }

        if (id.Length >= 3 && id[0] is '+' or '-' && IsoTime.TryParse("1970-01-01T00:00" + id, out var ms))
        {
            return TimeZoneInfo.CreateCustomTimeZone(id, TimeSpan.FromMilliseconds(-ms), id, id);
        }

        try
        {
            return TimeZoneInfo.FindSystemTimeZoneById(id);
        }
        catch (Exception ex) when (ex is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            throw new QueryValidationException(path, $"unknown time zone '{id}' (use an IANA id like America/Los_Angeles or an offset like +05:30)", ex);
        }
    }
}
