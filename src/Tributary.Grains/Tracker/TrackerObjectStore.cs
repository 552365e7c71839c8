using Tributary.Storage;

namespace Tributary.Grains.Tracker;

/// <summary>
/// The object store Tracker writes snapshots to (<c>Tributary:Tracker:Store</c>). Its own registration,
/// so the archive's or the segments' store in the same silo never decides where snapshots land.
/// </summary>
public sealed record TrackerObjectStore(IObjectStore Store);
