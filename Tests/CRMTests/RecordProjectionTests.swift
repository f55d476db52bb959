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
}
