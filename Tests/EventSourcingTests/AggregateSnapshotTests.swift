import EventSourcing
import JSON
import Testing

extension Counter: SnapshottingAggregate {
    var snapshotStamp: String { "counter/1" }

    func encodeSnapshot(_ state: State) -> [UInt8] {
        Array("\(state.count) \(state.lastVersion) \(state.lastPosition)".utf8)
    }

    func decodeSnapshot(_ bytes: [UInt8]) throws -> State {
        let parts = String(decoding: bytes, as: UTF8.self).split(separator: " ").compactMap { Int($0) }
        guard parts.count == 3 else { throw SnapshotFormatError("not a counter snapshot") }
        return State(count: parts[0], lastVersion: UInt64(parts[1]), lastPosition: UInt64(parts[2]))
    }
}

/// Records recover from their latest snapshot plus the events after it; snapshots are taken
/// every few events and on passivation; the resident cap passivates the least recently used.
@Suite("Aggregate snapshots and the resident cap", .timeLimit(.minutes(2)))
struct AggregateSnapshotTests {
    let stream = StreamName(category: "counters", id: "001")
    let stamp = "build unversioned; counter/1"

    /// A registry snapshotting every 4 events (so a snapshot is looked up from 2 events on).
    func registry(_ journal: InMemoryJournal, _ configuration: RegistryConfiguration = .init(snapshotEvery: 4)) -> AggregateRegistry<Counter> {
        AggregateRegistry(journal: journal, aggregates: ["counters": Counter()], configuration: configuration, snapshots: journal)
    }

    func journal(withEvents count: Int) async throws -> InMemoryJournal {
        let journal = InMemoryJournal()
        _ = try await journal.append(
            AppendRequest(stream: stream, expectedVersion: .exact(0), events: Array(repeating: Counter().encode(.incremented), count: count))
        )
        return journal
    }

    @Test func recoveryStartsFromTheSnapshotAndFoldsOnlyTheEventsAfterIt() async throws {
        let journal = try await journal(withEvents: 5)
        // A snapshot whose count differs from the events it stands for shows which was used.
        journal.save(AggregateSnapshot(version: 3, position: 3, stamp: stamp, state: Array("100 3 3".utf8)), of: stream)
        let current = try await registry(journal).current(stream)
        #expect(current.state.count == 102)
        #expect(current.version == 5)
        #expect(current.position == 5)
    }

    @Test(arguments: [
        AggregateSnapshot(version: 3, position: 3, stamp: "build another; counter/1", state: Array("100 3 3".utf8)),
        AggregateSnapshot(version: 3, position: 3, stamp: "build unversioned; counter/1", state: Array("garbage".utf8)),
        AggregateSnapshot(version: 9, position: 9, stamp: "build unversioned; counter/1", state: Array("100 9 9".utf8)),
    ])
    func anUnusableSnapshotIsIgnoredAndTheWholeStreamFolded(snapshot: AggregateSnapshot) async throws {
        let journal = try await journal(withEvents: 5)
        journal.save(snapshot, of: stream)
        let current = try await registry(journal).current(stream)
        #expect(current.state.count == 5)
        #expect(current.version == 5)
    }

    @Test func aSnapshotIsTakenEveryFewEventsAndOnPassivation() async throws {
        let journal = InMemoryJournal()
        let registry = registry(journal, RegistryConfiguration(snapshotEvery: 3))
        for _ in 0..<7 { _ = try await registry.handle(.increment, on: stream) }
        #expect(try await journal.snapshot(of: stream)?.version == 6)

        #expect(await registry.passivateIdle(now: .now + .seconds(86_400)) == 1)
        let saved = try #require(try await journal.snapshot(of: stream))
        #expect(saved.version == 7)
        #expect(saved.stamp == stamp)
        #expect(try Counter().decodeSnapshot(saved.state) == Counter.State(count: 7, lastVersion: 7, lastPosition: 7))
        // Back from the snapshot, the record goes on where it was.
        #expect(try await registry.handle(.increment, on: stream).version == 8)
        #expect(try await registry.current(stream).state.count == 8)
    }

    @Test func aStreamTooShortToBeRecoveredFromASnapshotGetsNoneOnPassivation() async throws {
        let journal = InMemoryJournal()
        // With snapshots every 100 events, recovery folds streams shorter than 25 events.
        let registry = registry(journal, RegistryConfiguration(snapshotEvery: 100))
        for _ in 0..<24 { _ = try await registry.handle(.increment, on: stream) }
        #expect(await registry.passivateIdle(now: .now + .seconds(86_400)) == 1)
        #expect(try await journal.snapshot(of: stream) == nil)
        _ = try await registry.handle(.increment, on: stream)
        #expect(await registry.passivateIdle(now: .now + .seconds(86_400)) == 1)
        #expect(try await journal.snapshot(of: stream)?.version == 25)
    }

    @Test func theResidentCapPassivatesTheLeastRecentlyUsedRecords() async throws {
        let journal = InMemoryJournal()
        let registry = registry(journal, RegistryConfiguration(maxResident: 10))
        let streams = (0..<40).map { StreamName(category: "counters", id: "r\($0)") }
        for (index, stream) in streams.enumerated() {
            _ = try await registry.handle(.add(index + 1), on: stream)
            #expect(registry.statistics.resident <= 11)
        }
        #expect(registry.statistics.passivations >= 29)
        // The ten most recently used are the resident ones: reading them activates nothing.
        let activations = registry.statistics.activations
        for stream in streams.suffix(10) { _ = try await registry.current(stream) }
        #expect(registry.statistics.activations == activations)
        // Every record still has its state.
        for (index, stream) in streams.enumerated().reversed() {
            #expect(try await registry.current(stream).state.count == index + 1)
        }
    }
}
