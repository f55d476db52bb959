import CRM
import EventSourcing
import HTTPTypes
import Hummingbird
import Synchronization

/// Sheds write load before it piles up: `POST /v1/cdc` and `POST /v1/commands/…` answer 503 with
/// `Retry-After`, writing nothing, while `maxInFlightWrites` writes are already running (they
/// hold bodies in memory and queue at the journal's writer) or while the read models are more
/// than `maxProjectionLag` events behind the journal. Memory stays bounded whatever the load;
/// clients retry.
struct WriteAdmissionMiddleware<Context: RequestContext>: RouterMiddleware {
    /// The write load right now.
    final class Load: Sendable {
        let inFlight = Mutex(0)
    }

    let maxInFlightWrites: Int
    let maxProjectionLag: UInt64
    let journal: any Journal
    let readModels: ReadModels
    let load = Load()

    static func isWrite(_ request: Request) -> Bool {
        guard request.method == .post else { return false }
        let path = RoutePath.canonical(request.uri.path)
        return path == "/v1/cdc" || path.hasPrefix("/v1/commands/")
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard Self.isWrite(request) else { return try await next(request, context) }
        let admitted = load.inFlight.withLock { count in
            guard count < maxInFlightWrites else { return false }
            count += 1
            return true
        }
        guard admitted else {
            throw Problem.unavailable("\(maxInFlightWrites) writes are already in progress; nothing was written; retry shortly")
        }
        defer { load.inFlight.withLock { $0 -= 1 } }
        let head = (try? await journal.lastPosition()) ?? 0
        let applied = readModels.lowestAppliedPosition ?? head
        let lag = applied.lag(behind: head)
        if lag > maxProjectionLag {
            throw Problem.unavailable(
                "the read models are \(lag) events behind the journal (more than \(maxProjectionLag)); nothing was written; retry shortly",
                retryAfterSeconds: 2
            )
        }
        return try await next(request, context)
    }
}
