import EventSourcing
import JSON
import Testing

/// What the in-memory journal adds to the shared contract (run in EventSourcingLMDBTests):
/// the paging helper every journal inherits, and checksum verification on read.
@Suite("InMemoryJournal")
struct InMemoryJournalTests {
    let stream = StreamName(category: "counters", id: "1")

    @Test func readStreamHelperReadsEveryPage() async throws {
        let journal = InMemoryJournal()
        let events = (0..<5000).map { NewEvent(type: "Appended", data: JSONValue(integerLiteral: Int64($0))) }
        _ = try await journal.append(AppendRequest(stream: stream, expectedVersion: .exact(0), events: events))

        let all = try await journal.readStream(stream)
        let tail = try await journal.readStream(stream, fromVersion: 4090)

        #expect(all.map(\.version) == Array(1...5000))
        #expect(all.map(\.data) == events.map(\.data))
        #expect(tail.map(\.version) == Array(4090...5000))
    }

    @Test func emptyRequestIsRejectedBeforeAnythingIsWritten() async throws {
        let journal = InMemoryJournal()
        await #expect(throws: JournalError.self) {
            try await journal.append(AppendRequest(writes: []))
        }
        #expect(try await journal.lastPosition() == 0)
    }

    @Test(arguments: [0, 1, 5, 13, 21, 30])
    func aDamagedRecordIsReportedAsCorruptAtItsPosition(byteOffset: Int) async throws {
        let journal = InMemoryJournal()
        let events = (0..<3).map { NewEvent(type: "Appended", metadata: ["source": "test"], data: ["n": .number(JSONNumber($0))]) }
        _ = try await journal.append(AppendRequest(stream: stream, expectedVersion: .exact(0), events: events))
        journal.damageRecord(at: 2, byteOffset: byteOffset)

        await #expect(throws: JournalError.self) { try await journal.readAll(after: 0, limit: 10) }
        do {
            _ = try await journal.readStream(stream, fromVersion: 1, limit: 10)
            Issue.record("the damaged record was read")
        } catch {
            guard case .corruptEvent(let position, _) = error else {
                Issue.record("unexpected error \(error)")
                return
            }
            #expect(position == 2)
        }
        #expect(try await journal.readAll(after: 2, limit: 10).map(\.position) == [3])
    }
}
