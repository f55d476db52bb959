import Logging
import ServiceLifecycle

/// The service that owns the journal's lifetime: on graceful shutdown it commits whatever is
/// queued, stops the writer thread and closes LMDB.
///
/// Put it first in the service list: services shut down in reverse order, so the journal closes
/// only after the HTTP server and the projection runner have stopped using it.
public struct LMDBJournalService: Service {
    private let journal: LMDBJournal
    private let logger: Logger

    /// A service closing `journal` on shutdown.
    public init(journal: LMDBJournal, logger: Logger) {
        self.journal = journal
        self.logger = logger
    }

    public func run() async throws {
        try? await gracefulShutdown()
        // Read before closing: the environment answers nothing afterwards.
        let statistics = journal.writerStatistics
        let mapBytes = journal.environment.mapSize
        await journal.close()
        logger.info(
            "journal closed",
            metadata: [
                "commits": "\(statistics.commits)",
                "events": "\(statistics.events)",
                "commitSeconds": "\(statistics.totalCommitTime)",
                "indexFlushes": "\(statistics.indexFlushes)",
                "indexFlushSeconds": "\(statistics.indexFlushTime)",
                "longestCommit": "\(statistics.longestCommit)",
                "mapBytes": "\(mapBytes)",
            ]
        )
    }
}
