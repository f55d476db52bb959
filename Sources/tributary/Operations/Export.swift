import ArgumentParser
import EventSourcing
import EventSourcingLMDB

#if canImport(Glibc)
import Glibc
#endif

/// `tributary export`: the log as NDJSON on standard output.
struct Export: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a journal's events as NDJSON (one event per line) to standard output.",
        discussion: """
            Safe beside a running server. Each line holds position, stream, version, type, recordedAt, \
            metadata and data exactly as stored; `tributary import` appends them to another journal \
            byte for byte. Progress goes to standard error.
            """
    )

    @OptionGroup var options: DataDirectoryOptions

    @Option(help: "Export only events after this position (to continue an earlier export).")
    var after: UInt64 = 0

    func run() async throws {
        try options.requireJournal()
        let progress = ProgressReporter("export")
        let (count, last) = try await operation("export") { () async throws -> (UInt64, UInt64) in
            let journal = try LMDBJournal(
                directory: options.dataDirectory,
                configuration: LMDBJournalConfiguration(lmdb: LMDBConfiguration(readOnly: true))
            )
            defer { Task { await journal.close() } }
            let total = try await journal.lastPosition()
            var position = after
            var count: UInt64 = 0
            var buffer: [UInt8] = []
            buffer.reserveCapacity(1 << 20)
            while true {
                let page = try await journal.readAll(after: position, limit: 2048)
                guard let last = page.last else { break }
                for event in page {
                    buffer.append(contentsOf: event.ndjsonLine)
                    if buffer.count >= 1 << 20 { try writeOut(&buffer) }
                }
                count += UInt64(page.count)
                position = last.position
                progress.update(position, of: total)
            }
            try writeOut(&buffer)
            return (count, position)
        }
        progress.finish()
        let range = count == 0 ? "nothing after position \(after)" : "positions \(after + 1)…\(last)"
        FileHandleOutput.standardError("exported \(grouped(count)) events (\(range))\n")
    }

    private func writeOut(_ buffer: inout [UInt8]) throws {
        guard writeAll(STDOUT_FILENO, buffer) else {
            throw StartupError(message: "export failed: cannot write to standard output (errno \(errno))")
        }
        buffer.removeAll(keepingCapacity: true)
    }
}

/// Messages for standard error, which progress and summaries use so standard output carries
/// only data.
enum FileHandleOutput {
    static func standardError(_ text: String) {
        _ = writeAll(STDERR_FILENO, Array(text.utf8))
    }
}

/// Writes every byte to `descriptor`, across partial writes; false on an error.
func writeAll(_ descriptor: Int32, _ bytes: [UInt8]) -> Bool {
    bytes.withUnsafeBytes { buffer in
        var offset = 0
        while offset < buffer.count {
            let written = write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                return false
            }
            offset += written
        }
        return true
    }
}
