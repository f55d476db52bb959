import EventSourcing

/// A projection for the tests: it records the position of every event it is given.
///
/// One made with `holdsBack` keeps events handed while the runner allows deferring apart (as a
/// record read model keeps records in memory while catching up) and records them only when a
/// call without deferring stores them; its applies then fail only when storing, dropping what
/// it held, as a read model's commit on a full disk does.
actor RecordingProjection: Projection {
    nonisolated let name: String
    nonisolated let applied: PositionWatch
    nonisolated let categories: Set<String>?
    private(set) var positions: [UInt64] = []
    /// The `end` of every apply, in order.
    private(set) var ends: [UInt64] = []
    private(set) var batches = 0
    /// Applies that fail before this one succeeds (as a store on a full disk would).
    private var failuresLeft = 0
    private(set) var failures = 0

    private let holdsBack: Bool
    /// Positions handed while deferring and not stored yet.
    private var held: [UInt64] = []
    /// Where queries would stand: everything through it is stored.
    private var visible: UInt64
    /// Applies that held their events back.
    private(set) var deferredApplies = 0
    /// Whether `applied` was ever seen past what was stored (a runner advancing it to the end of
    /// what it handed rather than to where queries stand).
    private(set) var appliedRanAhead = false

    init(name: String = "recording", startingAt position: UInt64 = 0, categories: Set<String>? = nil, holdsBack: Bool = false) {
        self.name = name
        self.categories = categories
        self.applied = PositionWatch(position: position)
        self.holdsBack = holdsBack
        self.visible = position
    }

    /// Makes the next `count` applies fail, changing nothing.
    func fail(times count: Int) {
        failuresLeft = count
    }

    struct Failure: Error {}

    func apply(_ events: [RecordedEvent], through end: UInt64) throws {
        _ = try apply(events, through: end, deferring: false)
    }

    func apply(_ events: [RecordedEvent], through end: UInt64, deferring: Bool) throws -> UInt64 {
        if applied.position > visible { appliedRanAhead = true }
        if holdsBack, deferring {
            deferredApplies += 1
            held.append(contentsOf: events.map(\.position))
            return held.isEmpty ? end : visible
        }
        if failuresLeft > 0 {
            failuresLeft -= 1
            failures += 1
            held = []
            throw Failure()
        }
        batches += 1
        ends.append(end)
        positions.append(contentsOf: held + events.map(\.position))
        held = []
        visible = end
        return end
    }
}
