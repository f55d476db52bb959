import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// Turns every error a route throws into problem+json: Hummingbird's own errors keep their
/// status; anything unexpected is logged and answered 500 without internals.
struct ProblemMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let problem as Problem {
            throw problem
        } catch let error as HTTPError {
            let detail = error.body ?? Self.detail(for: error.status, request: request)
            throw Problem(error.status, detail: detail, headers: error.headers)
        } catch is NIOTooManyBytesError {
            throw Problem(.contentTooLarge, detail: "the request body is larger than the configured limit")
        } catch let error as any HTTPResponseError {
            throw Problem(error.status, detail: Self.detail(for: error.status, request: request))
        } catch {
            context.logger.error("request failed", metadata: ["error": "\(error)", "path": "\(request.uri.path)"])
            throw Problem(.internalServerError, detail: "the server could not complete the request; it has been logged")
        }
    }

    private static func detail(for status: HTTPResponse.Status, request: Request) -> String {
        switch status {
        case .notFound: "no resource at \(request.method) \(request.uri.path)"
        case .methodNotAllowed: "\(request.method) is not allowed on \(request.uri.path)"
        default: status.reasonPhrase
        }
    }
}
