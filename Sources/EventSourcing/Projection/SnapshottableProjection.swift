/// A projection whose state can be saved and loaded, so that a restart resumes from the saved
/// position instead of replaying the whole log.
///
/// A snapshot is only ever loaded into a projection with the same `snapshotStamp`: the stamp
/// names everything that shapes the state (the encoding's format, the mapping in force, the
/// code that folded the events), so a snapshot from another mapping or build is discarded and
/// the projection rebuilt from the log, never misread.
public protocol SnapshottableProjection: Projection {
    /// What the state depends on; snapshots with another stamp are not loaded.
    nonisolated var snapshotStamp: String { get }
    /// The state as bytes and the position of the last event folded into it.
    func snapshot() -> (position: UInt64, bytes: [UInt8])
    /// Replaces the (empty) state with a snapshot's, which reflects the log through `position`.
    /// Throws when the bytes do not decode; the projection is then left empty.
    func restore(from bytes: [UInt8], position: UInt64) throws
}

/// A snapshot's bytes do not decode.
public struct SnapshotFormatError: Error, Sendable, CustomStringConvertible {
    /// What did not fit.
    public var description: String

    /// An error saying what did not fit.
    public init(_ description: String) {
        self.description = description
    }
}
