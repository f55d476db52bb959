/// Where a projection keeps state that must not live in memory: one ordered table of byte keys
/// and values (keys compare bytewise), and a checkpoint (the position the stored state reflects,
/// plus a few bytes of the projection's own), changed together by `commit`.
///
/// Because the checkpoint commits with the state, a projection reopened on its store resumes
/// exactly where that state stands: no snapshot to load, nothing replayed twice. A store belongs
/// to one projection actor, its only writer; reads may run beside its commits and see the state
/// of the last one.
public protocol ProjectionStore: Sendable {
    /// The checkpoint of the stored state; position 0 and no metadata when nothing is stored.
    func checkpoint() throws -> ProjectionCheckpoint
    /// The values stored under `keys` (`nil` where there is none), all read at one moment.
    func values(forKeys keys: [[UInt8]]) throws -> [[UInt8]?]
    /// Calls `visit` with the entries whose keys are ≥ `start`, in key order, until it returns
    /// false or the table ends. `visit` must not call back into the store.
    func scan(from start: [UInt8], _ visit: (_ key: [UInt8], _ value: [UInt8]) throws -> Bool) throws
    /// Applies `changes` and moves the checkpoint to theirs, all or nothing.
    func commit(_ changes: ProjectionChanges) throws
}

/// How far a projection's stored state goes.
public struct ProjectionCheckpoint: Sendable, Hashable {
    /// The position of the last event reflected in the stored state.
    public var position: UInt64
    /// The projection's own bookkeeping (counters), committed with the state.
    public var metadata: [UInt8]

    /// A checkpoint at `position`.
    public init(position: UInt64, metadata: [UInt8] = []) {
        self.position = position
        self.metadata = metadata
    }
}

/// Writes and deletions for one `ProjectionStore.commit`, applied in the order they were made.
public struct ProjectionChanges: Sendable {
    /// One change: a value to store under a key, or `nil` to delete the key.
    public typealias Write = (key: [UInt8], value: [UInt8]?)

    /// The changes, in order.
    public private(set) var writes: [Write] = []
    /// The checkpoint the store moves to.
    public var checkpoint: ProjectionCheckpoint

    /// No changes yet; the commit will move the store to `checkpoint`.
    public init(checkpoint: ProjectionCheckpoint) {
        self.checkpoint = checkpoint
    }

    /// Stores `value` under `key`, replacing what was there.
    public mutating func put(_ value: [UInt8], forKey key: [UInt8]) {
        writes.append((key, value))
    }

    /// Deletes `key` (nothing happens when it is absent).
    public mutating func remove(_ key: [UInt8]) {
        writes.append((key, nil))
    }
}

/// Hands out the stores of a server's projections, and swaps rebuilt ones in.
///
/// Each projection has the store in force, and during a rebuild a second one filled beside it;
/// `promoteRebuilt` puts the rebuilt stores in force all at once.
public protocol ProjectionStorage: Sendable {
    /// The store in force for projection `name`. Stored state made under another `stamp` (another
    /// mapping, encoding, build or journal) is discarded first, never misread.
    func store(named name: String, stamp: String) throws -> any ProjectionStore
    /// An empty store for projection `name` beside the one in force, for a rebuild.
    func rebuildStore(named name: String, stamp: String) throws -> any ProjectionStore
    /// Puts the stores last returned by `rebuildStore` for `names` in force, together.
    func promoteRebuilt(_ names: [String]) throws
}
