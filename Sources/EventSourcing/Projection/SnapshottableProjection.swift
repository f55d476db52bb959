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
    /// The state as of now: the position of the last event folded into it, and a function
    /// encoding it. The function runs outside the actor (a copy-on-write copy of the state is
    /// cheap to take), so encoding a large read model does not hold up its queries and updates.
    func snapshot() -> ProjectionSnapshot
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

/// A projection's state captured for saving.
public struct ProjectionSnapshot: Sendable {
    /// The position of the last event folded into the state.
    public var position: UInt64
    /// Encodes the captured state.
    public var encode: @Sendable () -> [UInt8]

    /// A captured state at `position`, encoded by `encode`.
    public init(position: UInt64, encode: @escaping @Sendable () -> [UInt8]) {
        self.position = position
        self.encode = encode
    }
}
