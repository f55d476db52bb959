import ArgumentParser
import EventSourcing
import EventSourcingLMDB

#if canImport(Glibc)
import Glibc
#endif

/// `tributary import`: appends an NDJSON export to a journal.
struct Import: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Append NDJSON events (from `tributary export`) read from standard input to a journal.",
        discussion: """
            The events keep their positions, versions and record times: the first must be the journal's \
            next position (1 for a new directory), each must follow its stream's version. No server may \
            run on the directory. On a bad line it stops with the line number; what was imported before \
            stays. Exits 0 when every line was imported.
            """
    )

    @OptionGroup var options: DataDirectoryOptions

    func run() async throws {
        let progress = ProgressReporter("import")
        let journal = try await operation("import") {
            try LMDBJournal(directory: options.dataDirectory)
        }
        var importer: JournalImporter
        do {
            importer = try await JournalImporter(journal: journal)
        } catch {
            await journal.close()
            throw StartupError(message: "import failed: \(error)")
        }
        var lineNumber = 0
        do {
            var reader = LineReader(descriptor: STDIN_FILENO)
            while let line = try reader.next() {
                lineNumber += 1
                if line.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\r") }) { continue }
                let event: RecordedEvent
                do {
                    event = try RecordedEvent(ndjsonLine: line)
                } catch {
                    throw StartupError(message: "line \(lineNumber) \(error)")
                }
                do {
                    try await importer.add(event)
                } catch {
                    throw StartupError(message: "line \(lineNumber): \(error)")
                }
                if lineNumber % 4096 == 0 { progress.update(importer.imported, of: 0) }
            }
            try await importer.flush()
        } catch {
            progress.finish()
            // The lines before the bad one are good: append what is still queued of them.
            try? await importer.flush()
            let kept = importer.imported
            await journal.close()
            throw StartupError(message: "import stopped: \(error); \(grouped(kept)) events imported before it are kept")
        }
        progress.finish()
        let last = try await journal.lastPosition()
        await journal.close()
        FileHandleOutput.standardError("imported \(grouped(importer.imported)) events; the journal ends at position \(last)\n")
    }
}

/// Lines of a file descriptor, read in large chunks, without their newlines.
struct LineReader {
    let descriptor: Int32
    private var buffer: [UInt8] = []
    private var start = 0
    private var ended = false

    init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    mutating func next() throws -> ArraySlice<UInt8>? {
        while true {
            if let newline = buffer[start...].firstIndex(of: UInt8(ascii: "\n")) {
                defer { start = newline + 1 }
                return buffer[start..<newline]
            }
            if ended {
                guard start < buffer.count else { return nil }
                defer { start = buffer.count }
                return buffer[start...]
            }
            buffer.removeFirst(start)
            start = 0
            var chunk = [UInt8](repeating: 0, count: 1 << 20)
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw StartupError(message: "cannot read standard input (errno \(errno))")
            }
            if count == 0 { ended = true } else { buffer.append(contentsOf: chunk[..<count]) }
        }
    }
}
