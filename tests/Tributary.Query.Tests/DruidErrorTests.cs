namespace Tributary.Query.Tests;

public sealed class DruidErrorTests
{
    [Fact]
    public void FromException_ValidationError_IsBadRequestNamingTheField()
    {
        var ex = Assert.Throws<QueryValidationException>(() => QueryParser.Parse("""{"queryType":"timeseries","dataSource":"d","intervals":["2026-11-23/P1D"],"aggregations":[{"type":"count","name":"n"},{"type":"longSum","name":"s"}]}"""));
        var error = DruidError.FromException(ex);
        Assert.Equal(400, error.StatusCode);
        Assert.Equal("""{"error":"Json parse failed","errorMessage":"aggregations[1].fieldName: is required","errorClass":"com.fasterxml.jackson.databind.exc.ValueInstantiationException","host":null}""", error.ToJson());
    }

    [Fact]
    public void FromException_KindsOfFailure_MapToDruidCodes()
    {
        Assert.Equal("Unsupported operation", DruidError.FromException(new QueryUnsupportedException("aggregations[0].type", "no")).Error);
        Assert.Equal("Resource limit exceeded", DruidError.FromException(new QueryLimitExceededException("maxBuckets", "too many")).Error);
        var timeout = DruidError.FromException(new QueryTimeoutException(TimeSpan.FromSeconds(1)));
        Assert.Equal((504, "Query timeout"), (timeout.StatusCode, timeout.Error));
        Assert.Equal(500, DruidError.FromException(new InvalidOperationException("x")).StatusCode);
    }
}
