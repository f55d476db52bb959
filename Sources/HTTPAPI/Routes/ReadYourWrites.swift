import EventSourcing
import Hummingbird

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

    /// The request's `wait` parameter in milliseconds (default 5000), capped at `limit`.
    static func waitMilliseconds(_ request: Request, limit: Int) throws(Problem) -> Int {
        let requested: Int = try request.integerParameter("wait") ?? 5000
        guard requested >= 0 else { throw Problem(.badRequest, detail: "wait must not be negative") }
        return min(requested, limit)
    }

    /// Honours the request's `minPosition`: returns once `watch` has reached it, or throws 503.
    static func wait(for request: Request, on watch: PositionWatch, limit: Int) async throws {
        guard let minimum: UInt64 = try request.integerParameter("minPosition") else { return }
        try await wait(
            until: minimum,
            current: { watch.position },
            waiter: { await watch.wait(until: minimum) },
            milliseconds: try waitMilliseconds(request, limit: limit)
        )
    }
}
