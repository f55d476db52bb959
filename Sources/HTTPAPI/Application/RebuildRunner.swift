import ServiceLifecycle

/// The service that runs background jobs (read-model rebuilds) until graceful shutdown, so no
/// job is a fire-and-forget task.
struct RebuildRunner: Service {
    private let stream: AsyncStream<@Sendable () async -> Void>
    private let continuation: AsyncStream<@Sendable () async -> Void>.Continuation

    init() {
        (stream, continuation) = AsyncStream.makeStream()
    }

    /// Queues `job` to run in the service's task group.
    func submit(_ job: @escaping @Sendable () async -> Void) {
        continuation.yield(job)
    }

    func run() async throws {
        await withDiscardingTaskGroup { group in
            for await job in stream.cancelOnGracefulShutdown() {
                group.addTask { await job() }
            }
            // Shutting down: running jobs stop at their next page instead of holding up the exit.
            group.cancelAll()
        }
    }
}
