import EventSourcing
import JSON
import Testing

@Suite("AggregateActor", .timeLimit(.minutes(2)))
struct AggregateActorTests {
    let stream = StreamName(category: "counters", id: "001")

    // MARK: - One command at a time

    @Test func concurrentCommandsForOneRecordAreHandledOneAtATime() async throws {
        let journal = InstrumentedJournal(yields: 8)
        let actor = AggregateActor(stream: stream, aggregate: Counter(), journal: journal)

        let versions = try await withThrowingTaskGroup(of: UInt64.self) { group in
            for _ in 0..<1000 {
                group.addTask { try await actor.handle(.increment).version }
            }
            var versions: [UInt64] = []
            for try await version in group { versions.append(version) }
            return versions
        }

        // Each command saw the state its predecessor left: every version was handed out once.
        #expect(versions.sorted() == Array(1...1000))
        let current = try await actor.current()
        #expect(current.state.count == 1000)
        #expect(current.version == 1000)
        #expect(current.position == 1000)
        let stored = try await journal.readStream(stream)
        #expect(stored.map(\.version) == Array(1...1000))
        #expect(journal.maxAppendsInFlight == 1)
    }

    @Test func aCommandEmittingSeveralEventsAppendsThemTogether() async throws {
        let journal = InMemoryJournal()
        let actor = AggregateActor(stream: stream, aggregate: Counter(), journal: journal)
        _ = try await actor.handle(.increment)

        let receipt = try await actor.handle(.add(3))

        // The receipt carries the commit time the journal recorded for the command's events.
        let recordedAt = try await journal.readAll(after: 3, limit: 1).first?.recordedAt
        #expect(receipt == CommandReceipt(appended: 3, version: 4, position: 4, recordedAt: recordedAt))
        #expect(recordedAt != nil)
        let current = try await actor.current()
        #expect(current.state == Counter.State(count: 4, lastVersion: 4, lastPosition: 4))
    }

    // MARK: - Refusals

    @Test func mismatchedExpectedVersionThrowsVersionConflictAndWritesNothing() async throws {
        let journal = InMemoryJournal()
        let actor = AggregateActor(stream: stream, aggregate: Counter(), journal: journal)
        _ = try await actor.handle(.add(2))

        await #expect(throws: CommandError<Counter.Rejection>.versionConflict(expected: 5, actual: 2)) {
            try await actor.handle(.increment, expectedVersion: 5)
        }

        #expect(try await journal.streamVersion(stream) == 2)
        let receipt = try await actor.handle(.increment, expectedVersion: 2)
        #expect(receipt.version == 3)
    }

    @Test func rejectedCommandThrowsTheRejectionAndWritesNothing() async throws {
        let journal = InMemoryJournal()
        let actor = AggregateActor(stream: stream, aggregate: Counter(), journal: journal)
        _ = try await actor.handle(.add(3))

        await #expect(throws: CommandError<Counter.Rejection>.rejected(.above(limit: 1, count: 3))) {
            try await actor.handle(.failIfAbove(1))
        }
        await #expect(throws: CommandError<Counter.Rejection>.rejected(.amountNotPositive(0))) {
            try await actor.handle(.add(0))
        }

        #expect(try await journal.lastPosition() == 3)
        #expect(try await actor.current().version == 3)
    }

    @Test func commandThatChangesNothingAppendsNothing() async throws {
        let journal = InMemoryJournal()
        let actor = AggregateActor(stream: stream, aggregate: Counter(), journal: journal)
        _ = try await actor.handle(.add(2))

        let receipt = try await actor.handle(.failIfAbove(10))

        #expect(receipt == CommandReceipt(appended: 0, version: 2, position: 2))
        #expect(try await journal.lastPosition() == 2)
    }

    // MARK: - Recovery

    @Test func aNewActorForAnExistingStreamRecoversItsState() async throws {
        let journal = InMemoryJournal()
        let other = StreamName(category: "counters", id: "002")
        let first = AggregateActor(stream: stream, aggregate: Counter(), journal: journal)
        _ = try await first.handle(.add(2))
        _ = try await journal.append(
            AppendRequest(stream: other, expectedVersion: .any, events: [Counter().encode(.incremented)])
        )
        _ = try await first.handle(.increment)

        let second = AggregateActor(stream: stream, aggregate: Counter(), journal: journal)
        let current = try await second.current()

        #expect(current.state == Counter.State(count: 3, lastVersion: 3, lastPosition: 4))
        #expect(current.version == 3)
        #expect(current.position == 4)
        let receipt = try await second.handle(.increment)
        let recordedAt = try await journal.readAll(after: 4, limit: 1).first?.recordedAt
        #expect(receipt == CommandReceipt(appended: 1, version: 4, position: 5, recordedAt: recordedAt))
    }

    @Test func recoveryReadsAHistoryLongerThanOnePage() async throws {
        let journal = InMemoryJournal()
        let events = Array(repeating: Counter().encode(.incremented), count: 2500)
        _ = try await journal.append(AppendRequest(stream: stream, expectedVersion: .exact(0), events: events))

        let actor = AggregateActor(stream: stream, aggregate: Counter(), journal: journal)
        let current = try await actor.current()

        #expect(current.state.count == 2500)
        #expect(current.version == 2500)
    }

    @Test func commandsQueuedBehindRecoverySeeTheRecoveredState() async throws {
        let journal = InstrumentedJournal(yields: 8)
        _ = try await journal.append(
            AppendRequest(stream: stream, expectedVersion: .exact(0), events: Array(repeating: Counter().encode(.incremented), count: 10))
        )
        let actor = AggregateActor(stream: stream, aggregate: Counter(), journal: journal)

        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<50 {
                group.addTask { _ = try await actor.handle(.increment) }
            }
            try await group.waitForAll()
        }

        #expect(try await actor.current().state.count == 60)
        #expect(journal.readStreamCalls(stream) == 1)
    }

    @Test func undecodableHistoryFailsRecovery() async throws {
        let journal = InMemoryJournal()
        _ = try await journal.append(
            AppendRequest(stream: stream, expectedVersion: .exact(0), events: [NewEvent(type: "CounterExploded", data: .null)])
        )
        let actor = AggregateActor(stream: stream, aggregate: Counter(), journal: journal)

        await #expect(
            throws: CommandError<Counter.Rejection>.recovery(EventDecodingError(position: 1, message: "unknown event type CounterExploded"))
        ) {
            try await actor.handle(.increment)
        }
        #expect(try await journal.streamVersion(stream) == 1)
    }

    // MARK: - Journal backstop

    @Test func aStaleActorFailsWithAJournalConflictThenCatchesUp() async throws {
        let journal = InMemoryJournal()
        let stale = AggregateActor(stream: stream, aggregate: Counter(), journal: journal)
        _ = try await stale.handle(.increment)
        let intruder = AggregateActor(stream: stream, aggregate: Counter(), journal: journal)
        _ = try await intruder.handle(.add(2))

        await #expect(
            throws: CommandError<Counter.Rejection>.journal(.versionConflict(stream: stream, expected: 1, actual: 3))
        ) {
            try await stale.handle(.increment)
        }

        let receipt = try await stale.handle(.increment)
        #expect(receipt.version == 4)
        #expect(try await stale.current().state.count == 4)
    }
}
