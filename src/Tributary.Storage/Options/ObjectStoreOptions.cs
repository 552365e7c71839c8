using Microsoft.Extensions.Options;

namespace Tributary.Storage;

/// <summary>
/// Where one part of Tributary (the archive, the segments, Tracker) keeps its objects: a section such as
/// <c>Tributary:Archive:Store</c> with <c>Kind</c> <c>local</c> (a directory, <c>LocalPath</c>) or <c>s3</c>
/// (<c>S3</c>, an <see cref="S3ObjectStoreOptions"/>). Each part registers its own named options and keyed
/// <see cref="IObjectStore"/> with <c>AddObjectStore</c>.
/// </summary>
public sealed class ObjectStoreOptions
{
    /// <summary><see cref="Kind"/> of a <see cref="LocalDirectoryObjectStore"/>.</summary>
    public const string LocalKind = "local";

    /// <summary><see cref="Kind"/> of an <see cref="S3ObjectStore"/>.</summary>
    public const string S3Kind = "s3";

    /// <summary><c>local</c> (a directory, the embedded default) or <c>s3</c>.</summary>
    public string Kind { get; set; } = LocalKind;

    /// <summary>Root directory of the local store; the registration supplies each part's default (<c>archive</c>, <c>segments-store</c>, <c>tracker</c>).</summary>
    public string LocalPath { get; set; } = string.Empty;

    /// <summary>S3 settings when <see cref="Kind"/> is <c>s3</c>.</summary>
    public S3ObjectStoreOptions S3 { get; set; } = new();

    /// <summary>Whether <paramref name="kind"/> is <c>local</c> or <c>s3</c>.</summary>
    public static bool IsKnownKind(string? kind) => kind is LocalKind or S3Kind;
}

/// <summary>
/// Validates the <see cref="ObjectStoreOptions"/> named <c>optionsName</c> (all of them when null), bound from configuration section <c>section</c>;
/// each message names the key as users write it (<c>Tributary:Archive:Store:S3:Bucket is required when
/// Tributary:Archive:Store:Kind is 's3'.</c>). Options of other names are skipped.
/// </summary>
public sealed class ObjectStoreOptionsValidator(string? optionsName, string section) : IValidateOptions<ObjectStoreOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, ObjectStoreOptions options)
    {
        if (optionsName is not null && !string.Equals(optionsName, name, StringComparison.Ordinal))
        {
            return ValidateOptionsResult.Skip;
        }

        var failures = Collect(options, section).ToList();
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>The problems with <paramref name="options"/>, each naming its key under <paramref name="section"/>; empty when valid.</summary>
    public static IEnumerable<string> Collect(ObjectStoreOptions options, string section)
    {
        ArgumentNullException.ThrowIfNull(options);
        switch (options.Kind)
        {
            case ObjectStoreOptions.LocalKind:
                if (string.IsNullOrWhiteSpace(options.LocalPath))
                {
                    yield return $"{section}:LocalPath is required when {section}:Kind is 'local'.";
                }

                break;
            case ObjectStoreOptions.S3Kind:
                foreach (var failure in S3ObjectStoreOptionsRules.Collect(options.S3, $"{section}:S3", $" when {section}:Kind is 's3'"))
                {
                    yield return failure;
                }

                break;
            default:
                yield return KindFailure(options.Kind, section);
                break;
        }
    }

    /// <summary>The message of an unknown <see cref="ObjectStoreOptions.Kind"/>.</summary>
    public static string KindFailure(string? kind, string section) => $"{section}:Kind must be 'local' or 's3' (was '{kind}').";
}
