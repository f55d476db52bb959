import EventSourcing
import EventSourcingLMDB
import Testing

/// The journals the contract suite runs against.
enum JournalFactory: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case inMemory
    case lmdb
    /// LMDB writing its stream index every few events, so reads cross index flushes.
    case lmdbFrequentIndexFlush

    var testDescription: String {
        switch self {
        case .inMemory: "InMemoryJournal"
        case .lmdb: "LMDBJournal"
        case .lmdbFrequentIndexFlush: "LMDBJournal (index flushed every 3 events, an entry per commit)"
        }
    }

    /// Runs `body` with a new, empty journal, then closes it (and removes its directory).
    func withJournal(_ body: (any Journal) async throws -> Void) async throws {
        switch self {
        case .inMemory:
            try await body(InMemoryJournal())
        case .lmdb:
            try await withLMDBJournal { journal, _ in try await body(journal) }
        case .lmdbFrequentIndexFlush:
            try await withLMDBJournal(configuration: .init(indexFlushEvents: 3, indexFlushChunk: 1)) { journal, _ in try await body(journal) }
        }
    }
}

/// Runs `body` with an LMDB journal in a new temporary directory, then closes the journal and
/// removes the directory, whether `body` succeeds or throws.
func withLMDBJournal(
    configuration: LMDBJournalConfiguration = .init(),
    _ body: (LMDBJournal, TemporaryDirectory) async throws -> Void
) async throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let journal = try LMDBJournal(directory: directory.path, configuration: configuration)
    do {
        try await body(journal, directory)
    } catch {
        await journal.close()
        throw error
    }
    await journal.close()
}
