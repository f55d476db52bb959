import EventSourcing
import JSON
import Testing

@Suite("AggregateRegistry atomic batches", .timeLimit(.minutes(2)))
struct AtomicBatchTests {
    let first = StreamName(category: "counters", id: "001")
    let second = StreamName(category: "counters", id: "002")

    func registry(_ journal: some Journal) -> AggregateRegistry<Counter> {
        AggregateRegistry(journal: journal, aggregates: ["counters": Counter()])
    }

    @Test func commandsForSeveralRecordsAreJournaledInOneAppend() async throws {
        let journal = InMemoryJournal()
        let registry = registry(journal)

        let results = try await registry.handleAtomically([
            (second, .add(2), nil), (first, .increment, nil), (second, .increment, nil),
        ])

        let receipts = try results.map { try $0.get() }
        #expect(receipts.map(\.version) == [2, 1, 3])
        #expect(receipts.map(\.appended) == [2, 1, 1])
        // Streams take positions in name order; within a record, command order is kept.
        #expect(receipts.map(\.position) == [3, 1, 4])
        let log = try await journal.readAll(after: 0, limit: 10)
        #expect(log.map(\.stream) == [first, second, second, second])
        #expect(Set(log.map(\.recordedAt)).count == 1, "one append gives one commit time")
        #expect(receipts.allSatisfy { $0.recordedAt == log.first?.recordedAt }, "each receipt carries it")
        #expect(try await registry.current(second).state.count == 3)
        #expect(try await registry.current(second).state.lastPosition == 4)
    }

    @Test func aRefusedCommandFailsAloneAndLaterCommandsSeeEarlierOnes() async throws {
        let registry = registry(InMemoryJournal())

        let results = try await registry.handleAtomically([
            (first, .add(3), nil), (first, .failIfAbove(2), nil), (second, .add(-1), nil), (second, .increment, 0),
            (first, .increment, 3), (first, .increment, 3),
        ])

        #expect(try results[0].get().version == 3)
        #expect(throws: CommandError<Counter.Rejection>.rejected(.above(limit: 2, count: 3))) { try results[1].get() }
        #expect(throws: CommandError<Counter.Rejection>.rejected(.amountNotPositive(-1))) { try results[2].get() }
        #expect(try results[3].get().version == 1)
        #expect(try results[4].get().version == 4)
        #expect(throws: CommandError<Counter.Rejection>.versionConflict(expected: 3, actual: 4)) { try results[5].get() }
    }

    @Test func aJournalFailureWritesNothingForAnyRecord() async throws {
        let journal = InMemoryJournal()
        let registry = registry(journal)
        _ = try await registry.handleAtomically([(first, .increment, nil), (second, .increment, nil)])
        // Someone else writes `second` behind the registry's back: its cached version is stale.
        _ = try await journal.append(AppendRequest(stream: second, expectedVersion: .exact(1), events: [Counter().encode(.incremented)]))

        await #expect(throws: RegistryError<Counter.Rejection>.self) {
            try await registry.handleAtomically([(first, .increment, nil), (second, .increment, nil)])
        }

        #expect(try await journal.streamVersion(first) == 1, "the batch's event for the first record was not written")
        #expect(try await journal.lastPosition() == 3)
        // The stale record is read again, and the next batch succeeds for both.
        let retry = try await registry.handleAtomically([(first, .increment, nil), (second, .increment, nil)])
        #expect(try retry.map { try $0.get().version } == [2, 3])
    }

    @Test func overlappingBatchesInOppositeOrdersNeitherDeadlockNorLoseUpdates() async throws {
        let journal = InstrumentedJournal(yields: 4)
        let registry = registry(journal)
        let streams = (0..<6).map { StreamName(category: "counters", id: "00\($0)") }

        try await withThrowingTaskGroup(of: Void.self) { group in
            for task in 0..<60 {
                let order = task.isMultiple(of: 2) ? streams : streams.reversed()
                group.addTask {
                    let results = try await registry.handleAtomically(order.map { ($0, Counter.Command.increment, nil) })
                    for result in results { _ = try result.get() }
                }
            }
            try await group.waitForAll()
        }

        for stream in streams {
            #expect(try await registry.current(stream).state.count == 60)
            #expect(try await journal.streamVersion(stream) == 60)
        }
    }

    /// Extra writes made after the decisions see how many events each command decided, and
    /// ride in the same append.
    @Test func extraWritesCanCountWhatTheRecordsDecided() async throws {
        let journal = InMemoryJournal()
        let registry = registry(journal)
        let tally = StreamName(category: "tallies", id: "t")
        var seen: [Int] = []
        let outcome = try await registry.handleAtomically([
            (second, .add(2), nil), (first, .failIfAbove(5), nil), (second, .add(-1), nil), (first, .increment, nil),
        ]) { decided in
            seen = decided
            return [StreamWrite(stream: tally, expectedVersion: .any, events: [NewEvent(type: "Tallied", data: ["events": .number(JSONNumber(decided.reduce(0, +)))])])]
        }
        #expect(seen == [2, 0, 0, 1])
        let log = try await journal.readAll(after: 0, limit: 10)
        #expect(log.map(\.stream) == [first, second, second, tally])
        #expect(log.last?.data["events"] == 3)
        #expect(outcome.lastPosition == 4)
    }

    @Test func aBatchThatDecidesNothingWritesNothing() async throws {
        let journal = InMemoryJournal()
        let registry = registry(journal)
        let results = try await registry.handleAtomically([(first, .failIfAbove(5), nil)])
        #expect(try results[0].get() == CommandReceipt(appended: 0, version: 0, position: 0))
        #expect(try await journal.lastPosition() == 0)
    }
}
