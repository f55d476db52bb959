import EventSourcing
import Foundation
import Testing

@testable import Publishing

/// The checkpoint file the publisher resumes from: a missing file means "from the beginning", but
/// a file that exists and cannot be read must not be mistaken for a missing one (the publisher
/// then says so in its log instead of silently publishing the whole journal again).
@Suite("FilePublisherCheckpoint")
struct FilePublisherCheckpointTests {
    private func directory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("checkpoint-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test("a missing file loads as 0, a saved position loads back")
    func missingThenSaved() throws {
        let directory = try directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let checkpoint = FilePublisherCheckpoint(path: directory + "/publisher", journalID: "J1")
        #expect(try checkpoint.load() == 0)
        try checkpoint.save(4_321)
        #expect(try checkpoint.load() == 4_321)
    }

    @Test("a checkpoint of another journal does not load")
    func otherJournal() throws {
        let directory = try directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try FilePublisherCheckpoint(path: directory + "/publisher", journalID: "J1").save(7)
        #expect(throws: PublisherCheckpointError.self) {
            try FilePublisherCheckpoint(path: directory + "/publisher", journalID: "J2").load()
        }
    }

    @Test("a file that cannot be read throws instead of loading as 0")
    func unreadable() throws {
        let directory = try directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // A regular file where a directory should be: open fails with ENOTDIR, not ENOENT. (The
        // tests may run as root, so a permission bit would not stop the read.)
        FileManager.default.createFile(atPath: directory + "/blocked", contents: Data("x".utf8))
        let checkpoint = FilePublisherCheckpoint(path: directory + "/blocked/publisher", journalID: "J1")
        let error = #expect(throws: FileIOError.self) { try checkpoint.load() }
        #expect(error?.code == ENOTDIR)
        #expect(error?.description.contains("blocked/publisher") == true)

        // A directory in the file's place: it opens, and the read fails with EISDIR.
        try FileManager.default.createDirectory(atPath: directory + "/publisher", withIntermediateDirectories: false)
        let directoryInTheWay = #expect(throws: FileIOError.self) {
            try FilePublisherCheckpoint(path: directory + "/publisher", journalID: "J1").load()
        }
        #expect(directoryInTheWay?.code == EISDIR)
    }
}
