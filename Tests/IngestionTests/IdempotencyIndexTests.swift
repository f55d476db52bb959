import CRM
import EventSourcing
import Ingestion
import JSON
import Testing

@Suite("IdempotencyIndex")
struct IdempotencyIndexTests {
    @Test(arguments: RecordEventKind.allCases)
    func answersRebuiltFromTheJournalKeepTheEventKind(kind: RecordEventKind) async throws {
        let stream = StreamName(category: "clients", id: "001T1000001nI4jIAE")
        let stored = SalesforceRecord(type: .clients).encode(
            RecordEvent(kind: kind, body: ChangeBody(fields: [:]), facts: ChangeFacts(source: .api, entity: "Account", idempotencyKey: "k"))
        )
        let index = IdempotencyIndex(startupPosition: 1)
        try await index.apply([
            RecordedEvent(position: 1, stream: stream, version: 4, type: stored.type, recordedAt: .now(), metadata: stored.metadata, data: stored.data)
        ])
        index.applied.advance(to: 1)
        guard case .answered(let answer) = await index.claim("k", for: stream) else {
            Issue.record("the key was not remembered")
            return
        }
        #expect(answer == IdempotencyIndex.Answer(position: 1, version: 4, outcome: kind.rawValue.lowercased()))
    }
}
