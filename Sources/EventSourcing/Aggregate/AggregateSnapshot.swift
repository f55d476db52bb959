/// A record's state saved at a version, so recovery folds only the events after it.
public struct AggregateSnapshot: Sendable, Hashable {
    /// The stream version the state reflects.
    public var version: UInt64
    /// The journal position of that version's event.
    public var position: UInt64
    /// What the encoding depends on (build and state format); a snapshot with another stamp is
    /// not used.
    public var stamp: String
    /// The encoded state.
    public var state: [UInt8]

    /// A snapshot of `state` at `version` / `position`.
    public init(version: UInt64, position: UInt64, stamp: String, state: [UInt8]) {
        self.version = version
        self.position = position
        self.stamp = stamp
        self.state = state
    }
}

/// Where aggregate snapshots are kept: beside the journal, as derived data that can always be
/// thrown away (recovery then folds the whole stream).
public protocol AggregateSnapshotStore: Sendable {
    /// The latest snapshot of `stream`, if any.
    func snapshot(of stream: StreamName) async throws(JournalError) -> AggregateSnapshot?
    /// Keeps `snapshot` as the latest of `stream`, replacing an older one. It becomes durable
    /// with a later commit; losing it costs only a longer recovery.
    func save(_ snapshot: AggregateSnapshot, of stream: StreamName)
}

/// Snapshot support for an aggregate: a stamp naming the state's encoding, and the encoding.
/// Aggregates without it (the default) are always recovered from their whole stream.
public protocol SnapshottingAggregate: Aggregate {
    /// Names the state encoding; change it with the encoding.
    var snapshotStamp: String { get }
    /// The state as bytes.
    func encodeSnapshot(_ state: State) -> [UInt8]
    /// A state back from bytes `encodeSnapshot` wrote.
    func decodeSnapshot(_ bytes: [UInt8]) throws -> State
}

/// The snapshot functions of an aggregate whose type is only known generically.
struct SnapshotCodec<State>: Sendable {
    let stamp: String
    let encode: @Sendable (State) -> [UInt8]
    let decode: @Sendable ([UInt8]) throws -> State

    /// The codec of `aggregate` when it supports snapshots.
    static func of<A: Aggregate>(_ aggregate: A) -> SnapshotCodec<A.State>? where State == A.State {
        guard let snapshotting = aggregate as? any SnapshottingAggregate else { return nil }
        return open(snapshotting) as? SnapshotCodec<A.State>
    }

    private static func open<S: SnapshottingAggregate>(_ aggregate: S) -> Any {
        SnapshotCodec<S.State>(
            stamp: aggregate.snapshotStamp,
            encode: { aggregate.encodeSnapshot($0) },
            decode: { try aggregate.decodeSnapshot($0) }
        )
    }
}
