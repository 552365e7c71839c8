using System.Text;
using FsCheck;
using FsCheck.Fluent;
using Tributary.Segments.Columns;

namespace Tributary.Segments.Tests;

public sealed class Utf8DictionaryTests
{
    [Fact]
    public void GetOrAdd_AnyStrings_DenseIdsInFirstSeenOrder()
    {
        Prop.ForAll(ArbMap.Default.ArbFor<string[]>(), input =>
        {
            var dictionary = new Utf8Dictionary();
            var expected = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var value in input.Where(v => v is not null))
            {
                var id = dictionary.GetOrAdd(Encoding.UTF8.GetBytes(value));
                if (!expected.TryGetValue(value, out var known))
                {
                    known = expected[value] = expected.Count;
                }

                Assert.Equal(known, id);
            }

            Assert.Equal(expected.Count, dictionary.Count);
            foreach (var (value, id) in expected)
            {
                Assert.Equal(id, dictionary.Find(value));
                Assert.Equal(value, dictionary.GetString(id));
            }

            Assert.Equal(-1, dictionary.Find("\u0000not-there\u0000"));
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(200));
    }

    [Fact]
    public void GetOrAdd_HundredThousandValues_GrowsAndFindsAll()
    {
        var dictionary = new Utf8Dictionary();
        for (var i = 0; i < 100_000; i++)
        {
            Assert.Equal(i, dictionary.GetOrAdd(Encoding.ASCII.GetBytes("pin-" + i)));
        }

        for (var i = 0; i < 100_000; i += 7)
        {
            Assert.Equal(i, dictionary.Find("pin-" + i));
        }
    }
}
