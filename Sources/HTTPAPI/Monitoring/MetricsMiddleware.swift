import HTTPTypes
import Hummingbird

/// Counts and times every request by the route it matched (its template, e.g.
/// `/v1/:aggregate/:id`, so ids never become labels), method and final status: problems thrown
/// by inner middleware and routes count with their own status. Requests matching no route count
/// under `unmatched`. A streamed answer is timed to its head, not to the end of the stream.
struct MetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: ServerMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        let status: Int
        do {
            let response = try await next(request, context)
            status = response.status.code
            record(request, context, status: status, since: started)
            return response
        } catch let error as any HTTPResponseError {
            record(request, context, status: error.status.code, since: started)
            throw error
        } catch {
            record(request, context, status: 500, since: started)
            throw error
        }
    }

    private func record(_ request: Request, _ context: Context, status: Int, since started: ContinuousClock.Instant) {
        let elapsed = (ContinuousClock.now - started).components
        // Methods outside the standard ones (anyone can send any) share one label value.
        let method = standardMethods.contains(request.method) ? request.method.rawValue : "other"
        // Hummingbird names the path of a request no route matched "NotFound".
        let route = context.endpointPath.flatMap { $0 == "NotFound" ? nil : $0 } ?? "unmatched"
        metrics.recordRequest(
            route: route,
            method: method,
            status: status,
            nanoseconds: elapsed.seconds * 1_000_000_000 + elapsed.attoseconds / 1_000_000_000
        )
    }
}

/// The methods counted under their own name.
private let standardMethods: Set<HTTPRequest.Method> = [.get, .head, .post, .put, .delete, .patch, .options]
