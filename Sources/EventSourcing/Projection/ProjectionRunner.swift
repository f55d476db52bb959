import Logging
import ServiceLifecycle

/// The service that follows the journal and feeds every projection, until graceful shutdown.
///
/// It reads each page of the log once and hands it to all projections concurrently; a projection
/// that is already past some of those events (restored from a snapshot) skips them. While they
/// apply a full page, the next one is already being read and decoded. When the
/// log is exhausted it waits for the journal's next commit rather than polling. The set of
/// projections is asked for on every page, so a rebuilt projection swapped in is fed from
/// wherever it stands.
public struct ProjectionRunner: Service {
    private let journal: any Journal
    private let projections: @Sendable () -> [any Projection]
    private let batchSize: Int
    private let logger: Logger

    /// A runner feeding `projections` from `journal`, `batchSize` events per read.
    public init(journal: any Journal, projections: [any Projection], batchSize: Int = 2048, logger: Logger) {
        self.init(journal: journal, batchSize: batchSize, logger: logger) { projections }
    }

    /// A runner feeding whatever projections `projections` returns at each page.
    public init(
        journal: any Journal,
        batchSize: Int = 2048,
        logger: Logger,
        projections: @escaping @Sendable () -> [any Projection]
    ) {
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
            await withTaskGroup(of: Void.self) { group in
                for projection in projections {
                    group.addTask {
                        let from = projection.applied.position
                        guard from < last.position else { return }
                        let pending = from < events[0].position ? events : events.filter { $0.position > from }
                        await projection.apply(pending)
                        projection.applied.advance(to: last.position)
                    }
                }
            }
        }
    }
}
