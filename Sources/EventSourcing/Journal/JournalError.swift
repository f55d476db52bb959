/// Why the journal could not do what was asked.
public enum JournalError: Error, Hashable, CustomStringConvertible {
    /// The stream was not at the version the appender expected; nothing was written.
    case versionConflict(stream: StreamName, expected: UInt64, actual: UInt64)
    /// The request itself is unusable (an empty write, a stream written twice, …).
    case invalidAppend(String)
    /// A stored event failed its checksum or could not be decoded.
    case corruptEvent(position: UInt64, reason: String)
    /// The storage engine failed; the message says what happened and what to do.
    case storage(String)
    /// The journal is closed (shutting down) and takes no more appends.
    case closed

    public var description: String {
        switch self {
        case .versionConflict(let stream, let expected, let actual):
            "version conflict on \(stream): expected version \(expected), the stream is at \(actual)"
        case .invalidAppend(let reason):
            "invalid append: \(reason)"
        case .corruptEvent(let position, let reason):
            "the event at position \(position) is corrupt: \(reason); run `tributary verify` and restore from a backup"
        case .storage(let message):
            "journal storage failed: \(message)"
        case .closed:
            "the journal is closed"
        }
    }
}

extension JournalError {
    /// Whether the append failed because a stream was not at the expected version: someone else
    /// wrote it, so state built from it is stale.
    public var isVersionConflict: Bool {
        if case .versionConflict = self { true } else { false }
    }
}
