import EventSourcing
import EventSourcingLMDB
import Foundation
import Testing

/// What a run of the `tributary` executable printed and how it exited.
struct CommandResult {
    let status: Int32
    let standardOutput: String
    let standardError: String
    let outputBytes: Data
}

/// Runs `body` on a thread of its own, off Swift's cooperative pool: the pool has one thread per
/// core, so a test blocked on a child process for seconds would stall every other test's servers
/// (two such tests stall them all on a two-core machine).
func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try body() }) }.start()
    }
}

/// Runs the built `tributary` executable (`make test` builds it before the tests run), waiting
/// for it off the cooperative pool.
func tributary(_ arguments: [String], input: Data? = nil) async throws -> CommandResult {
    try await offPool { try runTributary(arguments, input: input) }
}

private func runTributary(_ arguments: [String], input: Data?) throws -> CommandResult {
    let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("tributary")
    let inBuild = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../.build/debug/tributary")
    let executable = try #require(
        [beside, inBuild].first { FileManager.default.isExecutableFile(atPath: $0.path) },
        "build the tributary executable first (swift build)"
    )
    let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("tributary-cli-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: scratch) }
    let inputFile = scratch.appendingPathComponent("stdin")
    let outputFile = scratch.appendingPathComponent("stdout")
    let errorFile = scratch.appendingPathComponent("stderr")
    try (input ?? Data()).write(to: inputFile)
    _ = FileManager.default.createFile(atPath: outputFile.path, contents: nil)
    _ = FileManager.default.createFile(atPath: errorFile.path, contents: nil)

    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    process.standardInput = try FileHandle(forReadingFrom: inputFile)
    process.standardOutput = try FileHandle(forWritingTo: outputFile)
    process.standardError = try FileHandle(forWritingTo: errorFile)
    try process.run()
    process.waitUntilExit()
    let output = try Data(contentsOf: outputFile)
    return CommandResult(
        status: process.terminationStatus,
        standardOutput: String(decoding: output, as: UTF8.self),
        standardError: String(decoding: try Data(contentsOf: errorFile), as: UTF8.self),
        outputBytes: output
    )
}

/// A fresh directory path under the system's temporary directory (not created).
func temporaryPath(_ label: String) -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("tributary-\(label)-\(UUID().uuidString)").path
}

/// A closed journal in `directory` with a: versions 1–3 (positions 1–3), b: 1 (4), a: 4 (5),
/// recorded one second apart from 2026-01-01T00:00:01Z.
func writeSampleJournal(_ directory: String) async throws -> [RecordedEvent] {
    let journal = try LMDBJournal(directory: directory)
    let a = StreamName(category: "counters", id: "a")
    let b = StreamName(category: "counters", id: "b")
    var second: Int64 = 1_767_225_600
    func event(_ label: String) -> NewEvent {
        second += 1
        return NewEvent(type: "Counted", metadata: ["source": "cdc"], data: ["label": .string(label)], recordedAt: Timestamp(millisecondsSinceEpoch: second * 1000))
    }
    _ = try await journal.append(AppendRequest(stream: a, expectedVersion: .exact(0), events: [event("a1"), event("a2"), event("a3")]))
    _ = try await journal.append(AppendRequest(stream: b, expectedVersion: .exact(0), events: [event("b1")]))
    _ = try await journal.append(AppendRequest(stream: a, expectedVersion: .exact(3), events: [event("a4")]))
    let events = try await journal.readAll(after: 0, limit: 100)
    await journal.close()
    return events
}

/// Every event of the journal in `directory`.
func readJournal(_ directory: String) async throws -> [RecordedEvent] {
    let journal = try LMDBJournal(directory: directory, configuration: .init(lmdb: .init(readOnly: true)))
    let events = try await journal.readAll(after: 0, limit: 100_000)
    await journal.close()
    return events
}
