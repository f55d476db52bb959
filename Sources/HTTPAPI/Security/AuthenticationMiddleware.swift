import HTTPTypes
import Hummingbird

/// Refuses `/v1` requests without a bearer token of the right scope, when tokens are configured:
/// 401 without a valid token, 403 with one that lacks the scope, 429 with `Retry-After` past the
/// token's rate limit when one is set. `/health` and `/ready` stay open; `/metrics` and
/// `/openapi.json` stay open unless `protectedOperationsRoutes` gives them a scope.
struct AuthenticationMiddleware<Context: RequestContext>: RouterMiddleware {
    let tokens: AccessTokens
    /// Per-token request rates, when limited.
    var rateLimiter: RateLimiter?
    /// The scopes `/metrics` and `/openapi.json` need, by path, when configured.
    var protectedOperationsRoutes: [String: Scope] = [:]

    /// What a request needs.
    enum Requirement: Equatable {
        /// Nothing: an open route.
        case none
        /// A token with this scope.
        case scope(Scope)
        /// Any valid token (a `/v1` path no route serves: the router answers 404 or 405 after).
        case anyToken
    }

    /// The scope `method` on `path` needs; `protected` gives `/metrics` and `/openapi.json`
    /// theirs.
    static func requirement(_ method: HTTPRequest.Method, _ path: String, protected: [String: Scope] = [:]) -> Requirement {
        if let scope = protected[path] { return .scope(scope) }
        guard path == "/v1" || path.hasPrefix("/v1/") else { return .none }
        if path.hasPrefix("/v1/admin/") || path == "/v1/admin" { return .scope(.admin) }
        switch method {
        case .post where path == "/v1/backfill": return .scope(.admin)
        case .post where path == "/v1/cdc" || path.hasPrefix("/v1/commands/"): return .scope(.ingest)
        case .put where path.hasPrefix("/v1/schemas/"): return .scope(.ingest)
        case .get, .head: return .scope(.query)
        default: return .anyToken
        }
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        // As the router sees it: `//v1//cdc/` must need what `/v1/cdc` needs.
        let requirement = Self.requirement(request.method, RoutePath.canonical(request.uri.path), protected: protectedOperationsRoutes)
        guard requirement != .none else { return try await next(request, context) }
        guard let header = request.headers[.authorization], header.count > 7, header.prefix(7).lowercased() == "bearer " else {
            throw Problem(
                .unauthorized,
                detail: "this route needs an Authorization: Bearer token",
                headers: [.wwwAuthenticate: #"Bearer realm="tributary""#]
            )
        }
        guard let holder = tokens.holder(of: header.dropFirst(7).drop { $0 == " " }) else {
            throw Problem(
                .unauthorized,
                detail: "the bearer token is not valid",
                headers: [.wwwAuthenticate: #"Bearer realm="tributary", error="invalid_token""#]
            )
        }
        if case .scope(let scope) = requirement, !holder.scopes.contains(scope) {
            throw Problem(
                .forbidden,
                detail: "the token of \(holder.name) lacks the \(scope.rawValue) scope this route needs",
                headers: [.wwwAuthenticate: #"Bearer realm="tributary", error="insufficient_scope", scope="\#(scope.rawValue)""#]
            )
        }
        if let rateLimiter, let wait = rateLimiter.admit(holder.name) {
            throw Problem(
                .tooManyRequests,
                detail: "\(holder.name) is over its rate limit of \(rateLimiter.rate) requests per second; retry later",
                headers: [.retryAfter: String(wait)]
            )
        }
        return try await next(request, context)
    }
}
