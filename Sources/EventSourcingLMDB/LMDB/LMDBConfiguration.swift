/// How an LMDB environment is opened.
public struct LMDBConfiguration: Sendable, Hashable {
    /// The initial map size in bytes; the map doubles whenever it fills up.
    public var initialMapSize: Int
    /// The most named databases the environment may hold.
    public var maxDatabases: UInt32
    /// The most read transactions open at once.
    public var maxReaders: UInt32
    /// When true, commits do not fsync (`MDB_NOSYNC`): faster, but a crash of the machine (not
    /// only the process) can lose the last commits. Off by default.
    public var relaxedDurability: Bool
    /// Open read-only (for verify, export and backup against a live server).
    public var readOnly: Bool

    /// Settings; the defaults suit the journal.
    public init(
        initialMapSize: Int = 1 << 30,
        maxDatabases: UInt32 = 16,
        maxReaders: UInt32 = 1024,
        relaxedDurability: Bool = false,
        readOnly: Bool = false
    ) {
        self.initialMapSize = initialMapSize
        self.maxDatabases = maxDatabases
        self.maxReaders = maxReaders
        self.relaxedDurability = relaxedDurability
        self.readOnly = readOnly
    }
}
