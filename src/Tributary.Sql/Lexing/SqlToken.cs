namespace Tributary.Sql;

/// <summary>The kinds of <see cref="SqlToken"/>.</summary>
public enum SqlTokenKind
{
    /// <summary>An unquoted identifier that is not a reserved word (<see cref="SqlToken.Text"/> as written).</summary>
    Identifier,

    /// <summary>A <c>"quoted identifier"</c> (<see cref="SqlToken.Text"/> unquoted, <c>""</c> undoubled).</summary>
    QuotedIdentifier,

    /// <summary>A reserved word (<see cref="SqlToken.Text"/> upper-cased).</summary>
    Keyword,

    /// <summary>A <c>'string'</c> (<see cref="SqlToken.Text"/> unquoted, <c>''</c> undoubled).</summary>
    String,

    /// <summary>A number: digits with an optional fraction and exponent.</summary>
    Number,

    /// <summary>A dynamic parameter <c>?</c>.</summary>
    Parameter,

    /// <summary>An operator or punctuation: <c>( ) , . * + - / % = &lt;&gt; != &lt; &lt;= &gt; &gt;= || ;</c>.</summary>
    Operator,

    /// <summary>The end of the text.</summary>
    End,
}

/// <summary>One token with where it starts.</summary>
public readonly record struct SqlToken(SqlTokenKind Kind, string Text, SqlPosition Position)
{
    /// <summary>True if this is the keyword <paramref name="keyword"/> (upper case).</summary>
    public bool IsKeyword(string keyword) => Kind == SqlTokenKind.Keyword && Text == keyword;

    /// <summary>True if this is the operator <paramref name="op"/>.</summary>
    public bool IsOperator(string op) => Kind == SqlTokenKind.Operator && Text == op;

    /// <summary>How the token reads in an error message.</summary>
    public string Describe() => Kind switch
    {
        SqlTokenKind.End => "<EOF>",
        SqlTokenKind.String => $"'{Text}'",
        SqlTokenKind.QuotedIdentifier => $"\"{Text}\"",
        _ => Text,
    };
}
