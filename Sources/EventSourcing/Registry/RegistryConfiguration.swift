/// How long records stay resident in memory, and how many may.
public struct RegistryConfiguration: Sendable, Hashable {
    /// A record unused for this long is passivated (dropped from memory; its state stays in the
    /// journal and comes back on next use).
    public var idleTimeout: Duration
    /// How often the passivation sweep runs.
    public var sweepInterval: Duration

    /// Settings; the defaults keep a record resident for five minutes after its last use.
    public init(idleTimeout: Duration = .seconds(300), sweepInterval: Duration = .seconds(10)) {
        self.idleTimeout = idleTimeout
        self.sweepInterval = sweepInterval
    }
}
