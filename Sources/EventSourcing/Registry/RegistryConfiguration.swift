/// How long records stay resident in memory, and how many may.
public struct RegistryConfiguration: Sendable, Hashable {
    /// A record unused for this long is passivated (dropped from memory; its state stays in the
    /// journal and comes back on next use).
    public var idleTimeout: Duration
    /// How often the passivation sweep runs.
    public var sweepInterval: Duration
    /// The most records resident at once (`nil`: no cap). Past it, the least recently used
    /// records without a command in flight are passivated, down to the cap.
    public var maxResident: Int?
    /// A record's state is snapshotted after this many events since its last snapshot, and when
    /// it is passivated (for aggregates that support snapshots and a registry given a store).
    public var snapshotEvery: UInt64
    /// Identifies the build of the code, so a snapshot written by another build is not used.
    public var buildIdentity: String

    /// Settings; the defaults keep a record resident for five minutes after its last use, with
    /// at most 500,000 resident, and snapshot it every 100 events.
    public init(
        idleTimeout: Duration = .seconds(300),
        sweepInterval: Duration = .seconds(10),
        maxResident: Int? = 500_000,
        snapshotEvery: UInt64 = 100,
        buildIdentity: String = "unversioned"
    ) {
        self.idleTimeout = idleTimeout
        self.sweepInterval = sweepInterval
        self.maxResident = maxResident
        self.snapshotEvery = snapshotEvery
        self.buildIdentity = buildIdentity
    }
}
