import EventSourcing
import JSON
import Testing

/// Export lines and the importer: events move between journals keeping positions, versions,
/// record times and bytes.
@Suite("Event transfer")
struct EventTransferTests {
    let a = StreamName(category: "counters", id: "a")
    let b = StreamName(category: "counters", id: "b")

    /// A journal with a: 1–3 (positions 1–3), b: 1 (4), a: 4 (5), each recorded a second apart.
    func sourceJournal() async throws -> InMemoryJournal {
        let journal = InMemoryJournal()
        var second: Int64 = 1_764_000_000
        func event(_ label: String) -> NewEvent {
            second += 1
            return NewEvent(
                type: "Counted",
                metadata: ["source": "cdc", "commitTimestamp": 1_764_000_000_123, "z-first": true],
                data: ["label": .string(label), "amount": .number(JSONNumber(text: "12.50")!)],
                recordedAt: Timestamp(millisecondsSinceEpoch: second * 1000)
            )
        }
        _ = try await journal.append(AppendRequest(stream: a, expectedVersion: .exact(0), events: [event("a1"), event("a2"), event("a3")]))
        _ = try await journal.append(AppendRequest(stream: b, expectedVersion: .exact(0), events: [event("b1")]))
        _ = try await journal.append(AppendRequest(stream: a, expectedVersion: .exact(3), events: [event("a4")]))
        return journal
    }

    func everything(_ journal: any Journal) async throws -> [RecordedEvent] {
        try await journal.readAll(after: 0, limit: 1_000)
    }

    @Test func anEventSurvivesItsExportLineExactly() async throws {
        for event in try await everything(try await sourceJournal()) {
            let line = event.ndjsonLine
            #expect(line.last == UInt8(ascii: "\n"))
            let parsed = try RecordedEvent(ndjsonLine: line.dropLast())
            #expect(parsed == event)
            // Member order and number text are kept, so the re-exported line is identical.
            #expect(parsed.ndjsonLine == line)
        }
    }

    @Test func badLinesSayWhatIsMissing() {
        let cases: [(String, String)] = [
            ("{", "is not valid JSON"),
            ("[1]", "is a array, not an event object"),
            (#"{"position":0}"#, "needs \"position\""),
            (#"{"position":1,"stream":"nocategory"}"#, "needs \"stream\""),
            (#"{"position":1,"stream":"c/1","version":1,"type":"T","recordedAt":"yesterday"}"#, "needs \"recordedAt\""),
            (#"{"position":1,"stream":"c/1","version":1,"type":"T","recordedAt":"2026-01-01T00:00:00Z","metadata":[]}"#, "needs \"metadata\""),
        ]
        for (line, message) in cases {
            let error = #expect(throws: EventLineError.self) { try RecordedEvent(ndjsonLine: Array(line.utf8)) }
            #expect(error?.message.contains(message) == true, "\(line): \(String(describing: error))")
        }
    }

    @Test(arguments: [1, 2, 1_000])
    func importingAnExportReproducesTheLog(batchSize: Int) async throws {
        let source = try await sourceJournal()
        let original = try await everything(source)
        let target = InMemoryJournal()
        var importer = try await JournalImporter(journal: target, batchSize: batchSize)
        for event in original { try await importer.add(try RecordedEvent(ndjsonLine: event.ndjsonLine.dropLast())) }
        try await importer.flush()
        #expect(importer.imported == 5)
        #expect(try await everything(target) == original)
        #expect(try await target.streamVersion(a) == 4)
    }

    @Test func anImportContinuesAJournalAndRefusesToSkipOrRepeatPositions() async throws {
        let original = try await everything(try await sourceJournal())
        let target = InMemoryJournal()
        var importer = try await JournalImporter(journal: target)
        for event in original.prefix(2) { try await importer.add(event) }
        try await importer.flush()

        var skipping = try await JournalImporter(journal: target)
        let skipped = await #expect(throws: JournalImportError.self) { try await skipping.add(original[3]) }
        #expect(skipped?.description == "event at position 4 does not continue the journal, which expects position 3 next")

        var repeating = try await JournalImporter(journal: target)
        await #expect(throws: JournalImportError.self) { try await repeating.add(original[1]) }

        var continuing = try await JournalImporter(journal: target)
        for event in original.dropFirst(2) { try await continuing.add(event) }
        try await continuing.flush()
        #expect(try await everything(target) == original)
    }

    @Test func aVersionThatDoesNotFollowItsStreamStopsTheImportAtThatEventKeepingTheOnesBefore() async throws {
        let original = try await everything(try await sourceJournal())
        // a1, a2, then "a4" where a3 belongs: the gap is inside one queued batch.
        let target = InMemoryJournal()
        var importer = try await JournalImporter(journal: target)
        for event in original.prefix(2) { try await importer.add(event) }
        var renumbered = original[2]
        renumbered.version = 4
        let error = await #expect(throws: JournalImportError.self) { try await importer.add(renumbered) }
        #expect(error?.description == "event at position 3 is version 4 of counters/a, which expects version 3 next")
        #expect(try await everything(target) == Array(original.prefix(2)))
        #expect(importer.imported == 2)

        // The first event of a stream is checked against the journal too.
        var fresh = try await JournalImporter(journal: InMemoryJournal())
        var first = original[0]
        first.version = 2
        await #expect(throws: JournalImportError.self) { try await fresh.add(first) }
    }

    @Test func aPointInTimeCopyStopsAtThePositionOrTheTime() async throws {
        let source = try await sourceJournal()
        let original = try await everything(source)

        let byPosition = InMemoryJournal()
        var importer = try await JournalImporter(journal: byPosition)
        var reported: [UInt64] = []
        try await importer.copy(from: source, until: .position(3)) { reported.append($0) }
        #expect(try await everything(byPosition) == Array(original.prefix(3)))
        #expect(reported.last == 3)

        let byTime = InMemoryJournal()
        var timed = try await JournalImporter(journal: byTime)
        try await timed.copy(from: source, until: .time(original[3].recordedAt))
        #expect(try await everything(byTime) == Array(original.prefix(4)))

        let whole = InMemoryJournal()
        var all = try await JournalImporter(journal: whole)
        try await all.copy(from: source)
        #expect(try await everything(whole) == original)
    }
}
