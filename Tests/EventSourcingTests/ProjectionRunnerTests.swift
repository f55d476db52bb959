@testable import EventSourcing
import JSON
import Logging
import Testing

@Suite("ProjectionRunner", .timeLimit(.minutes(1)))
struct ProjectionRunnerTests {
    let logger = Logger(label: "ProjectionRunnerTests")

    /// Appends `count` events spread over a few streams, some appends carrying several events.
    @discardableResult
    func appendEvents(_ count: Int, to journal: some Journal) async throws -> UInt64 {
        var appended = 0
        var last: UInt64 = 0
        while appended < count {
            let size = min(1 + appended % 3, count - appended)
            let stream = StreamName(category: "counters", id: "\(appended % 4)")
            let events = (0..<size).map { NewEvent(type: "Appended", data: ["n": JSONValue(integerLiteral: Int64(appended + $0))]) }
            last = try await journal.append(AppendRequest(stream: stream, expectedVersion: .any, events: events)).lastPosition
            appended += size
        }
        return last
    }

    /// Runs `runner` in a child task while `body` runs, then cancels it.
    func whileRunning(_ runner: ProjectionRunner, _ body: () async throws -> Void) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await runner.run() }
            try await body()
            group.cancelAll()
            try await group.waitForAll()
        }
    }

    // MARK: - Feeding

    @Test func everyEventIsAppliedExactlyOnceInPositionOrder() async throws {
        let journal = InMemoryJournal()
        let projection = RecordingProjection()
        try await appendEvents(40, to: journal)
        let runner = ProjectionRunner(journal: journal, projections: [projection], batchSize: 16, logger: logger)

        try await whileRunning(runner) {
            await projection.applied.wait(until: 40)
            let last = try await appendEvents(260, to: journal)
            #expect(last == 300)
            await projection.applied.wait(until: last)
        }

        #expect(await projection.positions == Array(1...300))
        #expect(projection.applied.position == 300)
    }

    @Test func aProjectionThatFailsIsHandedTheSameEventsAgainWhileTheOthersGoOn() async throws {
        let journal = InMemoryJournal()
        let failing = RecordingProjection(name: "failing")
        let healthy = RecordingProjection(name: "healthy")
        await failing.fail(times: 3)
        try await appendEvents(50, to: journal)
        let runner = ProjectionRunner(
            journal: journal, projections: [failing, healthy], batchSize: 16, retryDelay: .milliseconds(10), logger: logger
        )
        try await whileRunning(runner) {
            await healthy.applied.wait(until: 50)
            await failing.applied.wait(until: 50)
        }
        #expect(await failing.failures == 3)
        #expect(await failing.positions == Array(1...50))
        #expect(await healthy.positions == Array(1...50))
    }

    @Test func aProjectionThatKeepsFailingDoesNotHoldTheOthersBack() async throws {
        let journal = InMemoryJournal()
        let failing = RecordingProjection(name: "failing")
        let healthy = RecordingProjection(name: "healthy")
        await failing.fail(times: .max)
        try await appendEvents(100, to: journal)
        let runner = ProjectionRunner(
            journal: journal, projections: [failing, healthy], batchSize: 8, retryDelay: .milliseconds(5), logger: logger
        )
        try await whileRunning(runner) {
            await healthy.applied.wait(until: 100)
            let last = try await appendEvents(20, to: journal)
            await healthy.applied.wait(until: last)
        }
        #expect(await healthy.positions == Array(1...120))
        #expect(await failing.positions.isEmpty)
        #expect(failing.applied.position == 0)
        #expect(await failing.failures >= 2)
    }

    @Test func concurrentAppendsAreAppliedExactlyOnce() async throws {
        let journal = InMemoryJournal()
        let projection = RecordingProjection()
        let runner = ProjectionRunner(journal: journal, projections: [projection], batchSize: 7, logger: logger)

        try await whileRunning(runner) {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for task in 0..<20 {
                    group.addTask {
                        for _ in 0..<10 {
                            _ = try await journal.append(
                                AppendRequest(
                                    stream: StreamName(category: "counters", id: "\(task)"),
                                    expectedVersion: .any,
                                    events: [NewEvent(type: "Appended", data: .null)]
                                )
                            )
                        }
                    }
                }
                try await group.waitForAll()
            }
            await projection.applied.wait(until: 200)
        }

        #expect(await projection.positions == Array(1...200))
    }

    @Test func aProjectionThatStartsAheadSkipsOlderEvents() async throws {
        let journal = InMemoryJournal()
        try await appendEvents(30, to: journal)
        let fresh = RecordingProjection(name: "fresh")
        let restored = RecordingProjection(name: "restored", startingAt: 10)
        let runner = ProjectionRunner(journal: journal, projections: [fresh, restored], batchSize: 8, logger: logger)

        try await whileRunning(runner) {
            await fresh.applied.wait(until: 30)
            await restored.applied.wait(until: 30)
        }

        #expect(await fresh.positions == Array(1...30))
        #expect(await restored.positions == Array(11...30))
    }

    @Test func aRunnerWhoseProjectionsAreAllAheadStartsFromTheirPosition() async throws {
        let journal = InMemoryJournal()
        try await appendEvents(12, to: journal)
        let restored = RecordingProjection(startingAt: 12)
        let runner = ProjectionRunner(journal: journal, projections: [restored], logger: logger)

        try await whileRunning(runner) {
            try await appendEvents(3, to: journal)
            await restored.applied.wait(until: 15)
        }

        #expect(await restored.positions == [13, 14, 15])
    }

    @Test func aProjectionOfSomeCategoriesIsHandedOnlyTheirEventsAndStandsAtTheEndOfEachPage() async throws {
        let journal = InMemoryJournal()
        // Positions 1…30 alternate over three categories: a, b, c, a, b, c, …
        for n in 0..<30 {
            let stream = StreamName(category: ["a", "b", "c"][n % 3], id: "\(n % 2)")
            _ = try await journal.append(AppendRequest(stream: stream, expectedVersion: .any, events: [NewEvent(type: "E", data: [:])]))
        }
        let onlyA = RecordingProjection(name: "a", categories: ["a"])
        let aAndC = RecordingProjection(name: "a+c", categories: ["c", "a"])
        let nothing = RecordingProjection(name: "none", categories: ["z"])
        let everything = RecordingProjection(name: "all")
        let runner = ProjectionRunner(journal: journal, projections: [onlyA, aAndC, nothing, everything], batchSize: 8, logger: logger)

        try await whileRunning(runner) {
            for projection in [onlyA, aAndC, nothing, everything] { await projection.applied.wait(until: 30) }
        }

        #expect(await onlyA.positions == Array(stride(from: 1, through: 30, by: 3)))
        #expect(await aAndC.positions == (1...30).filter { $0 % 3 != 2 })
        #expect(await nothing.positions == [])
        #expect(await everything.positions == Array(1...30))
        // Every page (of 8 positions) ends where the projection stands, its own events or not.
        #expect(await nothing.ends == [8, 16, 24, 30])
        #expect(await onlyA.ends == [8, 16, 24, 30])
        #expect(nothing.applied.position == 30)
    }

    /// Each projection's share of a page comes in slices of at most the slice size, in position
    /// order, every event once.
    @Test func aPageIsCutIntoSlicesPerShare() async throws {
        let journal = InMemoryJournal()
        for n in 0..<10 {
            let stream = StreamName(category: n < 7 ? "a" : "b", id: "\(n % 2)")
            _ = try await journal.append(AppendRequest(stream: stream, expectedVersion: .any, events: [NewEvent(type: "E", data: [:])]))
        }
        let page = try await journal.readAll(after: 0, limit: 100)
        let projections = [
            RecordingProjection(name: "a", categories: ["a"]), RecordingProjection(name: "ab", categories: ["a", "b"]),
            RecordingProjection(name: "all"), RecordingProjection(name: "z", categories: ["z"]),
        ]
        let shares = ProjectionRunner.slices(of: page, for: projections, size: 3)
        func positions(_ key: Set<String>?) -> [[UInt64]] { (shares[key] ?? []).map { $0.map(\.position) } }
        #expect(positions(["a"]) == [[1, 2, 3], [4, 5, 6], [7]])
        #expect(positions(["a", "b"]) == [[1, 2, 3], [4, 5, 6], [7, 8, 9], [10]])
        #expect(positions(nil) == [[1, 2, 3], [4, 5, 6], [7, 8, 9], [10]])
        #expect(positions(["z"]) == [])
        #expect(ProjectionRunner.slices(of: page, for: projections, size: 100)[nil]?.map(\.count) == [10])
    }

    @Test func startingUpTheRunnerReadsLargerPagesUntilItFirstReachesTheEndOfTheLog() async throws {
        let journal = InMemoryJournal()
        try await appendEvents(30, to: journal)
        let projection = RecordingProjection()
        let runner = ProjectionRunner(journal: journal, projections: [projection], batchSize: 4, startUpBatchSize: 16, logger: logger)

        try await whileRunning(runner) {
            await projection.applied.wait(until: 30)
            let last = try await appendEvents(20, to: journal)
            await projection.applied.wait(until: last)
        }

        let ends = await projection.ends
        #expect(Array(ends.prefix(2)) == [16, 30])
        // Once at the end, pages of at most 4 events.
        for (previous, end) in zip(ends.dropFirst(), ends.dropFirst(2)) {
            #expect(end - previous <= 4, "\(ends)")
        }
        #expect(await projection.positions == Array(1...50))
    }

    /// While starting up, a projection may hold events back from its store; it stores them at
    /// the latest when the runner reaches the end of the log, whether the last page was partial
    /// (40 events) or full, the end then found by an empty read (32).
    @Test(arguments: [32, 40])
    func eventsHeldBackWhileStartingUpAreStoredOnceTheRunnerReachesTheEndOfTheLog(count: Int) async throws {
        let journal = InMemoryJournal()
        try await appendEvents(count, to: journal)
        let projection = RecordingProjection(holdsBack: true)
        let runner = ProjectionRunner(journal: journal, projections: [projection], batchSize: 4, startUpBatchSize: 16, logger: logger)

        try await whileRunning(runner) {
            await projection.applied.wait(until: UInt64(count))
            #expect(await projection.positions == Array(1...UInt64(count)))
            #expect(await projection.deferredApplies == 2)
            // Once live, nothing is held back: each page is stored as it comes.
            let last = try await appendEvents(10, to: journal)
            await projection.applied.wait(until: last)
        }

        #expect(await projection.positions == Array(1...UInt64(count + 10)))
        #expect(await projection.deferredApplies == 2)
        // Queries never stood past what was stored.
        #expect(await projection.appliedRanAhead == false)
    }

    /// A projection that fails to store what it held back drops it; the runner hands it every
    /// event after its `applied` position again, so each still arrives exactly once.
    @Test func aProjectionThatFailsToStoreWhatItHeldIsHandedThoseEventsAgain() async throws {
        let journal = InMemoryJournal()
        try await appendEvents(32, to: journal)
        let projection = RecordingProjection(holdsBack: true)
        let other = RecordingProjection(name: "other")
        await projection.fail(times: 2)
        let runner = ProjectionRunner(
            journal: journal, projections: [projection, other], batchSize: 8, startUpBatchSize: 16, retryDelay: .milliseconds(10),
            logger: logger
        )

        try await whileRunning(runner) {
            await other.applied.wait(until: 32)
            await projection.applied.wait(until: 32)
        }

        #expect(await projection.failures == 2)
        #expect(await projection.positions == Array(1...32))
        #expect(await projection.appliedRanAhead == false)
        #expect(await other.positions == Array(1...32))
    }

    // MARK: - Failure

    @Test func aJournalReadFailureStopsTheRunnerWithTheError() async throws {
        let runner = ProjectionRunner(journal: UnreadableJournal(), projections: [RecordingProjection()], logger: logger)
        await #expect(throws: JournalError.storage("disk on fire")) {
            try await runner.run()
        }
    }
}

/// A journal whose log cannot be read.
private struct UnreadableJournal: Journal {
    func append(_ request: AppendRequest) async throws(JournalError) -> AppendResult { throw .closed }
    func readStream(_ stream: StreamName, fromVersion: UInt64, limit: Int) async throws(JournalError) -> [RecordedEvent] { [] }
    func readAll(after position: UInt64, limit: Int) async throws(JournalError) -> [RecordedEvent] {
        throw .storage("disk on fire")
    }
    func lastPosition() async throws(JournalError) -> UInt64 { 0 }
    func streamVersion(_ stream: StreamName) async throws(JournalError) -> UInt64 { 0 }
    func waitForCommit(after position: UInt64) async {}
}
