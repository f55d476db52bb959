import Synchronization

/// A journal kept in memory, for tests and for trying Tributary without storage.
///
/// It follows the same contract as the durable journal (atomic appends, version checks, gap-free
/// positions); "durable" here only means "committed", and everything is gone when it is dropped.
public final class InMemoryJournal: Journal {
    private struct State {
        var events: [RecordedEvent] = []
        /// For each stream, the positions of its events in version order.
        var streams: [StreamName: [UInt64]] = [:]
    }

    private let state = Mutex(State())
    private let commits = PositionWatch()

    /// An empty journal.
    public init() {}

    public func append(_ request: AppendRequest) async throws(JournalError) -> AppendResult {
        try AppendValidation.check(request)
        let now = Timestamp.now()
        let result: AppendResult = try state.withLock { (state) throws(JournalError) -> AppendResult in
            for write in request.writes {
                let actual = UInt64(state.streams[write.stream]?.count ?? 0)
                if case .exact(let expected) = write.expectedVersion, expected != actual {
                    throw JournalError.versionConflict(stream: write.stream, expected: expected, actual: actual)
                }
            }
            let first = UInt64(state.events.count) + 1
            var versions: [UInt64] = []
            for write in request.writes {
                var positions = state.streams[write.stream] ?? []
                for event in write.events {
                    let position = UInt64(state.events.count) + 1
                    positions.append(position)
                    state.events.append(
                        RecordedEvent(
                            position: position,
                            stream: write.stream,
                            version: UInt64(positions.count),
                            type: event.type,
                            recordedAt: event.recordedAt ?? now,
                            metadata: event.metadata,
                            data: event.data
                        )
                    )
                }
                versions.append(UInt64(positions.count))
                state.streams[write.stream] = positions
            }
            return AppendResult(firstPosition: first, lastPosition: UInt64(state.events.count), versions: versions, recordedAt: now)
        }
        commits.advance(to: result.lastPosition)
        return result
    }

    public func readStream(_ stream: StreamName, fromVersion: UInt64, limit: Int) async throws(JournalError) -> [RecordedEvent] {
        state.withLock { state in
            guard let positions = state.streams[stream], fromVersion <= positions.count else { return [] }
            let start = Int(max(fromVersion, 1)) - 1
            let end = min(positions.count, start + max(limit, 0))
            return positions[start..<end].map { state.events[Int($0) - 1] }
        }
    }

    public func readAll(after position: UInt64, limit: Int) async throws(JournalError) -> [RecordedEvent] {
        state.withLock { state in
            guard position < state.events.count else { return [] }
            let start = Int(position)
            let end = min(state.events.count, start + max(limit, 0))
            return Array(state.events[start..<end])
        }
    }

    public func lastPosition() async throws(JournalError) -> UInt64 {
        state.withLock { UInt64($0.events.count) }
    }

    public func streamVersion(_ stream: StreamName) async throws(JournalError) -> UInt64 {
        state.withLock { UInt64($0.streams[stream]?.count ?? 0) }
    }

    public func waitForCommit(after position: UInt64) async {
        await commits.wait(until: position + 1)
    }
}

/// Checks every journal applies to an append request before touching storage.
package enum AppendValidation {
    /// Throws `invalidAppend` for an empty request, an empty write or a stream written twice.
    package static func check(_ request: AppendRequest) throws(JournalError) {
        guard !request.writes.isEmpty else { throw .invalidAppend("the append has no writes") }
        if request.writes.count == 1 {
            guard !request.writes[0].events.isEmpty else {
                throw .invalidAppend("the write to \(request.writes[0].stream) has no events")
            }
            return
        }
        var seen = Set<StreamName>()
        for write in request.writes {
            guard !write.events.isEmpty else { throw .invalidAppend("the write to \(write.stream) has no events") }
            guard seen.insert(write.stream).inserted else {
                throw .invalidAppend("the stream \(write.stream) is written twice in one append")
            }
        }
    }
}
