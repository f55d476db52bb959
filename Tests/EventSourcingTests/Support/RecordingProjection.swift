import EventSourcing

/// A projection for the tests: it records the position of every event it is given.
actor RecordingProjection: Projection {
    nonisolated let name: String
    nonisolated let applied: PositionWatch
    private(set) var positions: [UInt64] = []
    private(set) var batches = 0

    init(name: String = "recording", startingAt position: UInt64 = 0) {
        self.name = name
        self.applied = PositionWatch(position: position)
    }

    func apply(_ events: [RecordedEvent]) {
        batches += 1
        positions.append(contentsOf: events.map(\.position))
    }
}
