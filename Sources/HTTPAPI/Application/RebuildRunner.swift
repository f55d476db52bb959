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

    /// Runs the queued jobs one after another: two rebuilds would otherwise fill the same
    /// second slot of the read-model storage at once.
    func run() async throws {
        for await job in stream.cancelOnGracefulShutdown() {
            // Shutting down: a running job stops at its next page instead of holding up the exit.
            await cancelWhenGracefulShutdown { await job() }
        }
    }
}
