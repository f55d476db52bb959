@testable import CRM
import EventSourcing
import JSON
import Synchronization
import Testing

@Suite("RecordProjection")
struct RecordProjectionTests {
    private func recorded(_ kind: RecordEventKind, id: String, position: UInt64, version: UInt64, at time: Int64, fields: JSONObject = [:]) -> RecordedEvent {
        let event = RecordEvent(
            kind: kind,
            body: ChangeBody(fields: fields),
            facts: ChangeFacts(source: .cdc, entity: "Account", commitTimestamp: time)
        )
        let stored = SalesforceRecord(type: .clients).encode(event)
        return RecordedEvent(
            position: position, stream: StreamName(category: "clients", id: id), version: version, type: stored.type,
            recordedAt: Timestamp(millisecondsSinceEpoch: time), metadata: stored.metadata, data: stored.data
        )
    }

    @Test func viewsFollowEventsAndIgnoreOtherTypes() async throws {
        let projection = RecordProjection(mapping: .defaultClient)
        try await projection.apply([
            recorded(.created, id: "b", position: 1, version: 1, at: 10, fields: ["Name": "B"]),
            recorded(.updated, id: "b", position: 2, version: 2, at: 20, fields: ["Industry": "Energy"]),
            RecordedEvent(
                position: 3, stream: StreamName(category: "deals", id: "006"), version: 1, type: "DealCreated",
                recordedAt: .now(), metadata: ["source": "cdc", "entity": "Opportunity"], data: ["fields": [:]]
            ),
        ])
        let view = try await projection.view(id: "b")
        #expect(view?.version == 2)
        #expect(view?.position == 2)
        #expect(view?.fields["name"] == "B")
        #expect(view?.fields["industry"] == "Energy")
        #expect(await projection.count == 1)
        #expect(await projection.undecodableEvents == 0)
        // The stored JSON the record route serves is the view's own rendering.
        #expect(try projection.viewJSON(id: "b") == view?.json.jsonBytes())
        #expect(try projection.viewJSON(id: "nobody") == nil)
    }

    @Test(arguments: [false, true])
    func aViewWrittenStraightOutIsTheBytesOfItsJSONValue(deleted: Bool) {
        let view = RecordView(
            id: "001\"quoted\\ \u{1}",
            recordType: .clients,
            version: 12_345_678_901,
            deleted: deleted,
            position: 98_765,
            updatedAt: Timestamp(millisecondsSinceEpoch: 1_654_900_954_007),
            fields: ["name": "Zoë \"A\"\n", "revenue": .number(JSONNumber(Int64(-42))), "address": ["city": "Köln"], "tags": [1, "two", nil, true]]
        )
        #expect(view.jsonBytes() == view.json.jsonBytes())
        #expect(RecordView(id: "x", recordType: .deals, version: 0, deleted: deleted, position: 0, updatedAt: .init(millisecondsSinceEpoch: 0), fields: [:]).jsonBytes()
            == RecordView(id: "x", recordType: .deals, version: 0, deleted: deleted, position: 0, updatedAt: .init(millisecondsSinceEpoch: 0), fields: [:]).json.jsonBytes())
    }

    @Test func listsPageInIDOrderAndHideDeletedRecords() async throws {
        let projection = RecordProjection(mapping: .defaultClient)
        var events: [RecordedEvent] = []
        for (offset, id) in ["c", "a", "e", "b", "d"].enumerated() {
            events.append(recorded(.created, id: id, position: UInt64(offset + 1), version: 1, at: 10, fields: ["Name": .string(id)]))
        }
        events.append(recorded(.deleted, id: "b", position: 6, version: 2, at: 20))
        try await projection.apply(events)

        let first = try await projection.list(RecordQuery(limit: 2))
        #expect(first.items.map(\.id) == ["a", "c"])
        #expect(first.next == "c")
        let second = try await projection.list(RecordQuery(after: first.next, limit: 2))
        #expect(second.items.map(\.id) == ["d", "e"])
        #expect(second.next == nil)
        let all = try await projection.list(RecordQuery(includeDeleted: true, limit: 10))
        #expect(all.items.map(\.id) == ["a", "b", "c", "d", "e"])
        let filtered = try await projection.list(RecordQuery(filters: ["name": "d"], limit: 10))
        #expect(filtered.items.map(\.id) == ["d"])
    }

    @Test func filtersOnAReferenceFieldFollowChangesAndPageInIDOrder() async throws {
        let projection = RecordProjection(mapping: .defaultDeal)
        func deal(_ id: String, account: String, position: UInt64, version: UInt64 = 1, kind: RecordEventKind = .created) -> RecordedEvent {
            let event = RecordEvent(
                kind: kind, body: ChangeBody(fields: ["AccountId": .string(account), "Name": .string(id)]),
                facts: ChangeFacts(source: .cdc, entity: "Opportunity", commitTimestamp: Int64(position))
            )
            let stored = SalesforceRecord(type: .deals).encode(event)
            return RecordedEvent(
                position: position, stream: StreamName(category: "deals", id: id), version: version, type: stored.type,
                recordedAt: .now(), metadata: stored.metadata, data: stored.data
            )
        }
        try await projection.apply([
            deal("d3", account: "A", position: 1), deal("d1", account: "A", position: 2), deal("d2", account: "B", position: 3),
            deal("d4", account: "A", position: 4),
        ])
        // d4 moves to another account; the filter must follow.
        try await projection.apply([deal("d4", account: "B", position: 5, version: 2, kind: .updated)])

        let first = try await projection.list(RecordQuery(filters: ["clientId": "A"], limit: 1))
        #expect(first.items.map(\.id) == ["d1"])
        let rest = try await projection.list(RecordQuery(filters: ["clientId": "A"], after: first.next, limit: 10))
        #expect(rest.items.map(\.id) == ["d3"])
        let both = try await projection.list(RecordQuery(filters: ["clientId": "B", "name": "d4"], limit: 10))
        #expect(both.items.map(\.id) == ["d4"])
        #expect(try await projection.list(RecordQuery(filters: ["clientId": "nobody"], limit: 10)).items.isEmpty)
    }

    @Test func aReferenceListSkipsDeletedRecordsAndStillFillsItsPage() async throws {
        let projection = RecordProjection(mapping: .defaultDeal)
        var events: [RecordedEvent] = []
        for index in 0..<7 {
            let event = RecordEvent(
                kind: .created, body: ChangeBody(fields: ["AccountId": "A", "Name": .string("d\(index)")]),
                facts: ChangeFacts(source: .cdc, entity: "Opportunity", commitTimestamp: 1)
            )
            let stored = SalesforceRecord(type: .deals).encode(event)
            events.append(RecordedEvent(
                position: UInt64(index + 1), stream: StreamName(category: "deals", id: "d\(index)"), version: 1, type: stored.type,
                recordedAt: .now(), metadata: stored.metadata, data: stored.data
            ))
        }
        try await projection.apply(events)
        var deletions: [RecordedEvent] = []
        for (offset, index) in [0, 1, 2, 4].enumerated() {
            let stored = SalesforceRecord(type: .deals).encode(
                RecordEvent(kind: .deleted, body: ChangeBody(fields: [:]), facts: ChangeFacts(source: .cdc, entity: "Opportunity", commitTimestamp: 2))
            )
            deletions.append(RecordedEvent(
                position: UInt64(8 + offset), stream: StreamName(category: "deals", id: "d\(index)"), version: 2, type: stored.type,
                recordedAt: .now(), metadata: stored.metadata, data: stored.data
            ))
        }
        try await projection.apply(deletions)
        let page = try await projection.list(RecordQuery(filters: ["clientId": "A"], limit: 2))
        #expect(page.items.map(\.id) == ["d3", "d5"])
        #expect(page.next == "d5")
        let last = try await projection.list(RecordQuery(filters: ["clientId": "A"], after: page.next, limit: 2))
        #expect(last.items.map(\.id) == ["d6"])
        #expect(last.next == nil)
        #expect(try await projection.records(referencing: "A", through: "clientId").map(\.id) == ["d3", "d5", "d6"])
        #expect(try await projection.records(referencing: "A", through: "clientId", includeDeleted: true).count == 7)
    }

    @Test func aListExaminesAtMostItsScanBudgetAndHandsOnACursor() async throws {
        let projection = RecordProjection(mapping: .defaultClient)
        let count = RecordProjection.scanBudget + 50
        let events = (0..<count).map { index in
            recorded(.created, id: String(format: "c%06d", index), position: UInt64(index + 1), version: 1, at: 10,
                     fields: ["Name": .string(index == count - 1 ? "needle" : "hay")])
        }
        try await projection.apply(events)
        let first = try await projection.list(RecordQuery(filters: ["name": "needle"], limit: 10))
        #expect(first.items.isEmpty)
        #expect(first.next == String(format: "c%06d", RecordProjection.scanBudget - 1))
        let second = try await projection.list(RecordQuery(filters: ["name": "needle"], after: first.next, limit: 10))
        #expect(second.items.map(\.id) == [String(format: "c%06d", count - 1)])
        #expect(second.next == nil)
    }

    @Test func aReferenceFilterOnAValueTooLongToIndexStillFindsItsRecords() async throws {
        let projection = RecordProjection(mapping: .defaultDeal)
        let long = String(repeating: "x", count: 100)
        let stored = SalesforceRecord(type: .deals).encode(RecordEvent(
            kind: .created, body: ChangeBody(fields: ["AccountId": .string(long), "Name": "d"]),
            facts: ChangeFacts(source: .cdc, entity: "Opportunity", commitTimestamp: 1)
        ))
        try await projection.apply([RecordedEvent(
            position: 1, stream: StreamName(category: "deals", id: "d1"), version: 1, type: stored.type,
            recordedAt: .now(), metadata: stored.metadata, data: stored.data
        )])
        #expect(try await projection.list(RecordQuery(filters: ["clientId": long])).items.map(\.id) == ["d1"])
        #expect(try await projection.records(referencing: long, through: "clientId").isEmpty)
    }

    @Test func aProjectionReopenedOnItsStoreResumesWithItsViewsCountsAndCheckpoint() async throws {
        let store = InMemoryProjectionStore()
        let first = try RecordProjection(mapping: .defaultClient, store: store)
        try await first.apply([
            recorded(.created, id: "a", position: 1, version: 1, at: 10, fields: ["Name": "A"]),
            recorded(.created, id: "b", position: 2, version: 1, at: 10, fields: ["Name": "B"]),
            RecordedEvent(
                position: 3, stream: StreamName(category: "clients", id: "c"), version: 1, type: "ClientExploded",
                recordedAt: .now(), metadata: [:], data: [:]
            ),
        ])
        let reopened = try RecordProjection(mapping: .defaultClient, store: store)
        #expect(reopened.applied.position == 3)
        #expect(await reopened.count == 2)
        #expect(await reopened.undecodableEvents == 1)
        #expect(try await reopened.view(id: "a") == first.view(id: "a"))
        try await reopened.apply([recorded(.updated, id: "a", position: 4, version: 2, at: 20, fields: ["Industry": "Energy"])])
        let view = try await reopened.view(id: "a")
        #expect(view?.fields["name"] == "A")
        #expect(view?.fields["industry"] == "Energy")
        #expect(view?.version == 2)
        #expect(await reopened.count == 2)
    }

    @Test func aFailedCommitLeavesTheProjectionAsItWasAndTheSameEventsApplyLater() async throws {
        let store = FailingStore()
        let projection = try RecordProjection(mapping: .defaultClient, store: store)
        try await projection.apply([recorded(.created, id: "a", position: 1, version: 1, at: 10, fields: ["Name": "A"])])
        store.failing = true
        let update = [recorded(.updated, id: "a", position: 2, version: 2, at: 20, fields: ["Name": "Renamed"])]
        await #expect(throws: FailingStore.DiskFull.self) { try await projection.apply(update) }
        #expect(try await projection.view(id: "a")?.fields["name"] == "A")
        store.failing = false
        try await projection.apply(update)
        #expect(try await projection.view(id: "a")?.fields["name"] == "Renamed")
        #expect(try await projection.view(id: "a")?.version == 2)
        #expect(await projection.count == 1)
    }

    /// Deals over a few accounts: creates, moves between accounts, deletes and undeletes, a gap,
    /// and one event that does not decode; deterministic.
    private func dealHistory(count: Int) -> [RecordedEvent] {
        var versions: [String: UInt64] = [:]
        var events: [RecordedEvent] = []
        var state: UInt64 = 7
        for position in 1...UInt64(count) {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let id = "006D\(state >> 60)"
            let version = (versions[id] ?? 0) + 1
            versions[id] = version
            if position == UInt64(count / 2) {
                events.append(RecordedEvent(
                    position: position, stream: StreamName(category: "deals", id: id), version: version, type: "DealExploded",
                    recordedAt: .now(), metadata: [:], data: [:]
                ))
                continue
            }
            let kinds: [RecordEventKind] = [.created, .updated, .updated, .deleted, .undeleted, .gapReported]
            let kind = version == 1 ? .created : kinds[Int((state >> 40) % UInt64(kinds.count))]
            let account = "001A\((state >> 50) % 3)"
            let event = RecordEvent(
                kind: kind, body: ChangeBody(fields: ["AccountId": .string(account), "Name": .string("deal \(position)")]),
                facts: ChangeFacts(source: .cdc, entity: "Opportunity", commitTimestamp: Int64(position)),
                rereadReason: kind == .gapReported ? "GAP_UPDATE" : nil
            )
            let stored = SalesforceRecord(type: .deals).encode(event)
            events.append(RecordedEvent(
                position: position, stream: StreamName(category: "deals", id: id), version: version, type: stored.type,
                recordedAt: Timestamp(millisecondsSinceEpoch: Int64(position)), metadata: stored.metadata, data: stored.data
            ))
        }
        return events
    }

    /// What a deal read model shows: every view's stored JSON, each account's deals through the
    /// reference index, the counters and the stored checkpoint.
    private func contents(of projection: RecordProjection, store: InMemoryProjectionStore) async throws -> [String] {
        var shown: [String] = []
        for number in 0..<16 {
            let json = try projection.viewJSON(id: "006D\(number)")
            shown.append(json.map { String(decoding: $0, as: UTF8.self) } ?? "none")
        }
        for account in 0..<3 {
            let page = try await projection.list(RecordQuery(filters: ["clientId": "001A\(account)"], includeDeleted: true, limit: 100))
            shown.append(page.items.map(\.id).joined(separator: ","))
        }
        shown.append("count \(await projection.count), undecodable \(await projection.undecodableEvents)")
        shown.append("checkpoint \(store.checkpoint().position)")
        return shown
    }

    /// Held back while deferring, records are stored as they would have been event by event: the
    /// same views, reference index and counters once a call without deferring stores them, and
    /// nothing of them visible before.
    @Test(arguments: [1, 4, 1000])
    func recordsHeldBackWhileDeferringAreStoredAsAppliedOneByOne(heldLimit: Int) async throws {
        let events = dealHistory(count: 120)
        let eagerStore = InMemoryProjectionStore()
        let eager = try RecordProjection(mapping: .defaultDeal, store: eagerStore)
        for start in stride(from: 0, to: events.count, by: 5) {
            try await eager.apply(Array(events[start..<min(events.count, start + 5)]))
        }
        let store = InMemoryProjectionStore()
        let deferred = try RecordProjection(mapping: .defaultDeal, store: store, heldLimit: heldLimit)
        var shownBefore: UInt64 = 0
        for start in stride(from: 0, to: events.count, by: 5) {
            let slice = Array(events[start..<min(events.count, start + 5)])
            let shown = try await deferred.apply(slice, through: slice[slice.count - 1].position, deferring: true)
            #expect(shown >= shownBefore && shown <= slice[slice.count - 1].position)
            #expect(store.checkpoint().position == shown)
            shownBefore = shown
        }
        if heldLimit == 1000 {
            // Nothing was stored: queries see none of it yet.
            #expect(shownBefore == 0)
            #expect(try await contents(of: deferred, store: store).prefix(16).allSatisfy { $0 == "none" })
        }
        #expect(try await deferred.apply([], through: 120, deferring: false) == 120)
        #expect(try await contents(of: deferred, store: store) == contents(of: eager, store: eagerStore))
    }

    /// A store that fails while records are held back drops them: the projection stands where it
    /// stood, and the same events applied again count each record once.
    @Test func aFailedStoreDropsTheRecordsHeldBack() async throws {
        let store = FailingStore()
        let projection = try RecordProjection(mapping: .defaultClient, store: store)
        let creates = [
            recorded(.created, id: "a", position: 1, version: 1, at: 10, fields: ["Name": "A"]),
            recorded(.created, id: "b", position: 2, version: 1, at: 10, fields: ["Name": "B"]),
            RecordedEvent(
                position: 3, stream: StreamName(category: "clients", id: "c"), version: 1, type: "ClientExploded",
                recordedAt: .now(), metadata: [:], data: [:]
            ),
        ]
        #expect(try await projection.apply(creates, through: 3, deferring: true) == 0)
        store.failing = true
        await #expect(throws: FailingStore.DiskFull.self) { _ = try await projection.apply([], through: 3, deferring: false) }
        store.failing = false
        #expect(try await projection.view(id: "a") == nil)
        #expect(await projection.count == 0)
        // The runner hands it the events after its `applied` position (0) again.
        #expect(try await projection.apply(creates, through: 3, deferring: true) == 0)
        #expect(try await projection.apply([], through: 3, deferring: false) == 3)
        #expect(try await projection.view(id: "a")?.fields["name"] == "A")
        #expect(await projection.count == 2)
        #expect(await projection.undecodableEvents == 1)
    }

    @Test func otherTypesEventsMoveTheStoredCheckpointOnlyEveryFewPositions() async throws {
        let store = InMemoryProjectionStore()
        let projection = try RecordProjection(mapping: .defaultClient, store: store)
        func deal(at position: UInt64) -> RecordedEvent {
            RecordedEvent(
                position: position, stream: StreamName(category: "deals", id: "006"), version: position, type: "DealCreated",
                recordedAt: .now(), metadata: [:], data: [:]
            )
        }
        try await projection.apply([deal(at: 5)])
        #expect(store.checkpoint().position == 0)
        try await projection.apply([deal(at: RecordProjection.checkpointLag + 1)])
        #expect(store.checkpoint().position == RecordProjection.checkpointLag + 1)
    }
}

/// A store that can be made to fail its commits, as a full disk does.
final class FailingStore: ProjectionStore {
    struct DiskFull: Error {}
    private let inner = InMemoryProjectionStore()
    private let failingNow = Atomic(false)
    /// Whether commits fail.
    var failing: Bool {
        get { failingNow.load(ordering: .relaxed) }
        set { failingNow.store(newValue, ordering: .relaxed) }
    }

    func checkpoint() throws -> ProjectionCheckpoint { inner.checkpoint() }
    func values(forKeys keys: [[UInt8]]) throws -> [[UInt8]?] { inner.values(forKeys: keys) }
    func scan(from start: [UInt8], _ visit: (_ key: [UInt8], _ value: [UInt8]) throws -> Bool) throws {
        try inner.scan(from: start, visit)
    }
    func commit(_ changes: ProjectionChanges) throws {
        if failing { throw DiskFull() }
        inner.commit(changes)
    }
}
