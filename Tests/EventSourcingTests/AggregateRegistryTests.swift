import EventSourcing
import JSON
import Logging
import Testing

@Suite("AggregateRegistry", .timeLimit(.minutes(2)))
struct AggregateRegistryTests {
    let stream = StreamName(category: "counters", id: "001")
    let farFuture = ContinuousClock.now + .seconds(365 * 86_400)

    func registry(_ journal: some Journal, configuration: RegistryConfiguration = .init()) -> AggregateRegistry<Counter> {
        AggregateRegistry(journal: journal, aggregates: ["counters": Counter()], configuration: configuration)
    }

    // MARK: - Activation

    @Test func concurrentFirstRequestsShareOneActivationAndOneRecovery() async throws {
        let journal = InstrumentedJournal(yields: 8)
        _ = try await journal.append(
            AppendRequest(stream: stream, expectedVersion: .exact(0), events: Array(repeating: Counter().encode(.incremented), count: 5))
        )
        let registry = registry(journal)

        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<200 {
                group.addTask { _ = try await registry.handle(.increment, on: stream) }
            }
            try await group.waitForAll()
        }

        #expect(registry.statistics.activations == 1)
        #expect(registry.statistics.resident == 1)
        #expect(journal.readStreamCalls(stream) == 1)
        let current = try await registry.current(stream)
        #expect(current.state.count == 205)
        #expect(current.version == 205)
        #expect(journal.maxAppendsInFlight == 1)
    }

    @Test func differentRecordsGetDifferentActors() async throws {
        let journal = InMemoryJournal()
        let registry = registry(journal)
        let other = StreamName(category: "counters", id: "002")

        _ = try await registry.handle(.add(3), on: stream)
        _ = try await registry.handle(.increment, on: other)

        #expect(registry.statistics.activations == 2)
        #expect(registry.statistics.resident == 2)
        #expect(try await registry.current(stream).state.count == 3)
        #expect(try await registry.current(other).state.count == 1)
        #expect(try await journal.streamVersion(other) == 1)
    }

    @Test func unknownCategoryIsRefused() async throws {
        let registry = registry(InMemoryJournal())

        await #expect(throws: RegistryError<Counter.Rejection>.unknownCategory("widgets")) {
            try await registry.handle(.increment, on: StreamName(category: "widgets", id: "1"))
        }
        #expect(registry.statistics.activations == 0)
    }

    @Test func commandFailuresComeBackWrapped() async throws {
        let registry = registry(InMemoryJournal())
        _ = try await registry.handle(.add(2), on: stream)

        await #expect(throws: RegistryError<Counter.Rejection>.command(.rejected(.above(limit: 1, count: 2)))) {
            try await registry.handle(.failIfAbove(1), on: stream)
        }
        await #expect(throws: RegistryError<Counter.Rejection>.command(.versionConflict(expected: 7, actual: 2))) {
            try await registry.handle(.increment, on: stream, expectedVersion: 7)
        }
    }

    // MARK: - Passivation

    @Test func passivationDropsIdleRecordsAndTheyComeBackFromTheJournal() async throws {
        let journal = InstrumentedJournal(yields: 0)
        let registry = registry(journal)
        let other = StreamName(category: "counters", id: "002")
        _ = try await registry.handle(.add(4), on: stream)
        _ = try await registry.handle(.increment, on: other)
        let before = try await registry.current(stream)

        let removed = await registry.passivateIdle(now: farFuture)

        #expect(removed == 2)
        #expect(registry.statistics.resident == 0)
        #expect(registry.statistics.passivations == 2)
        let after = try await registry.current(stream)
        #expect(after.state == before.state)
        #expect(after.version == before.version)
        #expect(after.position == before.position)
        #expect(registry.statistics.activations == 3)
        #expect(journal.readStreamCalls(stream) == 2)
        let receipt = try await registry.handle(.increment, on: stream)
        #expect(receipt.version == 5)
    }

    @Test func recentlyUsedRecordsStayResident() async throws {
        let registry = registry(InMemoryJournal(), configuration: RegistryConfiguration(idleTimeout: .seconds(300)))
        _ = try await registry.handle(.increment, on: stream)

        #expect(await registry.passivateIdle(now: .now) == 0)
        #expect(registry.statistics.resident == 1)
        #expect(registry.statistics.passivations == 0)
    }

    @Test func aRecordWithACommandInFlightIsNotPassivated() async throws {
        let gate = PositionWatch()
        let journal = InstrumentedJournal(yields: 0, appendGate: gate)
        let registry = registry(journal)

        try await withThrowingTaskGroup(of: CommandReceipt.self) { group in
            group.addTask { try await registry.handle(.increment, on: stream) }
            // The command is now inside the journal append, held at the gate.
            await journal.appendArrivals.wait(until: 1)

            #expect(await registry.passivateIdle(now: farFuture) == 0)
            #expect(registry.statistics.resident == 1)

            gate.advance(to: 1)
            let receipt = try await group.next()
            #expect(receipt?.version == 1)
        }

        #expect(await registry.passivateIdle(now: farFuture) == 1)
        #expect(registry.statistics.resident == 0)
        #expect(try await registry.current(stream).state.count == 1)
    }

    @Test func passivationRunnerSweepsIdleRecordsUntilCancelled() async throws {
        let registry = registry(
            InMemoryJournal(),
            configuration: RegistryConfiguration(idleTimeout: .zero, sweepInterval: .milliseconds(5))
        )
        _ = try await registry.handle(.increment, on: stream)
        #expect(registry.statistics.resident == 1)

        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await PassivationRunner(registry: registry, logger: .init(label: "test")).run() }
            let deadline = ContinuousClock.now + .seconds(30)
            while registry.statistics.resident > 0, ContinuousClock.now < deadline {
                await Task.yield()
            }
            group.cancelAll()
            try await group.waitForAll()
        }

        #expect(registry.statistics.resident == 0)
        #expect(registry.statistics.passivations == 1)
        #expect(try await registry.current(stream).state.count == 1)
    }
}
