namespace Tributary.Query.Tests;

public sealed class KeyConstraintTests
{
    private static Filter F(string json) => QueryParser.ParseFilter(System.Text.Json.JsonDocument.Parse(json).RootElement, "filter");

    private static string? Describe(KeyConstraint c) => c.Values is null ? null : string.Join(",", c.Values.Order(StringComparer.Ordinal));

    [Theory]
    [InlineData("""{"type":"selector","dimension":"pin_id","value":"a"}""", "a")]
    [InlineData("""{"type":"selector","dimension":"pin_id","value":null}""", null)]
    [InlineData("""{"type":"selector","dimension":"country","value":"US"}""", null)]
    [InlineData("""{"type":"in","dimension":"pin_id","values":["b","a","b"]}""", "a,b")]
    [InlineData("""{"type":"in","dimension":"pin_id","values":["a",null]}""", null)]
    [InlineData("""{"type":"bound","dimension":"pin_id","lower":"a","upper":"a"}""", "a")]
    [InlineData("""{"type":"bound","dimension":"pin_id","lower":"a","upper":"b"}""", null)]
    [InlineData("""{"type":"and","fields":[{"type":"in","dimension":"pin_id","values":["a","b"]},{"type":"selector","dimension":"country","value":"US"},{"type":"in","dimension":"pin_id","values":["b","c"]}]}""", "b")]
    [InlineData("""{"type":"and","fields":[{"type":"selector","dimension":"pin_id","value":"a"},{"type":"selector","dimension":"pin_id","value":"b"}]}""", "")]
    [InlineData("""{"type":"or","fields":[{"type":"selector","dimension":"pin_id","value":"a"},{"type":"selector","dimension":"pin_id","value":"b"}]}""", "a,b")]
    [InlineData("""{"type":"or","fields":[{"type":"selector","dimension":"pin_id","value":"a"},{"type":"selector","dimension":"country","value":"US"}]}""", null)]
    [InlineData("""{"type":"not","field":{"type":"selector","dimension":"pin_id","value":"a"}}""", null)]
    [InlineData("""{"type":"not","field":{"type":"not","field":{"type":"selector","dimension":"pin_id","value":"a"}}}""", "a")]
    [InlineData("""{"type":"not","field":{"type":"or","fields":[{"type":"not","field":{"type":"selector","dimension":"pin_id","value":"a"}},{"type":"selector","dimension":"country","value":"US"}]}}""", "a")]
    [InlineData("""{"type":"not","field":{"type":"and","fields":[{"type":"not","field":{"type":"selector","dimension":"pin_id","value":"a"}},{"type":"not","field":{"type":"selector","dimension":"pin_id","value":"b"}}]}}""", "a,b")]
    [InlineData("""{"type":"not","field":{"type":"and","fields":[{"type":"not","field":{"type":"selector","dimension":"pin_id","value":"a"}},{"type":"selector","dimension":"country","value":"US"}]}}""", null)]
    [InlineData("""{"type":"false"}""", "")]
    [InlineData("""{"type":"not","field":{"type":"true"}}""", "")]
    [InlineData("""{"type":"true"}""", null)]
    [InlineData("""{"type":"not","field":{"type":"false"}}""", null)]
    [InlineData("""{"type":"or","fields":[{"type":"false"},{"type":"selector","dimension":"pin_id","value":"a"}]}""", "a")]
    [InlineData("""{"type":"and","fields":[{"type":"true"},{"type":"selector","dimension":"pin_id","value":"a"}]}""", "a")]
    [InlineData("""{"type":"range","column":"pin_id","matchValueType":"STRING","lower":"a","upper":"a"}""", null)]
    [InlineData("""{"type":"search","dimension":"pin_id","query":{"type":"contains","value":"a"}}""", null)]
    public void Derive_Filter_GivesSoundKeySet(string filter, string? expected)
    {
        Assert.Equal(expected, Describe(KeyConstraint.Derive(F(filter), "pin_id")));
    }
}
