import Logging
import ServiceLifecycle

/// The service that follows the journal and feeds every projection, until graceful shutdown.
///
/// It reads each page of the log once and hands it to all projections concurrently; a projection
/// that is already past some of those events (restored from a snapshot) skips them. While they
/// apply a full page, the next one is already being read and decoded. When the
/// log is exhausted it waits for the journal's next commit rather than polling. The set of
/// projections is asked for on every page, so a rebuilt projection swapped in is fed from
/// wherever it stands. A projection that fails to apply a page (its store's disk is full) is
/// logged and handed the page again after `retryDelay`; the others go on.
public struct ProjectionRunner: Service {
    private let journal: any Journal
    private let projections: @Sendable () -> [any Projection]
    private let batchSize: Int
    private let logger: Logger
    /// The pause before a projection that failed to apply events is handed them again.
    private let retryDelay: Duration

    /// A runner feeding `projections` from `journal`, `batchSize` events per read.
    public init(journal: any Journal, projections: [any Projection], batchSize: Int = 2048, retryDelay: Duration = .seconds(1), logger: Logger) {
        self.init(journal: journal, batchSize: batchSize, retryDelay: retryDelay, logger: logger) { projections }
    }

    /// A runner feeding whatever projections `projections` returns at each page.
    public init(
        journal: any Journal,
        batchSize: Int = 2048,
        retryDelay: Duration = .seconds(1),
        logger: Logger,
        projections: @escaping @Sendable () -> [any Projection]
    ) {
        self.retryDelay = retryDelay
        self.journal = journal
        self.projections = projections
        self.batchSize = batchSize
        self.logger = logger
    }

    public func run() async throws {
        // The next page is read (and decoded) while the projections apply this one; it is used
        // when the projections end up where it starts, which they do unless the set changed.
        var prefetched: (after: UInt64, read: Task<[RecordedEvent], any Error>)?
        defer { prefetched?.read.cancel() }
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            let projections = self.projections()
            guard !projections.isEmpty else {
                try? await gracefulShutdown()
                return
            }
            let cursor = projections.map(\.applied.position).min() ?? 0
            let events: [RecordedEvent]
            do {
                if let next = prefetched, next.after == cursor {
                    events = try await next.read.value
                } else {
                    prefetched?.read.cancel()
                    events = try await journal.readAll(after: cursor, limit: batchSize)
                }
            } catch {
                logger.error("projections stopped: cannot read the journal", metadata: ["error": "\(error)"])
                throw error
            }
            prefetched = nil
            guard let last = events.last else {
                let waitFrom = cursor
                await cancelWhenGracefulShutdown { await journal.waitForCommit(after: waitFrom) }
                continue
            }
            if events.count == batchSize {
                // A full page: more is probably committed already.
                let journal = self.journal
                let batchSize = self.batchSize
                prefetched = (last.position, Task { try await journal.readAll(after: last.position, limit: batchSize) })
            }
            let failures = await withTaskGroup(of: String?.self) { group in
                for projection in projections {
                    group.addTask {
                        let from = projection.applied.position
                        guard from < last.position else { return nil }
                        let pending = from < events[0].position ? events : events.filter { $0.position > from }
                        do {
                            try await projection.apply(pending)
                        } catch {
                            logger.error(
                                "projection failed to apply events; retrying",
                                metadata: ["projection": "\(projection.name)", "after": "\(from)", "error": "\(error)"]
                            )
                            return projection.name
                        }
                        projection.applied.advance(to: last.position)
                        return nil
                    }
                }
                return await group.reduce(into: [String]()) { if let name = $1 { $0.append(name) } }
            }
            if !failures.isEmpty {
                // A failed projection is unchanged and stays behind: the next round hands it the
                // same events again, after a pause (a full disk takes time to clear).
                prefetched?.read.cancel()
                prefetched = nil
                try? await Task.sleep(for: retryDelay)
            }
        }
    }
}
