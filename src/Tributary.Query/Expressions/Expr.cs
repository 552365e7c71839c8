using System.Globalization;
using System.Text;

namespace Tributary.Query;

/// <summary>A syntax error in an expression, with the 0-based character position where it was found.</summary>
public sealed class ExpressionException(int position, string message) : FormatException($"at position {position}: {message}")
{
    /// <summary>The 0-based character position of the problem.</summary>
    public int Position { get; } = position;
}

/// <summary>
/// A parsed expression of the subset of Druid's expression language that Tributary evaluates (the expression
/// post-aggregator, and expression virtual columns): long literals (<c>3</c>), double literals (<c>2.5</c>,
/// <c>1e3</c>), strings (<c>'text'</c>, <c>\'</c> and <c>\\</c> escapes), <c>null</c>, identifiers (<c>clicks</c>,
/// <c>"quoted name"</c>), unary <c>-</c> and <c>!</c>, <c>^</c> (right-associative), <c>* / %</c>, <c>+ -</c>
/// (<c>+</c> concatenates when an operand is a string), <c>&lt; &lt;= &gt; &gt;= == !=</c>, <c>&amp;&amp;</c>, <c>||</c>, and the
/// functions of <see cref="Functions"/>.
/// </summary>
/// <remarks>
/// Values are <see cref="long"/>, <see cref="double"/>, <see cref="string"/> or null. Two longs give a long (integer
/// division; a long divided by 0 gives null where Druid would fail the query), a double makes the result a double.
/// A null operand gives null (SQL-compatible). Comparisons and logic give 1 or 0 as longs (Druid's strict booleans);
/// a value is true when it is a number above 0 or the string "true" (any case), as Druid's <c>Evals.asBoolean</c>;
/// <c>&amp;&amp;</c>, <c>||</c> and <c>!</c> follow three-valued logic with null. Strings compare ordinally with strings;
/// otherwise both sides are compared as numbers (a string that is no number gives null).
/// </remarks>
public abstract class Expr
{
    /// <summary>The function names the evaluator knows.</summary>
    public static IReadOnlyList<string> Functions { get; } =
        ["abs", "sqrt", "floor", "ceil", "round", "exp", "log", "log10", "pow", "if", "nvl", "concat", "greatest", "least", "cast", "strlen", "lower", "upper", "substring",
            "trim", "ltrim", "rtrim", "isnull", "notnull", "timestamp_floor", "timestamp_format", "timestamp_parse"];

    /// <summary>Every identifier the expression reads, in order of first appearance.</summary>
    public IReadOnlyList<string> Identifiers
    {
        get
        {
            var names = new List<string>();
            Collect(names);
            return names;
        }
    }

    /// <summary>Parses <paramref name="text"/>; throws <see cref="ExpressionException"/> naming the position of a syntax error or an unknown function.</summary>
    public static Expr Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parser = new Parser(text);
        var expr = parser.ParseExpression(0);
        parser.ExpectEnd();
        return expr;
    }

    /// <summary>Evaluates the expression; <paramref name="valueOf"/> gives an identifier's value (null when unknown).</summary>
    public abstract object? Evaluate(Func<string, object?> valueOf);

    internal abstract void Collect(List<string> names);

    internal static bool? Truth(object? value) => value switch
    {
        null => null,
        long l => l > 0,
        double d => d > 0,
        string s => bool.TryParse(s, out var b) && b,
        _ => false,
    };

    internal static object? FromBool(bool? value) => value is { } b ? (b ? 1L : 0L) : null;

    internal static double? AsDouble(object? value) => value switch
    {
        long l => l,
        double d => d,
        string s when StringComparers.TryParseNumber(s, out var d) => d,
        _ => null,
    };

    internal static object? AsNumber(object? value) => value switch
    {
        long or double => value,
        string s when long.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l) => l,
        string s when StringComparers.TryParseNumber(s, out var d) => d,
        _ => null,
    };

    internal static string? AsString(object? value) => StringComparers.ToDimensionString(value);

    private sealed class Literal(object? value) : Expr
    {
        public override object? Evaluate(Func<string, object?> valueOf) => value;

        internal override void Collect(List<string> names)
        {
        }
    }

    private sealed class Identifier(string name) : Expr
    {
        public override object? Evaluate(Func<string, object?> valueOf) => Normalize(valueOf(name));

        internal override void Collect(List<string> names)
        {
            if (!names.Contains(name, StringComparer.Ordinal))
            {
                names.Add(name);
            }
        }

        private static object? Normalize(object? value) => value switch
        {
            null or long or double or string => value,
            int i => (long)i,
            float f => (double)f,
            bool b => b ? 1L : 0L,
            ICardinalitySketch s => s.Estimate(),
            _ => StringComparers.ToDimensionString(value),
        };
    }

    private sealed class Unary(char op, Expr operand) : Expr
    {
        public override object? Evaluate(Func<string, object?> valueOf)
        {
            var v = operand.Evaluate(valueOf);
            if (op == '!')
            {
                return FromBool(!Truth(v));
            }

            return AsNumber(v) switch
            {
                long l => unchecked(-l),
                double d => -d,
                _ => null,
            };
        }

        internal override void Collect(List<string> names) => operand.Collect(names);
    }

    private sealed class Binary(string op, Expr left, Expr right) : Expr
    {
        public override object? Evaluate(Func<string, object?> valueOf)
        {
            switch (op)
            {
                case "&&":
                {
                    var l = Truth(left.Evaluate(valueOf));
                    if (l == false)
                    {
                        return 0L;
                    }

                    var r = Truth(right.Evaluate(valueOf));
                    return r == false ? 0L : l is null || r is null ? null : 1L;
                }

                case "||":
                {
                    var l = Truth(left.Evaluate(valueOf));
                    if (l == true)
                    {
                        return 1L;
                    }

                    var r = Truth(right.Evaluate(valueOf));
                    return r == true ? 1L : l is null || r is null ? null : 0L;
                }
            }

            var a = left.Evaluate(valueOf);
            var b = right.Evaluate(valueOf);
            if (a is null || b is null)
            {
                return null;
            }

            switch (op)
            {
                case "<" or "<=" or ">" or ">=" or "==" or "!=":
                {
                    int c;
                    if (a is string sa && b is string sb)
                    {
                        c = string.CompareOrdinal(sa, sb);
                    }
                    else if (AsNumber(a) is long la && AsNumber(b) is long lb)
                    {
                        c = la.CompareTo(lb);
                    }
                    else if (AsDouble(a) is { } da && AsDouble(b) is { } db)
                    {
                        c = da.CompareTo(db);
                    }
                    else
                    {
                        return null;
                    }

                    return FromBool(op switch
                    {
                        "<" => c < 0,
                        "<=" => c <= 0,
                        ">" => c > 0,
                        ">=" => c >= 0,
                        "==" => c == 0,
                        _ => c != 0,
                    });
                }

                case "+" when a is string || b is string:
                    return AsString(a) + AsString(b);
            }

            var x = AsNumber(a);
            var y = AsNumber(b);
            if (x is long lx && y is long ly)
            {
                return op switch
                {
                    "+" => unchecked(lx + ly),
                    "-" => unchecked(lx - ly),
                    "*" => unchecked(lx * ly),
                    "/" => ly == 0 ? null : lx == long.MinValue && ly == -1 ? lx : lx / ly,
                    "%" => ly == 0 ? null : ly == -1 ? 0L : lx % ly,
                    _ => LongPow(lx, ly),
                };
            }

            if (AsDouble(x) is not { } dx || AsDouble(y) is not { } dy)
            {
                return null;
            }

            return op switch
            {
                "+" => dx + dy,
                "-" => dx - dy,
                "*" => dx * dy,
                "/" => dx / dy,
                "%" => dx % dy,
                _ => Math.Pow(dx, dy),
            };
        }

        internal override void Collect(List<string> names)
        {
            left.Collect(names);
            right.Collect(names);
        }

        private static object LongPow(long x, long y)
        {
            if (y < 0)
            {
                return Math.Pow(x, y);
            }

            var result = 1L;
            for (var i = 0L; i < y && i < 64; i++)
            {
                result = unchecked(result * x);
            }

            return result;
        }
    }

    private sealed class Call(string name, IReadOnlyList<Expr> args) : Expr
    {
        public override object? Evaluate(Func<string, object?> valueOf)
        {
            switch (name)
            {
                case "if":
                    return Truth(args[0].Evaluate(valueOf)) == true ? args[1].Evaluate(valueOf) : args[2].Evaluate(valueOf);
                case "nvl":
                    return args[0].Evaluate(valueOf) ?? args[1].Evaluate(valueOf);
            }

            var values = args.Select(a => a.Evaluate(valueOf)).ToArray();
            switch (name)
            {
                case "concat":
                    return values.Any(v => v is null) ? null : string.Concat(values.Select(AsString));
                case "greatest" or "least":
                    return Extremum(values, name == "greatest");
                case "cast":
                    return Cast(values[0], AsString(values[1]));
                case "strlen":
                    return AsString(values[0]) is { } str ? (long)str.Length : null;
                case "lower":
                    return AsString(values[0])?.ToLowerInvariant();
                case "upper":
                    return AsString(values[0])?.ToUpperInvariant();
                case "isnull":
                    return values[0] is null ? 1L : 0L;
                case "notnull":
                    return values[0] is null ? 0L : 1L;
                case "trim":
                    return AsString(values[0])?.Trim(' ');
                case "ltrim":
                    return AsString(values[0])?.TrimStart(' ');
                case "rtrim":
                    return AsString(values[0])?.TrimEnd(' ');
                case "timestamp_floor":
                    return TimeFunctions.Floor(values);
                case "timestamp_format":
                    return TimeFunctions.Format(values);
                case "timestamp_parse":
                    return TimeFunctions.Parse(values);
                case "substring":
                {
                    if (AsString(values[0]) is not { } text || AsNumber(values[1]) is not long index || AsNumber(values[2]) is not long length || index < 0 || index >= text.Length)
                    {
                        return null;
                    }

                    return length < 0 ? text[(int)index..] : text.Substring((int)index, (int)Math.Min(length, text.Length - index));
                }

                case "abs":
                    return AsNumber(values[0]) switch
                    {
                        long l => l == long.MinValue ? l : Math.Abs(l),
                        double d => Math.Abs(d),
                        _ => null,
                    };
                case "round":
                {
                    var scale = values.Length > 1 ? AsNumber(values[1]) as long? ?? 0 : 0;
                    return AsNumber(values[0]) switch
                    {
                        long l => l,
                        double d when double.IsFinite(d) => (double)Math.Round((decimal)Math.Clamp(d, -7.9e27, 7.9e27), (int)Math.Clamp(scale, 0, 28), MidpointRounding.AwayFromZero),
                        double d => d,
                        _ => null,
                    };
                }

                case "pow":
                    return AsDouble(values[0]) is { } b && AsDouble(values[1]) is { } e ? Math.Pow(b, e) : null;
            }

            if (AsDouble(values[0]) is not { } x)
            {
                return null;
            }

            return name switch
            {
                "sqrt" => Math.Sqrt(x),
                "floor" => Math.Floor(x),
                "ceil" => Math.Ceiling(x),
                "exp" => Math.Exp(x),
                "log" => Math.Log(x),
                _ => Math.Log10(x),
            };
        }

        internal override void Collect(List<string> names)
        {
            foreach (var arg in args)
            {
                arg.Collect(names);
            }
        }

        private static object? Extremum(object?[] values, bool greatest)
        {
            var present = values.Where(v => v is not null).ToList();
            if (present.Count == 0)
            {
                return null;
            }

            if (present.Any(v => v is string && AsNumber(v) is null))
            {
                var strings = present.Select(v => AsString(v)!).ToList();
                return greatest ? strings.Max(StringComparer.Ordinal) : strings.Min(StringComparer.Ordinal);
            }

            var numbers = present.Select(AsNumber).ToList();
            if (numbers.All(n => n is long))
            {
                var longs = numbers.Cast<long>().ToList();
                return greatest ? longs.Max() : longs.Min();
            }

            var doubles = numbers.Select(n => AsDouble(n) ?? double.NaN).ToList();
            return greatest ? doubles.Max() : doubles.Min();
        }

        private static object? Cast(object? value, string? type) => type?.ToUpperInvariant() switch
        {
            "LONG" => AsNumber(value) switch
            {
                long l => l,
                double d when !double.IsNaN(d) => (long)d,
                _ => null,
            },
            "DOUBLE" => AsDouble(value),
            _ => AsString(value),
        };
    }

    /// <summary>A recursive-descent (precedence-climbing) parser over the text.</summary>
    private sealed class Parser(string text)
    {
        private static readonly Dictionary<string, (int Min, int Max)> Arity = new(StringComparer.Ordinal)
        {
            ["abs"] = (1, 1), ["sqrt"] = (1, 1), ["floor"] = (1, 1), ["ceil"] = (1, 1), ["round"] = (1, 2), ["exp"] = (1, 1),
            ["log"] = (1, 1), ["log10"] = (1, 1), ["pow"] = (2, 2), ["if"] = (3, 3), ["nvl"] = (2, 2), ["concat"] = (0, int.MaxValue),
            ["greatest"] = (1, int.MaxValue), ["least"] = (1, int.MaxValue), ["cast"] = (2, 2), ["strlen"] = (1, 1), ["lower"] = (1, 1),
            ["upper"] = (1, 1), ["substring"] = (3, 3), ["trim"] = (1, 1), ["ltrim"] = (1, 1), ["rtrim"] = (1, 1), ["isnull"] = (1, 1), ["notnull"] = (1, 1),
            ["timestamp_floor"] = (2, 4), ["timestamp_format"] = (1, 3), ["timestamp_parse"] = (1, 3),
        };

        private int _pos;

        public Expr ParseExpression(int minPrecedence)
        {
            var left = ParseUnary();
            while (true)
            {
                SkipSpace();
                var start = _pos;
                var op = PeekOperator();
                if (op is null || Precedence(op) < minPrecedence)
                {
                    _pos = start;
                    return left;
                }

                _pos += op.Length;
                // ^ is right-associative: its right side may hold another ^
                var right = ParseExpression(op == "^" ? Precedence(op) : Precedence(op) + 1);
                left = new Binary(op, left, right);
            }
        }

        public void ExpectEnd()
        {
            SkipSpace();
            if (_pos < text.Length)
            {
                throw new ExpressionException(_pos, $"unexpected '{text[_pos]}'");
            }
        }

        private static int Precedence(string op) => op switch
        {
            "||" => 1,
            "&&" => 2,
            "<" or "<=" or ">" or ">=" or "==" or "!=" => 3,
            "+" or "-" => 4,
            "*" or "/" or "%" => 5,
            _ => 6,
        };

        private string? PeekOperator()
        {
            if (_pos >= text.Length)
            {
                return null;
            }

            var two = _pos + 1 < text.Length ? text.Substring(_pos, 2) : string.Empty;
            if (two is "||" or "&&" or "<=" or ">=" or "==" or "!=")
            {
                return two;
            }

            return text[_pos] is '<' or '>' or '+' or '-' or '*' or '/' or '%' or '^' ? text[_pos].ToString() : null;
        }

        private Expr ParseUnary()
        {
            SkipSpace();
            if (_pos < text.Length && text[_pos] is '-' or '!')
            {
                var op = text[_pos++];
                return new Unary(op, ParseUnary());
            }

            return ParsePrimary();
        }

        private Expr ParsePrimary()
        {
            SkipSpace();
            if (_pos >= text.Length)
            {
                throw new ExpressionException(_pos, "unexpected end of the expression");
            }

            var c = text[_pos];
            if (c == '(')
            {
                _pos++;
                var inner = ParseExpression(0);
                Expect(')');
                return inner;
            }

            if (char.IsAsciiDigit(c) || (c == '.' && _pos + 1 < text.Length && char.IsAsciiDigit(text[_pos + 1])))
            {
                return Number();
            }

            if (c == '\'')
            {
                return new Literal(Quoted('\''));
            }

            if (c == '"')
            {
                return new Identifier(Quoted('"'));
            }

            if (char.IsAsciiLetter(c) || c is '_' or '$')
            {
                var start = _pos;
                while (_pos < text.Length && (char.IsAsciiLetterOrDigit(text[_pos]) || text[_pos] is '_' or '$'))
                {
                    _pos++;
                }

                var name = text[start.._pos];
                SkipSpace();
                if (_pos < text.Length && text[_pos] == '(')
                {
                    return Function(name, start);
                }

                return name == "null" ? new Literal(null) : new Identifier(name);
            }

            throw new ExpressionException(_pos, $"unexpected '{c}'");
        }

        private Expr Function(string name, int start)
        {
            var lower = name.ToLowerInvariant();
            if (!Arity.TryGetValue(lower, out var arity))
            {
                throw new ExpressionException(start, $"unknown function '{name}'; known: {string.Join(", ", Functions)}");
            }

            _pos++; // (
            var args = new List<Expr>();
            SkipSpace();
            if (_pos < text.Length && text[_pos] == ')')
            {
                _pos++;
            }
            else
            {
                while (true)
                {
                    args.Add(ParseExpression(0));
                    SkipSpace();
                    if (_pos < text.Length && text[_pos] == ',')
                    {
                        _pos++;
                        continue;
                    }

                    Expect(')');
                    break;
                }
            }

            if (args.Count < arity.Min || args.Count > arity.Max)
            {
                var expected = arity.Min == arity.Max ? $"{arity.Min}" : arity.Max == int.MaxValue ? $"at least {arity.Min}" : $"{arity.Min} to {arity.Max}";
                throw new ExpressionException(start, $"function '{name}' takes {expected} argument(s), got {args.Count}");
            }

            return new Call(lower, args);
        }

        private Literal Number()
        {
            var start = _pos;
            while (_pos < text.Length && char.IsAsciiDigit(text[_pos]))
            {
                _pos++;
            }

            var isDouble = false;
            if (_pos < text.Length && text[_pos] == '.')
            {
                isDouble = true;
                _pos++;
                while (_pos < text.Length && char.IsAsciiDigit(text[_pos]))
                {
                    _pos++;
                }
            }

            if (_pos < text.Length && text[_pos] is 'e' or 'E')
            {
                isDouble = true;
                _pos++;
                if (_pos < text.Length && text[_pos] is '+' or '-')
                {
                    _pos++;
                }

                if (_pos >= text.Length || !char.IsAsciiDigit(text[_pos]))
                {
                    throw new ExpressionException(_pos, "an exponent needs digits");
                }

                while (_pos < text.Length && char.IsAsciiDigit(text[_pos]))
                {
                    _pos++;
                }
            }

            var token = text[start.._pos];
            if (!isDouble && long.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out var l))
            {
                return new Literal(l);
            }

            return new Literal(double.Parse(token, NumberStyles.Float, CultureInfo.InvariantCulture));
        }

        private string Quoted(char quote)
        {
            var start = _pos++;
            var sb = new StringBuilder();
            while (true)
            {
                if (_pos >= text.Length)
                {
                    throw new ExpressionException(start, $"unterminated {(quote == '\'' ? "string" : "quoted identifier")}");
                }

                var c = text[_pos++];
                if (c == quote)
                {
                    return sb.ToString();
                }

                if (c == '\\' && _pos < text.Length)
                {
                    var next = text[_pos++];
                    if (next == 'u' && _pos + 4 <= text.Length && int.TryParse(text.AsSpan(_pos, 4), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var code))
                    {
                        sb.Append((char)code);
                        _pos += 4;
                    }
                    else
                    {
                        sb.Append(next switch { 'n' => '\n', 't' => '\t', 'r' => '\r', _ => next });
                    }

                    continue;
                }

                sb.Append(c);
            }
        }

        private void Expect(char c)
        {
            SkipSpace();
            if (_pos >= text.Length || text[_pos] != c)
            {
                throw new ExpressionException(_pos, _pos >= text.Length ? $"expected '{c}' before the end" : $"expected '{c}', found '{text[_pos]}'");
            }

            _pos++;
        }

        private void SkipSpace()
        {
            while (_pos < text.Length && char.IsWhiteSpace(text[_pos]))
            {
                _pos++;
            }
        }
    }
}
