@testable import HTTPAPI
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import JSON
import NIOCore
import Testing

/// Bearer tokens and scopes on every `/v1` route family, and the refusal to listen openly.
@Suite("Authentication and scopes")
struct AuthenticationTests {
    static let tokens = """
        # name scopes token
        relay    ingest        ingest-token-0123456789
        reader   query         query-token-0123456789
        operator admin         admin-token-0123456789
        """
    static let token: [Scope: String] = [.ingest: "ingest-token-0123456789", .query: "query-token-0123456789", .admin: "admin-token-0123456789"]

    func application() async throws -> some ApplicationProtocol {
        try await testApplication { configuration in
            configuration.accessTokens = try! AccessTokens(parsing: Self.tokens)
        }
    }

    /// One request of each route family, with the scope it needs.
    static let routes: [(method: HTTPRequest.Method, path: String, body: JSONValue?, scope: Scope)] = [
        (.post, "/v1/cdc", changeEvent("CREATE", id: "001T1000001nI4jIAE", fields: ["Name": "Acme"]), .ingest),
        (.post, "/v1/commands/clients/001T1000001nI4jIAE", ["command": "upsert", "fields": ["Name": "Acme"]], .ingest),
        (.put, "/v1/schemas/W1ayyXPqg5d0qk9GkQKqgA", ["fieldOrder": ["Name"]], .ingest),
        (.get, "/v1/schemas/W1ayyXPqg5d0qk9GkQKqgA", nil, .query),
        (.get, "/v1/clients", nil, .query),
        (.get, "/v1/clients/001T1000001nI4jIAE", nil, .query),
        (.get, "/v1/clients/001T1000001nI4jIAE/events", nil, .query),
        (.get, "/v1/clients/001T1000001nI4jIAE/summary", nil, .query),
        (.get, "/v1/events", nil, .query),
        (.get, "/v1/projections", nil, .query),
        (.get, "/v1/gaps", nil, .query),
        (.get, "/v1/backfill/some-job", nil, .query),
        (.post, "/v1/backfill", ["entity": "Account"], .admin),
        (.post, "/v1/admin/projections/rebuild", nil, .admin),
        (.get, "/v1/admin/projections/rebuild/some-job", nil, .admin),
        (.post, "/v1/admin/snapshot", nil, .admin),
    ]

    func send(_ client: some TestClientProtocol, _ route: (method: HTTPRequest.Method, path: String, body: JSONValue?, scope: Scope), authorization: String?) async throws -> (HTTPResponse.Status, HTTPFields, JSONValue) {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let authorization { headers[.authorization] = authorization }
        return try await client.execute(uri: route.path, method: route.method, headers: headers, body: route.body.map { ByteBuffer(bytes: $0.jsonBytes()) }) { response in
            let body = response.body.readableBytes == 0 ? JSONValue.null : try JSONValue(parsing: Array(response.body.readableBytesView))
            return (response.status, response.headers, body)
        }
    }

    @Test func everyRouteFamilyNeedsAValidTokenWithItsScope() async throws {
        try await application().test(.router) { client in
            for route in Self.routes {
                let label = "\(route.method) \(route.path)"
                let missing = try await send(client, route, authorization: nil)
                #expect(missing.0 == .unauthorized, "\(label) without a token: \(missing.0)")
                #expect(missing.1[.wwwAuthenticate]?.hasPrefix("Bearer") == true, "\(label)")
                #expect(missing.1[.contentType] == "application/problem+json", "\(label)")

                let bad = try await send(client, route, authorization: "Bearer not-a-token-of-ours-at-all")
                #expect(bad.0 == .unauthorized, "\(label) with a bad token: \(bad.0)")
                #expect(bad.1[.wwwAuthenticate]?.contains("invalid_token") == true, "\(label)")

                let notBearer = try await send(client, route, authorization: "Basic dXNlcjpwYXNz")
                #expect(notBearer.0 == .unauthorized, "\(label) with Basic auth: \(notBearer.0)")

                for scope in Scope.allCases where scope != route.scope {
                    let wrong = try await send(client, route, authorization: "Bearer \(Self.token[scope]!)")
                    #expect(wrong.0 == .forbidden, "\(label) with a \(scope) token: \(wrong.0)")
                    #expect(wrong.2["detail"]?.stringValue?.contains(route.scope.rawValue) == true, "\(label)")
                }

                let right = try await send(client, route, authorization: "bearer \(Self.token[route.scope]!)")
                #expect(right.0 != .unauthorized && right.0 != .forbidden, "\(label) with its scope: \(right.0)")
                #expect(right.0 != .internalServerError, "\(label)")
            }
        }
    }

    @Test func healthReadinessMetricsAndTheOpenAPIDocumentStayOpenByDefault() async throws {
        try await application().test(.router) { client in
            for path in ["/health", "/ready", "/openapi.json"] {
                let response = try await client.request(path)
                #expect(response.status == .ok, "\(path)")
            }
            #expect(try await client.execute(uri: "/metrics", method: .get) { $0.status } == .ok)
            // A /v1 path no route serves still needs a token first.
            let unknown = try await client.request("/v1/nothing-here", method: .delete)
            #expect(unknown.status == .unauthorized)
        }
    }

    /// The API lets configuration decide `/metrics` and `/openapi.json`: each can need a scope of
    /// its own, while `/health` and `/ready` stay open whatever is configured.
    @Test func metricsAndTheOpenAPIDocumentNeedTheScopeConfiguredForThem() async throws {
        let application = try await testApplication { configuration in
            configuration.accessTokens = try! AccessTokens(parsing: Self.tokens)
            configuration.metricsScope = .admin
            configuration.openAPIScope = .query
        }
        try await application.test(.router) { client in
            for path in ["/health", "/ready"] {
                #expect(try await client.request(path).status == .ok, "\(path)")
            }
            for (path, scope) in [("/metrics", Scope.admin), ("/openapi.json", Scope.query)] {
                let route = (method: HTTPRequest.Method.get, path: path, body: JSONValue?.none, scope: scope)
                let missing = try await send(client, route, authorization: nil)
                #expect(missing.0 == .unauthorized, "\(path) without a token")
                #expect(missing.1[.contentType] == "application/problem+json", "\(path)")
                for other in Scope.allCases where other != scope {
                    let wrong = try await send(client, route, authorization: "Bearer \(Self.token[other]!)")
                    #expect(wrong.0 == .forbidden, "\(path) with a \(other) token: \(wrong.0)")
                }
                let right = try await client.execute(uri: path, method: .get, headers: [.authorization: "Bearer \(Self.token[scope]!)"]) { response in
                    (response.status, String(buffer: response.body))
                }
                #expect(right.0 == .ok, "\(path) with its scope")
                #expect(right.1.contains(path == "/metrics" ? "tributary_" : "\"openapi\""), "\(path) answers its content")
            }
        }
    }

    /// The router skips empty path segments (`/v1//cdc/` is `/v1/cdc` to it), so the scope check
    /// must too: extra slashes must not turn a route into one that needs less.
    @Test func extraSlashesNeedTheTokenTheirRouteNeeds() async throws {
        let application = try await testApplication { configuration in
            configuration.accessTokens = try! AccessTokens(parsing: Self.tokens)
            configuration.metricsScope = .admin
        }
        let routes = Self.routes + [(method: HTTPRequest.Method.get, path: "/metrics", body: JSONValue?.none, scope: Scope.admin)]
        try await application.test(.router) { client in
            for route in routes {
                let doubled = route.path.replacingOccurrences(of: "/", with: "//")
                for variant in [route.path + "/", doubled, doubled + "//"] {
                    let request = (method: route.method, path: variant, body: route.body, scope: route.scope)
                    let missing = try await send(client, request, authorization: nil)
                    #expect(missing.0 == .unauthorized, "\(route.method) \(variant) without a token: \(missing.0)")
                    for scope in Scope.allCases where scope != route.scope {
                        let wrong = try await send(client, request, authorization: "Bearer \(Self.token[scope]!)")
                        #expect(wrong.0 == .forbidden, "\(route.method) \(variant) with a \(scope) token: \(wrong.0)")
                    }
                }
            }
        }
    }

    @Test func pathsAreCheckedInTheFormTheRouterMatches() {
        #expect(RoutePath.canonical("/v1/cdc") == "/v1/cdc")
        #expect(RoutePath.canonical("/") == "/")
        #expect(RoutePath.canonical("//") == "/")
        #expect(RoutePath.canonical("/v1//cdc/") == "/v1/cdc")
        #expect(RoutePath.canonical("//v1/commands//clients/001") == "/v1/commands/clients/001")
        #expect(RoutePath.canonical("/metrics/") == "/metrics")
    }

    @Test func aScopeForMetricsOrTheOpenAPIDocumentNeedsTokens() async throws {
        await #expect(throws: ConfigurationError.self) {
            _ = try await testApplication { $0.metricsScope = .admin }
        }
        await #expect(throws: ConfigurationError.self) {
            _ = try await testApplication { $0.openAPIScope = .query }
        }
    }

    @Test func aTokenWithSeveralScopesMayDoEachAndWritesThenReads() async throws {
        let app = try await testApplication { configuration in
            configuration.accessTokens = try! AccessTokens(parsing: "service ingest,query service-token-0123456789")
        }
        try await app.test(.router) { client in
            let headers: HTTPFields = [.authorization: "Bearer service-token-0123456789", .contentType: "application/json"]
            let written = try await client.execute(
                uri: "/v1/cdc", method: .post, headers: headers,
                body: ByteBuffer(bytes: changeEvent("CREATE", id: "001T1000001nI4jIAE", fields: ["Name": "Acme"]).jsonBytes())
            ) { $0.status }
            #expect(written == .ok)
            let read = try await client.execute(uri: "/v1/clients/001T1000001nI4jIAE?minPosition=1", method: .get, headers: headers) { $0.status }
            #expect(read == .ok)
            let admin = try await client.execute(uri: "/v1/admin/projections/rebuild", method: .post, headers: headers) { $0.status }
            #expect(admin == .forbidden)
        }
    }

    @Test func tokenFilesAreCheckedLineByLine() throws {
        #expect(throws: AccessTokensError.self) { try AccessTokens(parsing: "relay ingest short") }
        #expect(throws: AccessTokensError.self) { try AccessTokens(parsing: "relay write ingest-token-0123456789") }
        #expect(throws: AccessTokensError.self) { try AccessTokens(parsing: "relay ingest-token-0123456789") }
        #expect(throws: AccessTokensError.self) { try AccessTokens(parsing: "# only a comment") }
        let tokens = try AccessTokens(parsing: "a ingest aaaaaaaaaaaaaaaaaaaa;b query,admin bbbbbbbbbbbbbbbbbbbb")
        #expect(tokens.holder(of: "aaaaaaaaaaaaaaaaaaaa")?.name == "a")
        #expect(tokens.holder(of: "bbbbbbbbbbbbbbbbbbbb")?.scopes == [.query, .admin])
        #expect(tokens.holder(of: "aaaaaaaaaaaaaaaaaaab") == nil)
    }

    @Test func aServerRefusesToListenBeyondLoopbackWithoutTokens() async throws {
        await #expect(throws: ConfigurationError.self) {
            _ = try await testApplication { $0.host = "0.0.0.0" }
        }
        // With tokens, or when told it is meant, it starts.
        _ = try await testApplication { configuration in
            configuration.host = "0.0.0.0"
            configuration.accessTokens = try! AccessTokens(parsing: Self.tokens)
        }
        _ = try await testApplication { configuration in
            configuration.host = "0.0.0.0"
            configuration.allowInsecureListening = true
        }
        for host in ["127.0.0.1", "localhost", "::1", "127.1.2.3"] {
            _ = try await testApplication { $0.host = host }
        }
    }
}
