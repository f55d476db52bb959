@testable import CRM
import EventSourcing
import JSON
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

    @Test func viewsFollowEventsAndIgnoreOtherTypes() async {
        let projection = RecordProjection(mapping: .defaultClient)
        await projection.apply([
            recorded(.created, id: "b", position: 1, version: 1, at: 10, fields: ["Name": "B"]),
            recorded(.updated, id: "b", position: 2, version: 2, at: 20, fields: ["Industry": "Energy"]),
            RecordedEvent(
                position: 3, stream: StreamName(category: "deals", id: "006"), version: 1, type: "DealCreated",
                recordedAt: .now(), metadata: ["source": "cdc", "entity": "Opportunity"], data: ["fields": [:]]
            ),
        ])
        let view = await projection.view(id: "b")
        #expect(view?.version == 2)
        #expect(view?.position == 2)
        #expect(view?.fields["name"] == "B")
        #expect(view?.fields["industry"] == "Energy")
        #expect(await projection.count == 1)
        #expect(await projection.undecodableEvents == 0)
    }

    @Test func listsPageInIDOrderAndHideDeletedRecords() async {
        let projection = RecordProjection(mapping: .defaultClient)
        var events: [RecordedEvent] = []
        for (offset, id) in ["c", "a", "e", "b", "d"].enumerated() {
            events.append(recorded(.created, id: id, position: UInt64(offset + 1), version: 1, at: 10, fields: ["Name": .string(id)]))
        }
        events.append(recorded(.deleted, id: "b", position: 6, version: 2, at: 20))
        await projection.apply(events)

        let first = await projection.list(RecordQuery(limit: 2))
        #expect(first.items.map(\.id) == ["a", "c"])
        #expect(first.next == "c")
        let second = await projection.list(RecordQuery(after: first.next, limit: 2))
        #expect(second.items.map(\.id) == ["d", "e"])
        #expect(second.next == nil)
        let all = await projection.list(RecordQuery(includeDeleted: true, limit: 10))
        #expect(all.items.map(\.id) == ["a", "b", "c", "d", "e"])
        let filtered = await projection.list(RecordQuery(filters: ["name": "d"], limit: 10))
        #expect(filtered.items.map(\.id) == ["d"])
    }

    @Test func filtersOnAReferenceFieldFollowChangesAndPageInIDOrder() async {
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
        await projection.apply([
            deal("d3", account: "A", position: 1), deal("d1", account: "A", position: 2), deal("d2", account: "B", position: 3),
            deal("d4", account: "A", position: 4),
        ])
        // d4 moves to another account; the filter must follow.
        await projection.apply([deal("d4", account: "B", position: 5, version: 2, kind: .updated)])

        let first = await projection.list(RecordQuery(filters: ["clientId": "A"], limit: 1))
        #expect(first.items.map(\.id) == ["d1"])
        let rest = await projection.list(RecordQuery(filters: ["clientId": "A"], after: first.next, limit: 10))
        #expect(rest.items.map(\.id) == ["d3"])
        let both = await projection.list(RecordQuery(filters: ["clientId": "B", "name": "d4"], limit: 10))
        #expect(both.items.map(\.id) == ["d4"])
        #expect(await projection.list(RecordQuery(filters: ["clientId": "nobody"], limit: 10)).items.isEmpty)
    }
}
