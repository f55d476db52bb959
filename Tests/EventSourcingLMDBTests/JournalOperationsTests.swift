import EventSourcing
@testable import EventSourcingLMDB
import Testing

/// The operations on a journal directory: verify, index rebuild, backup, and the writer lock.
@Suite("Journal operations", .timeLimit(.minutes(2)))
struct JournalOperationsTests {
    let a = counterStream("a")
    let b = counterStream("b")

    /// A closed journal with a: versions 1–3 at positions 1–3, b: version 1 at position 4,
    /// a: version 4 at position 5.
    func writeJournal(_ directory: TemporaryDirectory, crash: Bool = false) async throws {
        let journal = try LMDBJournal(directory: directory.path)
        _ = try await journal.append(AppendRequest(stream: a, expectedVersion: .exact(0), events: testEvents("a", count: 3)))
        _ = try await journal.append(AppendRequest(stream: b, expectedVersion: .exact(0), events: testEvents("b", count: 1)))
        _ = try await journal.append(AppendRequest(stream: a, expectedVersion: .exact(3), events: testEvents("a2", count: 1)))
        if crash { await journal.closeAsAfterCrash() } else { await journal.close() }
    }

    /// Changes the raw databases of a closed journal.
    func tamper(_ directory: TemporaryDirectory, _ body: (LMDBTransaction, JournalDatabases) throws -> Void) throws {
        let environment = try LMDBEnvironment(path: directory.path)
        defer { environment.close() }
        let databases = try JournalDatabases(environment: environment)
        try environment.withWriteTransaction { try body($0, databases) }
    }

    @Test(arguments: [false, true])
    func aHealthyJournalVerifiesCleanWhetherItsIndexWasWrittenOrNot(crash: Bool) async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try await writeJournal(directory, crash: crash)
        var progress: [UInt64] = []
        let report = try JournalVerifier.verify(directory: directory.path) { done, _ in progress.append(done) }
        #expect(report.isClean, "\(report.faults)")
        #expect(report.events == 5)
        #expect(report.streams == 2)
        #expect(report.lastPosition == 5)
        #expect(report.indexedThrough == (crash ? 0 : 5))
        #expect(progress.last == 5)
    }

    @Test func verifyNamesADamagedRecordByPositionAndStream() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try await writeJournal(directory)
        try tamper(directory) { transaction, databases in
            var record = try #require(try transaction.bytes(in: databases.events, forKey: JournalKeys.event(4)))
            record[record.count - 2] ^= 0x40
            try transaction.put(in: databases.events, key: JournalKeys.event(4), value: record)
        }
        let report = try JournalVerifier.verify(directory: directory.path)
        #expect(!report.isClean)
        let fault = try #require(report.faults.first)
        #expect(fault.position == 4)
        #expect(fault.stream == b)
        #expect(fault.message.contains("checksum"))
    }

    @Test func verifyFindsAPositionGapAndTheVersionGapItLeaves() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try await writeJournal(directory)
        try tamper(directory) { transaction, databases in
            try transaction.delete(in: databases.events, key: JournalKeys.event(3))
        }
        let report = try JournalVerifier.verify(directory: directory.path)
        let descriptions = report.faults.map(\.description)
        #expect(descriptions.contains("position 4: position gap: positions 3…3 are missing"))
        #expect(descriptions.contains("position 5: stream counters/a: version 4 follows version 2"))
        // The index still points at the missing event.
        #expect(descriptions.contains { $0.contains("the stream index has 5 entries for 4 indexed events") })
    }

    @Test func verifyFindsIndexEntriesThatDisagreeWithTheLog_andRestoreRepairsThem() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try await writeJournal(directory)
        try tamper(directory) { transaction, databases in
            try transaction.delete(in: databases.streams, key: JournalKeys.stream(a, version: 2))
            try transaction.put(in: databases.streams, key: JournalKeys.stream(b, version: 7), value: JournalKeys.uint64(4))
            try transaction.put(in: databases.streams, key: JournalKeys.stream(b, version: 1), value: JournalKeys.uint64(3))
        }
        let report = try JournalVerifier.verify(directory: directory.path)
        let descriptions = report.faults.map(\.description)
        #expect(descriptions.contains("position 2: stream counters/a: version 2 has no stream index entry"))
        #expect(descriptions.contains("position 4: stream counters/b: the stream index files version 1 under position 3"))
        // a lost an entry and b gained one: the count adds up, b's head does not.
        #expect(descriptions.contains("stream counters/b: the stream index ends at version 7, the indexed events at 1"))

        let rebuilt = try JournalIndexRebuild.rebuild(directory: directory.path)
        #expect(rebuilt.events == 5)
        #expect(rebuilt.streams == 2)
        let repaired = try JournalVerifier.verify(directory: directory.path)
        #expect(repaired.isClean, "\(repaired.faults)")
        let journal = try LMDBJournal(directory: directory.path)
        #expect(try await journal.readStream(a, fromVersion: 1, limit: 10).map(\.position) == [1, 2, 3, 5])
        #expect(try await journal.streamVersion(b) == 1)
        await journal.close()
    }

    /// Past indexed-through (a flush cut short), entries must run on from the indexed versions,
    /// as start-up expects: one after a missing version is a fault, and start-up refuses too.
    @Test func verifyFindsAnEntryPastIndexedThroughAfterAMissingOne() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try await writeJournal(directory, crash: true)
        try tamper(directory) { transaction, databases in
            try transaction.put(in: databases.streams, key: JournalKeys.stream(a, version: 2), value: JournalKeys.uint64(2))
        }
        let report = try JournalVerifier.verify(directory: directory.path)
        #expect(report.faults.map(\.description).contains("position 2: stream counters/a: version 2 is indexed past indexed-through, version 1 is not"))
        #expect(throws: (any Error).self) { try LMDBJournal(directory: directory.path) }
    }

    @Test func verifyFindsAnAggregateSnapshotAheadOfItsStream() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try await writeJournal(directory)
        try tamper(directory) { transaction, databases in
            let snapshots = try #require(databases.snapshots)
            let ahead = AggregateSnapshot(version: 9, position: 9, stamp: "s", state: [])
            try transaction.put(in: snapshots, key: JournalKeys.name(b), value: AggregateSnapshotCodec.encode(ahead))
            let fine = AggregateSnapshot(version: 4, position: 5, stamp: "s", state: [])
            try transaction.put(in: snapshots, key: JournalKeys.name(a), value: AggregateSnapshotCodec.encode(fine))
        }
        let report = try JournalVerifier.verify(directory: directory.path)
        #expect(report.faults.map(\.description) == ["stream counters/b: the aggregate snapshot is of version 9, the stream ends at 1"])
    }

    @Test func aBackupTakenWhileTheJournalIsWrittenIsACleanCopyOfOneCommit() async throws {
        let directory = try TemporaryDirectory()
        let target = try TemporaryDirectory()
        defer {
            directory.remove()
            target.remove()
        }
        let journal = try LMDBJournal(directory: directory.path)
        let writer = Task {
            for round in 0..<200 {
                _ = try await journal.append(AppendRequest(stream: counterStream("w\(round % 7)"), expectedVersion: .any, events: [testEvent("w")]))
            }
        }
        // Copy once the writes are under way, so the copy is taken in the middle of them.
        while try await journal.lastPosition() < 20 { try await Task.sleep(for: .milliseconds(1)) }
        let backupTarget = target.path + "/copy"
        let report = try JournalBackup.copy(directory: directory.path, to: backupTarget)
        try await writer.value
        let original = try await journal.readEverything()
        await journal.close()

        #expect(report.isClean, "\(report.faults)")
        let copy = try LMDBJournal(directory: backupTarget)
        let copied = try await copy.readEverything()
        await copy.close()
        #expect(copied.count >= 20)
        #expect(copied == Array(original.prefix(copied.count)))
        #expect(throws: LMDBError.self) { try JournalBackup.copy(directory: directory.path, to: backupTarget) }
    }

    @Test func startUpRefusesToIndexALogWhoseVersionsDoNotFollowOn() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        // The index is not written (as after a crash): start-up must index the events itself.
        try await writeJournal(directory, crash: true)
        try tamper(directory) { transaction, databases in
            try transaction.delete(in: databases.events, key: JournalKeys.event(5))
            // Position 5 again, but as version 5 of a (version 4 is missing).
            var record = try #require(try transaction.bytes(in: databases.events, forKey: JournalKeys.event(3)))
            record.withUnsafeMutableBytes { $0.storeBytes(of: UInt64(5).littleEndian, toByteOffset: 5, as: UInt64.self) }
            try transaction.put(in: databases.events, key: JournalKeys.event(5), value: record)
        }
        let error = #expect(throws: JournalError.self) { try LMDBJournal(directory: directory.path) }
        guard case .corruptEvent(let position, let reason)? = error else {
            Issue.record("expected corruptEvent, got \(String(describing: error))")
            return
        }
        #expect(position == 5)
        #expect(reason.contains("version 5 of counters/a follows version 3"))
    }

    @Test func aSecondWriterOnOneDirectoryIsRefusedAndReadersAreNot() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let journal = try LMDBJournal(directory: directory.path)
        let refusal = #expect(throws: LMDBError.self) { try LMDBJournal(directory: directory.path) }
        #expect(refusal?.description.contains("another Tributary process") == true)
        #expect(throws: LMDBError.self) { try JournalIndexRebuild.rebuild(directory: directory.path) }
        let reader = try LMDBJournal(directory: directory.path, configuration: .init(lmdb: .init(readOnly: true)))
        await reader.close()
        await journal.close()
        // Closing releases the lock.
        let again = try LMDBJournal(directory: directory.path)
        await again.close()
    }
}
