import CRM
import EventSourcing
import Ingestion
import JSON
import Testing

@Suite("ChangeIngestor")
struct ChangeIngestorTests {
    private let journal = InMemoryJournal()
    private let registry: AggregateRegistry<SalesforceRecord>
    private let ingestor: ChangeIngestor

    init() {
        registry = AggregateRegistry(journal: journal, aggregates: ["clients": SalesforceRecord(type: .clients)])
        ingestor = ChangeIngestor(
            registry: registry,
            mappings: .defaults,
            journal: journal,
            gaps: GapIndex(),
            schemas: SchemaRegistry(journal: journal)
        )
    }

    /// Feeds the gap index everything journaled so far, as the projection runner would.
    private func catchUpGaps() async throws {
        try await ingestor.gaps.apply(try await journal.readAll(after: 0, limit: 1000))
    }

    private func change(
        _ changeType: String, ids: [String], at time: Int64 = 1_700_000_000_000, sequence: Int64 = 1, fields: JSONObject = [:]
    ) -> JSONValue {
        var object: JSONObject = [
            "ChangeEventHeader": [
                "entityName": "Account",
                "recordIds": .array(ids.map(JSONValue.string)),
                "changeType": .string(changeType),
                "changeOrigin": "",
                "transactionKey": "tx",
                "sequenceNumber": .number(JSONNumber(sequence)),
                "commitTimestamp": .number(JSONNumber(time)),
                "commitUser": "005000000000000AAA",
            ]
        ]
        for member in fields { object[member.key] = member.value }
        return .object(object)
    }

    @Test func severalRecordIDsFanOutToOneEventPerRecord() async throws {
        let ingestor = self.ingestor
        let changes = try ingestor.validate([change("UPDATE", ids: ["001T1000001nI4jIAE", "0015f00002JUXA8AAP"], fields: ["Phone": "1"])])
        let report = try await ingestor.ingest(changes)
        #expect(report.results.map(\.recordID) == ["001T1000001nI4jIAE", "0015f00002JUXA8AAP"])
        #expect(report.results.allSatisfy { $0.outcome == .applied && $0.index == 0 && $0.version == 1 })
        #expect(report.position == 2)
        #expect(try await journal.streamVersion(StreamName(category: "clients", id: "0015f00002JUXA8AAP")) == 1)
    }

    @Test func changesToOneRecordRunInRequestOrder() async throws {
        let ingestor = self.ingestor
        let id = "001T1000001nI4jIAE"
        let items = (0..<20).map { change("UPDATE", ids: [id], sequence: Int64($0 + 1), fields: ["Phone": .string("\($0)")]) }
        let report = try await ingestor.ingest(try ingestor.validate(items))
        #expect(report.results.map(\.version) == (1...20).map { UInt64($0) })
        let events = try await journal.readStream(StreamName(category: "clients", id: id))
        #expect(events.map { $0.data["fields"]?["Phone"] } == (0..<20).map { .string("\($0)") })
    }

    @Test func aReDeliveredChangeIsADuplicateAndWritesNothing() async throws {
        let ingestor = self.ingestor
        let item = change("UPDATE", ids: ["001T1000001nI4jIAE"], sequence: 3, fields: ["Phone": "1"])
        let first = try await ingestor.ingest(try ingestor.validate([item, item]))
        #expect(first.results.map(\.outcome) == [.applied, .duplicate])
        let again = try await ingestor.ingest(try ingestor.validate([item]))
        #expect(again.results.map(\.outcome) == [.duplicate])
        #expect(again.results.first?.version == 1)
        #expect(try await journal.lastPosition() == 1)
        #expect(ingestor.outcomeCounts == [.applied: 1, .duplicate: 2])
    }

    @Test func wildcardAndOverflowJournalOneResyncRequestPerEntity() async throws {
        let ingestor = self.ingestor
        let report = try await ingestor.ingest(
            try ingestor.validate([change("UPDATE", ids: ["001*"]), change("GAP_OVERFLOW", ids: ["000000000000000AAA"])])
        )
        #expect(report.results.map(\.outcome) == [.resyncScheduled, .resyncScheduled])
        let log = try await journal.readAll(after: 0, limit: 10)
        #expect(log.map(\.type) == ["EntityResyncRequested"])
        #expect(log.first?.stream == StreamName(category: "resyncs", id: "Account"))
        try await catchUpGaps()
        #expect(await ingestor.gaps.pendingResyncs.map(\.entity) == ["Account"])

        // While the re-sync is pending, another overflow asks for nothing new.
        _ = try await ingestor.ingest(try ingestor.validate([change("GAP_OVERFLOW", ids: ["000000000000000AAA"], sequence: 9)]))
        #expect(try await journal.lastPosition() == 1)
    }

    @Test func aGapEventIsJournaledAndMarksTheRecordForAReRead() async throws {
        let ingestor = self.ingestor
        let id = "001T1000001nI4jIAE"
        let report = try await ingestor.ingest(try ingestor.validate([change("GAP_UPDATE", ids: [id], at: 2_000)]))
        #expect(report.results.map(\.outcome) == [.gapPending])
        #expect(report.results.first?.version == 1)
        try await catchUpGaps()
        let gaps = await ingestor.gaps.pendingRecords
        #expect(gaps.map(\.stream.id) == [id])
        #expect(gaps.first?.commitTimestamp == 2_000)
        #expect(gaps.first?.reason == "GAP_UPDATE")

        // Until the re-read, a change committed before the gap is recorded but changes nothing.
        _ = try await ingestor.ingest(try ingestor.validate([change("UPDATE", ids: [id], at: 1_000, sequence: 2, fields: ["Phone": "old"])]))
        _ = try await ingestor.ingest(try ingestor.validate([change("UPDATE", ids: [id], at: 3_000, sequence: 3, fields: ["Name": "new"])]))
        let state = try await registry.current(StreamName(category: "clients", id: id)).state
        #expect(state.value(at: "Phone") == nil)
        #expect(state.value(at: "Name") == "new")
        #expect(state.reread?.isGap == true)
    }

    @Test func aFanOutIsOneAtomicAppend() async throws {
        let ingestor = self.ingestor
        let ids = ["001T1000001nI4jIAE", "0015f00002JUXA8AAP"]
        _ = try await ingestor.ingest(try ingestor.validate([change("CREATE", ids: ids, fields: ["Name": "A"])]))
        // The second record is written behind the ingestor's back, so its next append conflicts.
        let stale = StreamName(category: "clients", id: ids[1])
        let event = NewEvent(type: "ClientUpdated", metadata: ["source": "api", "entity": "Account"], data: ["fields": ["Name": "B"]])
        _ = try await journal.append(AppendRequest(stream: stale, expectedVersion: .exact(1), events: [event]))

        await #expect(throws: IngestError.self) {
            try await ingestor.ingest(try ingestor.validate([change("UPDATE", ids: ids, sequence: 2, fields: ["Name": "C"])]))
        }
        #expect(try await journal.streamVersion(StreamName(category: "clients", id: ids[0])) == 1, "nothing of the change was written")
        #expect(try await journal.lastPosition() == 3)
    }

    @Test func validationReportsEveryBadItemByIndex() {
        let ingestor = self.ingestor
        #expect(throws: IngestValidationError.self) {
            try ingestor.validate([change("CREATE", ids: ["001T1000001nI4jIAE"]), .string("nope"), change("CREATE", ids: ["bad"])])
        }
        do {
            _ = try ingestor.validate([.string("nope"), change("CREATE", ids: ["bad"])])
        } catch {
            #expect(error.errors.map(\.index) == [0, 1])
        }
    }

    @Test func aResyncRequestIsPartOfTheRequestsAtomicAppend() async throws {
        let ingestor = self.ingestor
        let id = "001T1000001nI4jIAE"
        _ = try await ingestor.ingest(try ingestor.validate([change("CREATE", ids: [id], fields: ["Name": "A"])]))
        let stale = StreamName(category: "clients", id: id)
        let event = NewEvent(type: "ClientUpdated", metadata: ["source": "api", "entity": "Account"], data: ["fields": ["Name": "B"]])
        _ = try await journal.append(AppendRequest(stream: stale, expectedVersion: .exact(1), events: [event]))

        await #expect(throws: IngestError.self) {
            try await ingestor.ingest(
                try ingestor.validate([change("GAP_OVERFLOW", ids: ["000000000000000AAA"], sequence: 5), change("UPDATE", ids: [id], sequence: 6)])
            )
        }
        #expect(try await journal.lastPosition() == 2, "neither the re-sync request nor the update was written")

        let fresh = ChangeIngestor(
            registry: AggregateRegistry(journal: journal, aggregates: ["clients": SalesforceRecord(type: .clients)]),
            mappings: .defaults, journal: journal, gaps: GapIndex(), schemas: SchemaRegistry(journal: journal)
        )
        _ = try await fresh.ingest(
            try fresh.validate([change("GAP_OVERFLOW", ids: ["000000000000000AAA"], sequence: 5), change("UPDATE", ids: [id], sequence: 6)])
        )
        let log = try await journal.readAll(after: 2, limit: 10)
        #expect(log.map(\.type) == ["ClientUpdated", "EntityResyncRequested"])
        #expect(Set(log.map(\.recordedAt)).count == 1, "one append")
    }

    @Test func aChangeListingTooManyRecordsOrMalformedBitmapsIsRefused() {
        let ingestor = self.ingestor
        let ids = (0..<1_001).map { number in
            let digits = String(number)
            return "0010000000" + String(repeating: "0", count: 5 - digits.count) + digits + "AAA"
        }
        do {
            _ = try ingestor.validate([change("UPDATE", ids: ids)])
            Issue.record("1,001 record ids were accepted")
        } catch {
            #expect(error.errors.first?.field == "ChangeEventHeader.recordIds")
        }
        var object = change("UPDATE", ids: ["001T1000001nI4jIAE"]).objectValue ?? [:]
        var header = object["ChangeEventHeader"]?.objectValue ?? [:]
        header["changedFields"] = ["0xZZ"]
        object["ChangeEventHeader"] = .object(header)
        do {
            _ = try ingestor.validate([.object(object)])
            Issue.record("a malformed bitmap was accepted")
        } catch {
            #expect(error.errors.first?.field == "ChangeEventHeader.changedFields")
        }
    }
}
