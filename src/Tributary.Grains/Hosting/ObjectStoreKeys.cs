namespace Tributary.Grains;

/// <summary>
/// Service keys of the silo's object stores: each part that keeps objects has its own keyed
/// <see cref="Tributary.Storage.IObjectStore"/> (<c>[FromKeyedServices(ObjectStoreKeys.Archive)] IObjectStore</c>),
/// registered with <c>AddObjectStore</c> from its own <c>Store</c> section, so one part's store never decides where
/// another's objects land.
/// </summary>
public static class ObjectStoreKeys
{
    /// <summary>The archive's files and manifests (<c>Tributary:Archive:Store</c>).</summary>
    public const string Archive = "archive";

    /// <summary>Sealed segments and open-segment chunks (<c>Tributary:Segments:Store</c>).</summary>
    public const string Segments = "segments";

    /// <summary>Tracker's snapshots (<c>Tributary:Tracker:Store</c>).</summary>
    public const string Tracker = "tracker";
}
