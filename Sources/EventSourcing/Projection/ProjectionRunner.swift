import Logging
import ServiceLifecycle

/// The service that follows the journal and feeds every projection, until graceful shutdown.
///
/// It reads each page of the log once and hands it to all projections concurrently; a projection
/// that is already past some of those events (restored from a checkpoint) skips them. When the
/// log is exhausted it waits for the journal's next commit rather than polling.
public struct ProjectionRunner: Service {
    private let journal: any Journal
    private let projections: [any Projection]
    private let batchSize: Int
    private let logger: Logger

    /// A runner feeding `projections` from `journal`, `batchSize` events per read.
    public init(journal: any Journal, projections: [any Projection], batchSize: Int = 2048, logger: Logger) {
        self.journal = journal
        self.projections = projections
        self.batchSize = batchSize
        self.logger = logger
    }

    public func run() async throws {
        var cursor = projections.map(\.applied.position).min() ?? 0
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            let events: [RecordedEvent]
            do {
                events = try await journal.readAll(after: cursor, limit: batchSize)
            } catch {
                logger.error("projections stopped: cannot read the journal", metadata: ["error": "\(error)"])
                throw error
            }
            guard let last = events.last else {
                let waitFrom = cursor
                await cancelWhenGracefulShutdown { await journal.waitForCommit(after: waitFrom) }
                continue
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
            cursor = last.position
        }
    }
}
