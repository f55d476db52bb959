/// Why a command sent to an aggregate did not take effect. Nothing was written in any case.
public enum CommandError<Rejection: Error & Equatable>: Error {
    /// The aggregate's `decide` refused the command.
    case rejected(Rejection)
    /// The caller's expected version did not match the record's version.
    case versionConflict(expected: UInt64, actual: UInt64)
    /// The journal failed (storage error, closed, or a conflict another writer caused).
    case journal(JournalError)
    /// The record's history could not be read back.
    case recovery(EventDecodingError)
}

extension CommandError: Equatable {}

/// The outcome of a command that an aggregate accepted.
public struct CommandReceipt: Sendable, Hashable {
    /// How many events the command appended (0 when it changed nothing).
    public var appended: Int
    /// The record's version after the command.
    public var version: UInt64
    /// The journal position of the command's last event, or of the record's last event when the
    /// command appended nothing.
    public var position: UInt64
    /// When the command's events were recorded (the journal's commit time); `nil` when it
    /// appended nothing.
    public var recordedAt: Timestamp?

    /// A receipt.
    public init(appended: Int, version: UInt64, position: UInt64, recordedAt: Timestamp? = nil) {
        self.appended = appended
        self.version = version
        self.position = position
        self.recordedAt = recordedAt
    }
}
