/// Waiting for a position before answering a read (`minPosition`, `wait`).
enum ReadYourWrites {
    /// Returns once `current()` reaches `target`; throws a 503 problem with `Retry-After` when
    /// that takes longer than `milliseconds`. Never answers with stale data.
    static func wait(
        until target: UInt64,
        current: @escaping @Sendable () async -> UInt64,
        waiter: @escaping @Sendable () async -> Void,
        milliseconds: Int
    ) async throws {
        guard await current() < target else { return }
        let reached = await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                await waiter()
                return !Task.isCancelled
            }
            group.addTask {
                try? await Task.sleep(for: .milliseconds(milliseconds))
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
        let caughtUp = await current() >= target
        guard reached || caughtUp else {
            throw Problem.unavailable("the read model has not reached position \(target) within \(milliseconds) ms; retry")
        }
    }
}
