import CRM
import EventSourcing
import JSON
import Logging
import Synchronization
import Testing

@testable import Publishing

/// The publisher's policies against a bus that fails on demand: failures moto cannot produce
/// (refused entries, throttling, oversized events). The round trip through a real emulator is in
/// HTTPAPITests' `PublisherTests`.
@Suite("EventBridgePublisher", .timeLimit(.minutes(1)))
struct EventBridgePublisherTests {
    /// A bus that records what it accepts and refuses what `refuse` says, per call.
    final class ScriptedBus: EventBus {
        struct State {
            var calls: [[PutEventsEntry]] = []
            var accepted: [PutEventsEntry] = []
        }
        let state = Mutex(State())
        /// For a call (its number, from 0) and an entry, the error code to refuse it with.
        let refuse: @Sendable (Int, PutEventsEntry) -> String?
        let failCall: @Sendable (Int) -> Bool

        init(refuse: @escaping @Sendable (Int, PutEventsEntry) -> String? = { _, _ in nil }, failCall: @escaping @Sendable (Int) -> Bool = { _ in false }) {
            self.refuse = refuse
            self.failCall = failCall
        }

        func putEvents(_ entries: [PutEventsEntry]) async throws -> [PutEventsResult] {
            let call = state.withLock { state in
                state.calls.append(entries)
                return state.calls.count - 1
            }
            if failCall(call) { throw TestBusDown() }
            return state.withLock { state in
                entries.map { entry in
                    if let code = refuse(call, entry) { return PutEventsResult(errorCode: code, errorMessage: "refused by the test") }
                    state.accepted.append(entry)
                    return PutEventsResult(eventID: "event-\(state.accepted.count)")
                }
            }
        }

        var accepted: [PutEventsEntry] { state.withLock { $0.accepted } }
        var calls: [[PutEventsEntry]] { state.withLock { $0.calls } }
    }

    struct TestBusDown: Error {}

    static let configuration: PublisherConfiguration = {
        var configuration = PublisherConfiguration(
            eventBusName: "bus", region: "us-east-1", credentials: .init(accessKeyID: "A", secretAccessKey: "B")
        )
        configuration.initialBackoff = .milliseconds(1)
        configuration.maxBackoff = .milliseconds(5)
        configuration.readModelWait = .milliseconds(1)
        return configuration
    }()

    /// Appends `versions` changes of the name of each of `records` clients, round-robin (so
    /// each page interleaves records); `bigName` makes one record's names huge.
    static func populate(_ journal: InMemoryJournal, records: Int, versions: Int, bigNameFor: Int? = nil) async throws {
        let aggregate = SalesforceRecord(type: .clients)
        for version in 1...versions {
            for record in 0..<records {
                let name = record == bigNameFor ? String(repeating: "x", count: 300_000) : "client \(record) v\(version)"
                let event = RecordEvent(
                    kind: version == 1 ? .created : .updated,
                    body: ChangeBody(fields: ["Name": .string(name)]),
                    facts: ChangeFacts(source: .cdc, entity: "Account", commitTimestamp: 1_700_000_000_000 + Int64(version))
                )
                _ = try await journal.append(AppendRequest(
                    stream: StreamName(category: "clients", id: "001T10000000\(1000 + record)AAA"),
                    expectedVersion: .exact(UInt64(version - 1)),
                    events: [aggregate.encode(event)]
                ))
            }
        }
    }

    /// Runs a publisher over `journal` until `until` holds of the bus (or a deadline passes).
    static func publish(
        _ journal: InMemoryJournal,
        to bus: ScriptedBus,
        checkpoint: InMemoryPublisherCheckpoint = InMemoryPublisherCheckpoint(),
        configuration: PublisherConfiguration = configuration,
        until done: @escaping @Sendable (EventBridgePublisher) -> Bool
    ) async throws -> PublisherStatus {
        var logger = Logger(label: "publisher-test")
        logger.logLevel = .critical
        let publisher = EventBridgePublisher(
            configuration: configuration, bus: bus, journal: journal,
            readModels: try ReadModels(mappings: .defaults), checkpoint: checkpoint, logger: logger
        )
        let task = Task { try await publisher.run() }
        let deadline = ContinuousClock.now + .seconds(20)
        while !done(publisher), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(2))
        }
        task.cancel()
        _ = try? await task.value
        return publisher.status
    }

    static func detail(_ entry: PutEventsEntry) throws -> JSONValue {
        try JSONValue(parsing: entry.detail)
    }

    /// Checks each record's versions were accepted in order (duplicates aside) and all arrived.
    static func expectEveryVersionInOrder(_ accepted: [PutEventsEntry], records: Int, versions: Int) throws {
        var last: [String: Int64] = [:]
        for entry in accepted {
            let detail = try detail(entry)
            let id = try #require(detail["recordId"]?.stringValue)
            let version = try #require(detail["version"]?.int64Value)
            guard version > last[id] ?? 0 else { continue }
            #expect(version == (last[id] ?? 0) + 1, "\(id): \(version) after \(last[id] ?? 0)")
            last[id] = version
        }
        #expect(last.count == records && last.values.allSatisfy { $0 == Int64(versions) })
    }

    // MARK: - Batching

    @Test func callsHoldAtMostTenEntriesAndNeverTwoEventsOfOneRecord() async throws {
        let journal = InMemoryJournal()
        try await Self.populate(journal, records: 3, versions: 8)
        let bus = ScriptedBus()
        _ = try await Self.publish(journal, to: bus) { $0.status.position == 24 }
        for call in bus.calls {
            #expect(call.count <= 10)
            let ids = try call.map { try Self.detail($0)["recordId"]?.stringValue ?? "" }
            #expect(Set(ids).count == ids.count)
        }
        try Self.expectEveryVersionInOrder(bus.accepted, records: 3, versions: 8)
    }

    @Test func eachEventCarriesTheViewAfterItFoldedFromTheJournal() async throws {
        let journal = InMemoryJournal()
        try await Self.populate(journal, records: 2, versions: 3)
        let bus = ScriptedBus()
        _ = try await Self.publish(journal, to: bus) { $0.status.position == 6 }
        for entry in bus.accepted {
            let detail = try Self.detail(entry)
            let version = try #require(detail["version"]?.int64Value)
            #expect(entry.detailType == (version == 1 ? "ClientCreated" : "ClientUpdated"))
            #expect(detail["record"]?["version"]?.int64Value == version)
            let name = try #require(detail["record"]?["fields"]?["name"]?.stringValue)
            #expect(name.hasSuffix(" v\(version)"))
        }
    }

    // MARK: - Failures

    @Test func refusedEntriesAreSentAgainAndOnlyThey() async throws {
        let journal = InMemoryJournal()
        try await Self.populate(journal, records: 5, versions: 4)
        // Every other entry of the first 6 calls is refused, as EventBridge does under load.
        let bus = ScriptedBus(refuse: { call, entry in
            call < 6 && entry.detail.count % 2 == 0 ? "InternalFailure" : nil
        })
        let status = try await Self.publish(journal, to: bus) { $0.status.position == 20 }
        #expect(status.retriedEntries > 0)
        #expect(status.published == 20)
        #expect(bus.accepted.count == 20)
        try Self.expectEveryVersionInOrder(bus.accepted, records: 5, versions: 4)
    }

    @Test func failedCallsAreRetriedWithoutLosingOrReordering() async throws {
        let journal = InMemoryJournal()
        try await Self.populate(journal, records: 4, versions: 5)
        let bus = ScriptedBus(failCall: { $0 % 3 == 0 })
        let status = try await Self.publish(journal, to: bus) { $0.status.position == 20 }
        #expect(status.failedCalls > 0)
        try Self.expectEveryVersionInOrder(bus.accepted, records: 4, versions: 5)
    }

    @Test func anEntryRefusedForGoodHoldsThePublisherBackUntilTheBusAcceptsIt() async throws {
        let journal = InMemoryJournal()
        try await Self.populate(journal, records: 3, versions: 2)
        // The bus refuses position 2 (say a bus policy denies it) for its first 8 calls, then
        // the operator fixes the policy.
        let bus = ScriptedBus(refuse: { call, entry in
            call < 8 && (try? JSONValue(parsing: entry.detail))?["position"] == 2 ? "AccessDeniedException" : nil
        })
        let checkpoint = InMemoryPublisherCheckpoint()
        let status = try await Self.publish(journal, to: bus, checkpoint: checkpoint) { $0.status.position == 6 }
        #expect(status.rejectedEntries >= 7)
        #expect(status.lastError == nil)
        #expect(bus.accepted.count == 6)
        // Nothing of a later call (positions past 3, its batch) went out before it.
        let order = try bus.accepted.map { try #require(Self.detail($0)["position"]?.int64Value) }
        #expect(order.firstIndex(of: 2).map { index in order[..<index].allSatisfy { $0 <= 3 } } == true, "\(order)")
        try Self.expectEveryVersionInOrder(bus.accepted, records: 3, versions: 2)
        #expect(checkpoint.load() == 6)
    }

    @Test func aPublisherStuckOnARefusedEntryNeverMovesItsCheckpointPastIt() async throws {
        let journal = InMemoryJournal()
        try await Self.populate(journal, records: 3, versions: 2)
        let bus = ScriptedBus(refuse: { _, entry in
            (try? JSONValue(parsing: entry.detail))?["position"] == 2 ? "MalformedDetail" : nil
        })
        let checkpoint = InMemoryPublisherCheckpoint()
        let status = try await Self.publish(journal, to: bus, checkpoint: checkpoint) { $0.status.rejectedEntries >= 5 }
        #expect(status.position < 2)
        #expect(checkpoint.load() < 2)
        #expect(status.lastError?.contains("MalformedDetail") == true)
    }

    @Test func theCheckpointNeverPassesAnEventTheBusHasNotAccepted() async throws {
        let journal = InMemoryJournal()
        try await Self.populate(journal, records: 2, versions: 10)
        let checkpoint = InMemoryPublisherCheckpoint()
        // The bus accepts the first two calls, then refuses everything (transiently).
        let bus = ScriptedBus(refuse: { call, _ in call >= 2 ? "ThrottlingException" : nil })
        _ = try await Self.publish(journal, to: bus, checkpoint: checkpoint) { $0.status.retriedEntries >= 10 }
        let acceptedPositions = try bus.accepted.map { try #require(Self.detail($0)["position"]?.int64Value) }
        let saved = checkpoint.load()
        #expect(saved > 0)
        #expect(UInt64(acceptedPositions.max() ?? 0) >= saved)
        #expect(Set(acceptedPositions).count == Int(saved), "every position up to the checkpoint was accepted")

        // A publisher started again from that checkpoint publishes the rest, once.
        let healthy = ScriptedBus()
        _ = try await Self.publish(journal, to: healthy, checkpoint: checkpoint) { $0.status.position == 20 }
        #expect(healthy.accepted.count == 20 - Int(saved))
        try Self.expectEveryVersionInOrder(bus.accepted + healthy.accepted, records: 2, versions: 10)
    }

    @Test func anEventTooLargeForOneEntryGoesAsAReference() async throws {
        let journal = InMemoryJournal()
        try await Self.populate(journal, records: 3, versions: 1, bigNameFor: 1)
        let bus = ScriptedBus()
        let status = try await Self.publish(journal, to: bus) { $0.status.position == 3 }
        #expect(status.publishedAsReferences == 1)
        #expect(bus.accepted.count == 3)
        #expect(bus.accepted.allSatisfy { $0.size <= 256 * 1024 })
        let reference = try #require(try bus.accepted.map(Self.detail).first { $0["reference"] != nil })
        #expect(reference["record"] == .null)
        #expect(reference["reference"]?["events"]?.stringValue == "/v1/clients/\(reference["recordId"]?.stringValue ?? "")/events")
        #expect(bus.calls.allSatisfy { $0.reduce(0) { $0 + $1.size } <= 256 * 1024 })
    }
}
