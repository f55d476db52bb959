import EventSourcing
import EventSourcingLMDB
import Foundation
import Testing

/// The operations commands as an operator runs them: output, exit codes, and what they leave
/// on disk.
@Suite("tributary operations commands", .timeLimit(.minutes(2)))
struct OperationsCommandTests {
    /// The events key of `position`.
    func key(_ position: UInt64) -> [UInt8] {
        withUnsafeBytes(of: position.bigEndian) { Array($0) }
    }

    @Test func verifyIsCleanOnAHealthyJournalAndNamesADamagedRecordAndAPositionGap() async throws {
        let directory = temporaryPath("verify")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        _ = try await writeSampleJournal(directory)

        let clean = try await tributary(["verify", "--data-dir", directory])
        #expect(clean.status == 0)
        #expect(clean.standardOutput.contains("events 5, streams 2, last position 5"))
        #expect(clean.standardOutput.hasSuffix("clean\n"))

        let environment = try LMDBEnvironment(path: directory)
        let events = try environment.openDatabase("events")
        try environment.withWriteTransaction { transaction in
            var record = try #require(try transaction.bytes(in: events, forKey: key(2)))
            record[record.count - 3] ^= 0x08
            try transaction.put(in: events, key: key(2), value: record)
            try transaction.delete(in: events, key: key(4))
        }
        environment.close()

        let faulty = try await tributary(["verify", "--data-dir", directory])
        #expect(faulty.status == 1)
        #expect(faulty.standardOutput.contains("FAULT position 2: stream counters/a: the event at position 2 is corrupt: checksum mismatch"))
        #expect(faulty.standardOutput.contains("FAULT position 5: position gap: positions 4…4 are missing"))
        #expect(faulty.standardOutput.contains("faults found"))
    }

    @Test func statsCountsEventsStreamsAndTypes() async throws {
        let directory = temporaryPath("stats")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        _ = try await writeSampleJournal(directory)
        let result = try await tributary(["stats", "--data-dir", directory])
        #expect(result.status == 0)
        #expect(result.standardOutput.contains("events         5 (last position 5)"))
        #expect(result.standardOutput.contains("streams        2"))
        #expect(result.standardOutput.contains("recorded       2026-01-01T00:00:01.000Z … 2026-01-01T00:00:05.000Z"))
        #expect(result.standardOutput.contains("  Counted                     5"))
        #expect(result.standardOutput.contains("  counters                    2"))
    }

    @Test func exportThenImportReproducesTheJournalByteForByte() async throws {
        let source = temporaryPath("export")
        let target = temporaryPath("import")
        defer {
            try? FileManager.default.removeItem(atPath: source)
            try? FileManager.default.removeItem(atPath: target)
        }
        let original = try await writeSampleJournal(source)
        let exported = try await tributary(["export", "--data-dir", source])
        #expect(exported.status == 0)
        #expect(exported.standardOutput.split(separator: "\n").count == 5)
        #expect(exported.standardError.contains("exported 5 events (positions 1…5)"))

        // Import in two parts: the first three lines, then an export --after 3.
        let lines = exported.outputBytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true)
        let firstPart = Data(lines.prefix(3).joined(separator: [UInt8(ascii: "\n")])) + Data([UInt8(ascii: "\n")])
        #expect(try await tributary(["import", "--data-dir", target], input: firstPart).status == 0)
        let rest = try await tributary(["export", "--data-dir", source, "--after", "3"])
        let imported = try await tributary(["import", "--data-dir", target], input: rest.outputBytes)
        #expect(imported.status == 0)
        #expect(imported.standardError.contains("imported 2 events; the journal ends at position 5"))

        #expect(try await readJournal(target) == original)
        #expect(try await tributary(["export", "--data-dir", target]).outputBytes == exported.outputBytes)
        #expect(try await tributary(["verify", "--data-dir", target]).status == 0)
    }

    @Test func importStopsAtABadLineNamingItAndKeepsWhatCameBefore() async throws {
        let source = temporaryPath("export")
        let target = temporaryPath("import")
        defer {
            try? FileManager.default.removeItem(atPath: source)
            try? FileManager.default.removeItem(atPath: target)
        }
        _ = try await writeSampleJournal(source)
        var input = try await tributary(["export", "--data-dir", source]).outputBytes
        input += Data("{\"position\":6,\"stream\":\"counters/a\"}\n".utf8)
        let result = try await tributary(["import", "--data-dir", target], input: input)
        #expect(result.status == 1)
        #expect(result.standardError.contains("line 6 needs \"version\", a positive integer"))
        #expect(result.standardError.contains("5 events imported before it are kept"))
        #expect(try await readJournal(target).count == 5)

        // Importing the same export again would repeat positions: refused, nothing added.
        let again = try await tributary(["import", "--data-dir", target], input: try await tributary(["export", "--data-dir", source]).outputBytes)
        #expect(again.status == 1)
        #expect(again.standardError.contains("line 1: event at position 1 does not continue the journal, which expects position 6 next"))
        #expect(try await readJournal(target).count == 5)
    }

    @Test func backupMakesAVerifiedCopyAndRefusesANonEmptyTarget() async throws {
        let source = temporaryPath("backup-source")
        let target = temporaryPath("backup")
        defer {
            try? FileManager.default.removeItem(atPath: source)
            try? FileManager.default.removeItem(atPath: target)
        }
        let original = try await writeSampleJournal(source)
        let result = try await tributary(["backup", "--data-dir", source, "--to", target])
        #expect(result.status == 0)
        #expect(result.standardOutput.hasSuffix("clean\n"))
        #expect(try await readJournal(target) == original)

        let again = try await tributary(["backup", "--data-dir", source, "--to", target])
        #expect(again.status == 1)
        #expect(again.standardError.contains("the target directory is not empty"))
    }

    @Test func pointInTimeRestoreGivesTheLogAsOfThatPositionOrTime() async throws {
        let source = temporaryPath("restore-source")
        let byPosition = temporaryPath("restore-position")
        let byTime = temporaryPath("restore-time")
        defer {
            for path in [source, byPosition, byTime] { try? FileManager.default.removeItem(atPath: path) }
        }
        let original = try await writeSampleJournal(source)

        let result = try await tributary(["restore", "--data-dir", source, "--to", byPosition, "--until-position", "3"])
        #expect(result.status == 0)
        #expect(result.standardOutput.contains("restored positions 1…3"))
        #expect(try await readJournal(byPosition) == Array(original.prefix(3)))

        let timed = try await tributary(["restore", "--data-dir", source, "--to", byTime, "--until-time", "2026-01-01T00:00:04Z"])
        #expect(timed.status == 0)
        #expect(try await readJournal(byTime) == Array(original.prefix(4)))
        // The source is untouched.
        #expect(try await readJournal(source) == original)

        let intoExisting = try await tributary(["restore", "--data-dir", source, "--to", byTime])
        #expect(intoExisting.status == 1)
        #expect(intoExisting.standardError.contains("already holds a journal"))
        let withoutTarget = try await tributary(["restore", "--data-dir", source, "--until-position", "2"])
        #expect(withoutTarget.status != 0)
        #expect(withoutTarget.standardError.contains("add --to"))
    }

    @Test func inPlaceRestoreRebuildsTheStreamIndex() async throws {
        let directory = temporaryPath("restore-index")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let original = try await writeSampleJournal(directory)
        let environment = try LMDBEnvironment(path: directory)
        let streams = try environment.openDatabase("streams")
        try environment.withWriteTransaction { try $0.empty(streams) }
        environment.close()
        #expect(try await tributary(["verify", "--data-dir", directory]).status == 1)
        // Derived data a server left beside the journal.
        let readModels = try LMDBProjectionStorage(directory: directory + "/readmodels")
        try readModels.close()
        try FileManager.default.createDirectory(atPath: directory + "/snapshots", withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: directory + "/snapshots/gaps.snapshot", contents: Data("x".utf8))

        let result = try await tributary(["restore", "--data-dir", directory])
        #expect(result.status == 0)
        #expect(result.standardOutput.contains("rebuilt the stream index of \(directory): 5 events in 2 streams"))
        #expect(!FileManager.default.fileExists(atPath: directory + "/readmodels"))
        #expect(!FileManager.default.fileExists(atPath: directory + "/snapshots"))
        #expect(try await tributary(["verify", "--data-dir", directory]).status == 0)
        let journal = try LMDBJournal(directory: directory)
        #expect(try await journal.readStream(StreamName(category: "counters", id: "a"), fromVersion: 1, limit: 10) == original.filter { $0.stream.id == "a" })
        await journal.close()
    }

    @Test func commandsOnADirectoryWithoutAJournalSaySo() async throws {
        let missing = temporaryPath("missing")
        for command in ["verify", "stats", "export"] {
            let result = try await tributary([command, "--data-dir", missing])
            #expect(result.status == 1, "\(command)")
            #expect(result.standardError.contains("holds no Tributary journal"), "\(command): \(result.standardError)")
        }
    }
}
