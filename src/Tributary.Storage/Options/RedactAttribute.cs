namespace Tributary.Storage;

/// <summary>
/// Marks an options property that holds a secret: <see cref="OptionsDescriber"/> prints <c>***</c> for it,
/// so options can be logged at start-up without leaking credentials.
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class RedactAttribute : Attribute;

/// <summary>Renders options objects for logs, honouring <see cref="RedactAttribute"/>.</summary>
public static class OptionsDescriber
{
    /// <summary>Public readable properties as <c>Name=value</c> pairs; secrets as <c>***</c>, unset secrets as empty.</summary>
    public static string Describe(object options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var parts = new List<string>();
        foreach (var property in options.GetType().GetProperties())
        {
            if (!property.CanRead || property.GetIndexParameters().Length > 0)
            {
                continue;
            }

            var value = property.GetValue(options);
            var redact = property.IsDefined(typeof(RedactAttribute), inherit: true);
            var text = value is null ? string.Empty : redact ? "***" : Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture);
            parts.Add($"{property.Name}={text}");
        }

        return string.Join(", ", parts);
    }
}
