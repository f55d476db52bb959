import CLMDB
import EventSourcing
@testable import EventSourcingLMDB
import JSON
import Testing

/// What the LMDB journal promises beyond the shared contract: durability across reopening,
/// checksums on every record, and its limits.
@Suite("LMDBJournal", .timeLimit(.minutes(2)))
struct LMDBJournalTests {
    let a = counterStream("a")
    let b = counterStream("b")

    // MARK: - Reopening

    @Test func reopeningKeepsEveryEventAndContinuesPositionsAndVersions() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }

        let first = try LMDBJournal(directory: directory.path)
        _ = try await first.append(AppendRequest(stream: a, expectedVersion: .exact(0), events: testEvents("a", count: 3)))
        _ = try await first.append(
            AppendRequest(writes: [
                StreamWrite(stream: b, expectedVersion: .exact(0), events: testEvents("b", count: 2)),
                StreamWrite(stream: a, expectedVersion: .exact(3), events: [NewEvent(type: "Imported", data: "x", recordedAt: .init(millisecondsSinceEpoch: 42))]),
            ])
        )
        let before = try await first.readEverything()
        await first.close()

        let reopened = try LMDBJournal(directory: directory.path)
        let after = try await reopened.readEverything()
        #expect(after == before)
        #expect(after.count == 6)
        #expect(try await reopened.lastPosition() == 6)
        #expect(try await reopened.streamVersion(a) == 4)
        #expect(try await reopened.streamVersion(b) == 2)

        await #expect(throws: JournalError.versionConflict(stream: a, expected: 3, actual: 4)) {
            try await reopened.append(AppendRequest(stream: a, expectedVersion: .exact(3), events: [testEvent("stale")]))
        }
        let next = try await reopened.append(AppendRequest(stream: a, expectedVersion: .exact(4), events: [testEvent("a-next")]))
        #expect(next.firstPosition == 7)
        #expect(next.versions == [5])
        #expect(try await reopened.readStream(a, fromVersion: 1, limit: 10).map(\.position) == [1, 2, 3, 6, 7])
        await reopened.close()

        let third = try LMDBJournal(directory: directory.path)
        #expect(try await third.readEverything().count == 7)
        #expect(try await third.lastPosition() == 7)
        await third.close()
    }

    @Test func anAppendAfterCloseThrowsClosed() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let journal = try LMDBJournal(directory: directory.path)
        _ = try await journal.append(AppendRequest(stream: a, expectedVersion: .any, events: [testEvent("a")]))
        await journal.close()

        await #expect(throws: JournalError.closed) {
            try await journal.append(AppendRequest(stream: a, expectedVersion: .any, events: [testEvent("late")]))
        }

        let reopened = try LMDBJournal(directory: directory.path)
        #expect(try await reopened.readEverything().count == 1)
        await reopened.close()
    }

    @Test func readingAfterCloseThrowsAStorageError() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let journal = try LMDBJournal(directory: directory.path)
        _ = try await journal.append(AppendRequest(stream: a, expectedVersion: .any, events: [testEvent("a")]))
        await journal.close()

        for error in [
            await #expect(throws: JournalError.self) { try await journal.readAll(after: 0, limit: 10) },
            await #expect(throws: JournalError.self) { try await journal.readStream(a, fromVersion: 1, limit: 10) },
            await #expect(throws: JournalError.self) { try await journal.streamVersion(a) },
        ] {
            guard case .storage = error else {
                Issue.record("expected a storage error, got \(String(describing: error))")
                continue
            }
        }
        #expect(journal.environment.mapSize == 0)
    }

    @Test func aReadOnlyJournalReadsTheLogAndRefusesAppends() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let writable = try LMDBJournal(directory: directory.path)
        _ = try await writable.append(AppendRequest(stream: a, expectedVersion: .any, events: testEvents("a", count: 3)))
        let written = try await writable.readEverything()
        await writable.close()

        let readOnly = try LMDBJournal(
            directory: directory.path,
            configuration: LMDBJournalConfiguration(lmdb: LMDBConfiguration(readOnly: true))
        )
        #expect(try await readOnly.readEverything() == written)
        #expect(try await readOnly.lastPosition() == 3)
        #expect(try await readOnly.streamVersion(a) == 3)
        await #expect(throws: JournalError.closed) {
            try await readOnly.append(AppendRequest(stream: a, expectedVersion: .any, events: [testEvent("refused")]))
        }
        await readOnly.close()
    }

    // MARK: - The stream index tail

    /// Stream reads and versions agree with the log whether the stream's entries are still in
    /// memory, written to LMDB, or split between the two (a flush written a chunk per commit),
    /// and after a crash left them unwritten or half written.
    @Test(arguments: [(2, 1), (7, 1), (7, 256), (1_000, 256)])
    func streamReadsSurviveIndexFlushesAndACrashBeforeOne(flushEvery: Int, chunk: Int) async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let configuration = LMDBJournalConfiguration(indexFlushEvents: flushEvery, indexFlushChunk: chunk)
        let streams = (0..<5).map { counterStream("s\($0)") }

        func expectStreamsMatchTheLog(_ journal: LMDBJournal) async throws {
            let log = try await journal.readEverything()
            for stream in streams {
                let expected = log.filter { $0.stream == stream }
                #expect(try await journal.readStream(stream, fromVersion: 1, limit: 1_000) == expected)
                #expect(try await journal.readStream(stream, fromVersion: 3, limit: 2) == Array(expected.dropFirst(2).prefix(2)))
                #expect(try await journal.streamVersion(stream) == UInt64(expected.count))
            }
        }

        let first = try LMDBJournal(directory: directory.path, configuration: configuration)
        for round in 0..<6 {
            for (index, stream) in streams.enumerated() where (round + index) % 3 != 0 {
                let version = try await first.streamVersion(stream)
                _ = try await first.append(
                    AppendRequest(stream: stream, expectedVersion: .exact(version), events: testEvents("r\(round)", count: 1 + index % 2))
                )
            }
            try await expectStreamsMatchTheLog(first)
        }
        await first.closeAsAfterCrash()

        let afterCrash = try LMDBJournal(directory: directory.path, configuration: configuration)
        try await expectStreamsMatchTheLog(afterCrash)
        let version = try await afterCrash.streamVersion(streams[1])
        await #expect(throws: JournalError.versionConflict(stream: streams[1], expected: version - 1, actual: version)) {
            try await afterCrash.append(AppendRequest(stream: streams[1], expectedVersion: .exact(version - 1), events: [testEvent("stale")]))
        }
        _ = try await afterCrash.append(AppendRequest(stream: streams[1], expectedVersion: .exact(version), events: [testEvent("next")]))
        try await expectStreamsMatchTheLog(afterCrash)
        await afterCrash.close()

        let reopened = try LMDBJournal(directory: directory.path, configuration: configuration)
        try await expectStreamsMatchTheLog(reopened)
        await reopened.close()
    }

    /// A flush written a chunk per commit and cut short by a crash leaves entries past
    /// `indexed-through`: the journal still verifies clean, opens, reads its streams right and
    /// takes appends.
    @Test func aFlushCutShortByACrashLeavesAJournalThatOpensAndVerifiesClean() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let configuration = LMDBJournalConfiguration(indexFlushEvents: 4, indexFlushChunk: 1)
        let journal = try LMDBJournal(directory: directory.path, configuration: configuration)
        for (round, stream) in [a, b, a, b].enumerated() {
            _ = try await journal.append(AppendRequest(stream: stream, expectedVersion: .exact(UInt64(round / 2)), events: [testEvent("e\(round)")]))
        }
        // Positions 1–4 are sealed; this commit writes two of their entries (a's, first in key order).
        _ = try await journal.append(AppendRequest(stream: a, expectedVersion: .exact(2), events: [testEvent("e4")]))
        await journal.closeAsAfterCrash()

        let environment = try LMDBEnvironment(path: directory.path, configuration: LMDBConfiguration(readOnly: true))
        let databases = try JournalDatabases(environment: environment)
        let written = try environment.withReadTransaction { try $0.count(in: databases.streams) }
        environment.close()
        #expect(written == 2)
        let report = try JournalVerifier.verify(directory: directory.path)
        #expect(report.isClean, "\(report.faults)")
        #expect(report.indexedThrough == 0)
        #expect(report.indexedPastThrough == 2)

        let reopened = try LMDBJournal(directory: directory.path, configuration: configuration)
        #expect(try await reopened.readStream(a, fromVersion: 1, limit: 10).map(\.position) == [1, 3, 5])
        #expect(try await reopened.readStream(a, fromVersion: 2, limit: 10).map(\.position) == [3, 5])
        #expect(try await reopened.readStream(b, fromVersion: 1, limit: 10).map(\.position) == [2, 4])
        #expect(try await reopened.streamVersion(a) == 3)
        _ = try await reopened.append(AppendRequest(stream: b, expectedVersion: .exact(2), events: [testEvent("e5")]))
        await reopened.close()
        let closed = try JournalVerifier.verify(directory: directory.path)
        #expect(closed.isClean, "\(closed.faults)")
        #expect(closed.indexedThrough == 6)
    }

    /// Journals written before heads came from the index kept them in a `heads` database; the
    /// first writable open deletes it, versions still come out right, and an older build (which
    /// would create an empty `heads` and read every head as 0) can no longer open the journal.
    @Test func openingAnOlderJournalRetiresItsHeadsDatabase() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let first = try LMDBJournal(directory: directory.path)
        _ = try await first.append(AppendRequest(stream: a, expectedVersion: .exact(0), events: testEvents("a", count: 3)))
        await first.close()
        // Make it look like a journal of the older build: no marker, a (stale) heads database.
        let environment = try LMDBEnvironment(path: directory.path)
        #expect(throws: LMDBError.self) { try environment.openDatabase("heads") }
        _ = try environment.withWriteTransaction { transaction in
            try transaction.delete(in: transaction.mainDatabase(), key: Array("heads".utf8))
        }
        let heads = try environment.openDatabase("heads")
        try environment.withWriteTransaction { transaction in
            try transaction.put(in: heads, key: Array("counters/a".utf8), value: JournalKeys.uint64(1))
        }
        environment.close()

        let reopened = try LMDBJournal(directory: directory.path)
        #expect(try await reopened.streamVersion(a) == 3)
        _ = try await reopened.append(AppendRequest(stream: a, expectedVersion: .exact(3), events: [testEvent("next")]))
        await reopened.close()
        #expect(try JournalVerifier.verify(directory: directory.path).isClean)
        let after = try LMDBEnvironment(path: directory.path)
        defer { after.close() }
        // What an older build's open does: refused, not created empty.
        #expect { try after.openDatabase("heads") } throws: { ($0 as? LMDBError)?.code == MDB_INCOMPATIBLE }
    }

    // MARK: - Aggregate snapshots

    @Test func aggregateSnapshotsSurviveReopeningAndAnOlderOneNeverReplacesANewerOne() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let journal = try LMDBJournal(directory: directory.path)
        _ = try await journal.append(AppendRequest(stream: a, expectedVersion: .exact(0), events: testEvents("a", count: 4)))
        let newer = AggregateSnapshot(version: 4, position: 4, stamp: "s", state: [1, 2, 3])
        journal.save(newer, of: a)
        // Rides along with the next commit.
        _ = try await journal.append(AppendRequest(stream: b, expectedVersion: .exact(0), events: [testEvent("b")]))
        #expect(try await journal.snapshot(of: a) == newer)
        journal.save(AggregateSnapshot(version: 2, position: 2, stamp: "s", state: [9]), of: a)
        await journal.close()

        let reopened = try LMDBJournal(directory: directory.path)
        #expect(try await reopened.snapshot(of: a) == newer)
        #expect(try await reopened.snapshot(of: b) == nil)
        await reopened.close()
    }

    // MARK: - Checksums

    @Test func aDamagedRecordIsReportedAsCorruptAtItsPosition() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let journal = try LMDBJournal(directory: directory.path)
        _ = try await journal.append(AppendRequest(stream: a, expectedVersion: .exact(0), events: testEvents("a", count: 3)))
        _ = try await journal.append(AppendRequest(stream: b, expectedVersion: .exact(0), events: testEvents("b", count: 1)))
        await journal.close()

        // Flip one byte of the payload of the event at position 2.
        let environment = try LMDBEnvironment(path: directory.path)
        let events = try environment.openDatabase("events")
        let key: [UInt8] = [0, 0, 0, 0, 0, 0, 0, 2]
        try environment.withWriteTransaction { transaction in
            var record = try #require(try transaction.bytes(in: events, forKey: key))
            record[record.count - 3] ^= 0x01
            try transaction.put(in: events, key: key, value: record)
        }
        environment.close()

        let reopened = try LMDBJournal(directory: directory.path)
        #expect(try await reopened.readAll(after: 0, limit: 1).map(\.position) == [1])
        #expect(try await reopened.readAll(after: 2, limit: 10).map(\.position) == [3, 4])
        #expect(try await reopened.readStream(b, fromVersion: 1, limit: 10).count == 1)
        #expect(try await reopened.readStream(a, fromVersion: 3, limit: 10).map(\.position) == [3])

        let fromLog = await #expect(throws: JournalError.self) { try await reopened.readAll(after: 0, limit: 10) }
        let fromStream = await #expect(throws: JournalError.self) { try await reopened.readStream(a, fromVersion: 1, limit: 10) }
        for error in [fromLog, fromStream] {
            guard case .corruptEvent(let position, let reason) = error else {
                Issue.record("expected corruptEvent, got \(String(describing: error))")
                continue
            }
            #expect(position == 2)
            #expect(reason.contains("checksum"))
        }
        await reopened.close()
    }

    @Test func aRecordFiledUnderAnotherPositionFailsItsChecksum() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let journal = try LMDBJournal(directory: directory.path)
        _ = try await journal.append(AppendRequest(stream: a, expectedVersion: .any, events: [testEvent("same"), testEvent("same")]))
        await journal.close()

        // Copy the intact record at position 1 over the one at position 2.
        let environment = try LMDBEnvironment(path: directory.path)
        let events = try environment.openDatabase("events")
        try environment.withWriteTransaction { transaction in
            let first = try #require(try transaction.bytes(in: events, forKey: [0, 0, 0, 0, 0, 0, 0, 1]))
            try transaction.put(in: events, key: [0, 0, 0, 0, 0, 0, 0, 2], value: first)
        }
        environment.close()

        let reopened = try LMDBJournal(directory: directory.path)
        #expect(try await reopened.readAll(after: 0, limit: 1).map(\.position) == [1])
        let error = await #expect(throws: JournalError.self) { try await reopened.readAll(after: 0, limit: 10) }
        if case .corruptEvent(let position, _) = error {
            #expect(position == 2)
        } else {
            Issue.record("expected corruptEvent, got \(String(describing: error))")
        }
        await reopened.close()
    }

    // MARK: - Limits

    @Test func aStreamNameTooLongForAKeyIsRefused() async throws {
        try await withLMDBJournal { journal, _ in
            let long = counterStream(String(repeating: "x", count: 500))
            let error = await #expect(throws: JournalError.self) {
                try await journal.append(AppendRequest(stream: long, expectedVersion: .any, events: [testEvent("x")]))
            }
            guard case .invalidAppend = error else {
                Issue.record("expected invalidAppend, got \(String(describing: error))")
                return
            }
            let lastPosition = try await journal.lastPosition()
            #expect(lastPosition == 0)
        }
    }
}
