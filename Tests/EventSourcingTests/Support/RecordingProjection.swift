import EventSourcing

/// A projection for the tests: it records the position of every event it is given.
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

    init(name: String = "recording", startingAt position: UInt64 = 0, categories: Set<String>? = nil) {
        self.name = name
        self.categories = categories
        self.applied = PositionWatch(position: position)
    }

    /// Makes the next `count` applies fail, changing nothing.
    func fail(times count: Int) {
        failuresLeft = count
    }

    struct Failure: Error {}

    func apply(_ events: [RecordedEvent], through end: UInt64) throws {
        if failuresLeft > 0 {
            failuresLeft -= 1
            failures += 1
            throw Failure()
        }
        batches += 1
        ends.append(end)
        positions.append(contentsOf: events.map(\.position))
    }
}
