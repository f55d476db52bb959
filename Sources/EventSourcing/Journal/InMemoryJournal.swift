import Synchronization

/// A journal kept in memory, for tests and for trying Tributary without storage.
///
/// It follows the same contract as the durable journal (atomic appends, version checks, gap-free
/// positions, the same stored record format with its checksum verified on every read); "durable"
/// here only means "committed", and everything is gone when it is dropped.
public final class InMemoryJournal: Journal, AggregateSnapshotStore {
    private struct State {
        /// The stored records; the record at index i has position i + 1.
        var records: [[UInt8]] = []
        /// For each stream, the positions of its events in version order.
        var streams: [StreamName: [UInt64]] = [:]
    }

    private let state = Mutex(State())
    private let snapshots = Mutex<[StreamName: AggregateSnapshot]>([:])
    private let commits = PositionWatch()

    /// An empty journal.
    public init() {}

    public func append(_ request: AppendRequest) async throws(JournalError) -> AppendResult {
        try AppendValidation.check(request)
        let now = Timestamp.now()
        let bodies = request.writes.map { write in
            write.events.map { EventRecordCodec.encodeBody(stream: write.stream, event: $0) }
        }
        let result: AppendResult = try state.withLock { (state) throws(JournalError) -> AppendResult in
            for write in request.writes {
                let actual = UInt64(state.streams[write.stream]?.count ?? 0)
                if case .exact(let expected) = write.expectedVersion, expected != actual {
                    throw JournalError.versionConflict(stream: write.stream, expected: expected, actual: actual)
                }
            }
            let first = UInt64(state.records.count) + 1
            var versions: [UInt64] = []
            for (write, writeBodies) in zip(request.writes, bodies) {
                var positions = state.streams[write.stream] ?? []
                for body in writeBodies {
                    let position = UInt64(state.records.count) + 1
                    positions.append(position)
                    state.records.append(
                        EventRecordCodec.record(
                            body: body,
                            position: position,
                            version: UInt64(positions.count),
                            recordedAt: body.recordedAt ?? now
                        )
                    )
                }
                versions.append(UInt64(positions.count))
                state.streams[write.stream] = positions
            }
            return AppendResult(firstPosition: first, lastPosition: UInt64(state.records.count), versions: versions, recordedAt: now)
        }
        commits.advance(to: result.lastPosition)
        return result
    }

    public func readStream(_ stream: StreamName, fromVersion: UInt64, limit: Int) async throws(JournalError) -> [RecordedEvent] {
        let records: [(UInt64, [UInt8])] = state.withLock { state in
            guard let positions = state.streams[stream], fromVersion <= positions.count else { return [] }
            let start = Int(max(fromVersion, 1)) - 1
            let end = min(positions.count, start + max(limit, 0))
            return positions[start..<end].map { ($0, state.records[Int($0) - 1]) }
        }
        return try Self.decode(records)
    }

    public func readAll(after position: UInt64, limit: Int) async throws(JournalError) -> [RecordedEvent] {
        let records: [(UInt64, [UInt8])] = state.withLock { state in
            guard position < state.records.count else { return [] }
            let start = Int(position)
            let end = min(state.records.count, start + max(limit, 0))
            return (start..<end).map { (UInt64($0 + 1), state.records[$0]) }
        }
        return try Self.decode(records)
    }

    public func lastPosition() async throws(JournalError) -> UInt64 {
        state.withLock { UInt64($0.records.count) }
    }

    /// Flips one bit of the stored record at `position`, for tests of checksum verification.
    package func damageRecord(at position: UInt64, byteOffset: Int) {
        state.withLock { state in
            let index = Int(position) - 1
            guard state.records.indices.contains(index), state.records[index].indices.contains(byteOffset) else { return }
            state.records[index][byteOffset] ^= 0x01
        }
    }

    private static func decode(_ records: [(UInt64, [UInt8])]) throws(JournalError) -> [RecordedEvent] {
        var events: [RecordedEvent] = []
        events.reserveCapacity(records.count)
        for (position, record) in records {
            let decoded: Result<RecordedEvent, JournalError> = record.withUnsafeBytes { bytes in
                Result { () throws(JournalError) in try EventRecordCodec.decode(position: position, record: bytes) }
            }
            events.append(try decoded.get())
        }
        return events
    }

    public func streamVersion(_ stream: StreamName) async throws(JournalError) -> UInt64 {
        state.withLock { UInt64($0.streams[stream]?.count ?? 0) }
    }

    public func waitForCommit(after position: UInt64) async {
        // No position follows the last one: wait (until cancelled) rather than overflow.
        await commits.wait(until: position == .max ? .max : position + 1)
    }
}

/// Checks every journal applies to an append request before touching storage.
extension InMemoryJournal {
    public func snapshot(of stream: StreamName) async throws(JournalError) -> AggregateSnapshot? {
        snapshots.withLock { $0[stream] }
    }

    public func save(_ snapshot: AggregateSnapshot, of stream: StreamName) {
        snapshots.withLock { snapshots in
            if let stored = snapshots[stream], stored.version > snapshot.version { return }
            snapshots[stream] = snapshot
        }
    }
}

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
