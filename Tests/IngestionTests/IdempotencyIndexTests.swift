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
    /// A command event with `key`, recorded `seconds` after a fixed start.
    private func command(_ key: String, id: String, position: UInt64, seconds: Int64) -> RecordedEvent {
        let stored = SalesforceRecord(type: .clients).encode(
            RecordEvent(kind: .updated, body: ChangeBody(fields: [:]), facts: ChangeFacts(source: .api, entity: "Account", idempotencyKey: key))
        )
        return RecordedEvent(
            position: position, stream: StreamName(category: "clients", id: id), version: 1, type: stored.type,
            recordedAt: Timestamp(millisecondsSinceEpoch: 1_800_000_000_000 + seconds * 1000), metadata: stored.metadata, data: stored.data
        )
    }

    private func isAnswered(_ index: IdempotencyIndex, _ key: String, id: String) async -> Bool {
        let stream = StreamName(category: "clients", id: id)
        switch await index.claim(key, for: stream) {
        case .answered: return true
        case .claimed:
            await index.abandon(key, for: stream)
            return false
        }
    }

    @Test func withARetentionAKeyIsForgottenOnceTheJournalsTimeMovesPastIt() async throws {
        let index = IdempotencyIndex(startupPosition: 0, retention: .seconds(60))
        try await index.apply([command("a", id: "001A", position: 1, seconds: 0), command("b", id: "001B", position: 2, seconds: 30)])
        #expect(await isAnswered(index, "a", id: "001A"))
        // The journal's time, not the clock's: 61 s after "a", 31 s after "b".
        try await index.apply([command("c", id: "001C", position: 3, seconds: 61)])
        #expect(await !isAnswered(index, "a", id: "001A"), "a key past the retention is a new command")
        #expect(await isAnswered(index, "b", id: "001B"))
        #expect(await index.count == 2)

        // A key answered again later stays, though its first answer expired.
        try await index.apply([command("b", id: "001B", position: 4, seconds: 80), command("d", id: "001D", position: 5, seconds: 100)])
        #expect(await isAnswered(index, "b", id: "001B"))
        #expect(await isAnswered(index, "c", id: "001C"))

        // A snapshot keeps each key's time: restored with the retention, the next event forgets
        // the same keys the live index would.
        let snapshot = await index.snapshot()
        let restored = IdempotencyIndex(startupPosition: 0, retention: .seconds(60))
        try await restored.restore(from: snapshot.encode(), position: snapshot.position)
        try await restored.apply([command("e", id: "001E", position: 6, seconds: 141)])
        try await index.apply([command("e", id: "001E", position: 6, seconds: 141)])
        for (key, id) in [("b", "001B"), ("c", "001C"), ("d", "001D"), ("e", "001E")] {
            #expect(await isAnswered(restored, key, id: id) == isAnswered(index, key, id: id), "\(key)")
        }
        #expect(await !isAnswered(restored, "b", id: "001B"))
        #expect(await !isAnswered(restored, "c", id: "001C"))
        #expect(await isAnswered(restored, "d", id: "001D"))
    }

    @Test func anAnswerRecordedOutOfOrderExpiresByItsOwnTime() async throws {
        let index = IdempotencyIndex(startupPosition: 0, retention: .seconds(60))
        try await index.apply([command("x", id: "001X", position: 1, seconds: 60)])
        // `finish` gives the command's commit time; here one older than the last event applied
        // (it sits behind "x" in the expiry order).
        let stream = StreamName(category: "clients", id: "001Y")
        #expect(await isAnswered(index, "y", id: "001Y") == false)
        _ = await index.claim("y", for: stream)
        await index.finish(
            "y", for: stream, with: IdempotencyIndex.Answer(position: 2, version: 1, outcome: "created"),
            recordedAt: Timestamp(millisecondsSinceEpoch: 1_800_000_000_000 + 10_000)
        )
        #expect(await isAnswered(index, "y", id: "001Y"), "50 s short of the journal's time: remembered")
        try await index.apply([command("z", id: "001Z", position: 3, seconds: 110)])
        #expect(await isAnswered(index, "x", id: "001X"))
        #expect(await !isAnswered(index, "y", id: "001Y"), "100 s short of the journal's time: a new command")
    }

    @Test func withoutARetentionEveryKeyIsRemembered() async throws {
        let index = IdempotencyIndex(startupPosition: 0)
        try await index.apply([command("a", id: "001A", position: 1, seconds: 0), command("b", id: "001B", position: 2, seconds: 10_000_000)])
        #expect(await isAnswered(index, "a", id: "001A"))
        #expect(await index.count == 2)
    }
}
