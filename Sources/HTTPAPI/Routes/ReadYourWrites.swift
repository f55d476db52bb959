import EventSourcing
import Hummingbird

/// Waiting for a position before answering a read (`minPosition`, `wait`).
///
/// A position the journal has not committed yet cannot come from an acknowledged write (writes
/// answer only once durable), so it is refused at once with 400 rather than waited for: waiting
/// would only end in 503. A committed position the read model has not applied yet is waited for,
/// at most `wait` milliseconds (capped at `limit`), then answers 503 with `Retry-After`: never
/// stale data.
struct ReadYourWrites: Sendable {
    /// The journal whose committed head bounds the positions worth waiting for.
    let journal: any Journal
    /// The longest wait granted, in milliseconds, whatever `wait` asks for.
    let limit: Int

    /// Honours the request's `minPosition`: returns once `watch` has reached it.
    func wait(for request: Request, on watch: PositionWatch) async throws {
        try await wait(for: request, current: { watch.position }, waiter: { target in await watch.wait(until: target) })
    }

    /// Honours the request's `minPosition` against the journal alone: the journal has committed it.
    /// Reads of the log and of a record's history need nothing else.
    func waitForJournal(_ request: Request) async throws {
        guard let target = try minimumPosition(request) else { return }
        _ = try waitMilliseconds(request)
        _ = try await committedHead(covering: target)
    }

    /// Honours the request's `minPosition`: returns once `current()` reaches it; `waiter(target)`
    /// returns when it may have (it is cancelled when the wait runs out).
    func wait(
        for request: Request,
        current: @escaping @Sendable () async -> UInt64,
        waiter: @escaping @Sendable (UInt64) async -> Void
    ) async throws {
        guard let target = try minimumPosition(request) else { return }
        let milliseconds = try waitMilliseconds(request)
        guard await current() < target else { return }
        _ = try await committedHead(covering: target)
        let reached = await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                await waiter(target)
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

    /// The request's `minPosition`, if any.
    private func minimumPosition(_ request: Request) throws(Problem) -> UInt64? {
        try request.integerParameter("minPosition")
    }

    /// The request's `wait` parameter in milliseconds (default 5000), capped at `limit`.
    private func waitMilliseconds(_ request: Request) throws(Problem) -> Int {
        let requested: Int = try request.integerParameter("wait") ?? 5000
        guard requested >= 0 else { throw Problem(.badRequest, detail: "wait must not be negative") }
        return min(requested, limit)
    }

    /// The journal's committed head, once it is at least `target`; 400 when it is not.
    private func committedHead(covering target: UInt64) async throws -> UInt64 {
        let head = try await journal.lastPosition()
        guard head >= target else {
            throw Problem(
                .badRequest,
                detail: "minPosition \(target) is past the journal's last committed position \(head): no write has answered with it"
            )
        }
        return head
    }
}
