import HTTPAPI
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import JSON
import Testing

@Suite("Operations routes")
struct OperationsRouteTests {
    @Test func healthAndReadyAnswer200() async throws {
        let app = try await testApplication()
        try await app.test(.router) { client in
            let health = try await client.request("/health")
            #expect(health.status == .ok)
            #expect(health.body["status"] == "ok")
            #expect(try await client.request("/ready").status == .ok)
        }
    }

    @Test func unknownRouteIsAProblemNotAnEmptyPage() async throws {
        let app = try await testApplication()
        try await app.test(.router) { client in
            let response = try await client.request("/nothing/here")
            #expect(response.status == .notFound)
            #expect(response.headers[.contentType] == "application/problem+json")
            #expect(response.body["status"] == 404)
        }
    }

    @Test func projectionsReportPositionAndLag() async throws {
        let app = try await testApplication()
        try await app.test(.router) { client in
            try await client.request("/v1/cdc", method: .post, rawBody: Samples.bytes(Samples.cometDCreate))
            _ = try await client.request("/v1/clients/001T1000001nI4jIAE?minPosition=1")
            let projections = try await client.request("/v1/projections")
            #expect(projections.status == .ok)
            let clients = projections.body.arrayValue?.first { $0["name"] == "clients" }
            #expect(clients?["position"] == 1)
            #expect(clients?["lag"] == 0)
        }
    }

    @Test func openAPIDocumentDescribesEveryRouteServed() async throws {
        let app = try await testApplication()
        try await app.test(.router) { client in
            let response = try await client.request("/openapi.json")
            #expect(response.status == .ok)
            #expect(response.body["openapi"] == "3.1.0")
            let paths = try #require(response.body["paths"]?.objectValue)
            let served: [(String, String)] = [
                ("/health", "get"), ("/ready", "get"), ("/metrics", "get"), ("/openapi.json", "get"), ("/v1/cdc", "post"),
                ("/v1/projections", "get"), ("/v1/gaps", "get"), ("/v1/{aggregate}", "get"),
                ("/v1/{aggregate}/{id}", "get"), ("/v1/{aggregate}/{id}/events", "get"),
                ("/v1/commands/{aggregate}/{id}", "post"), ("/v1/{aggregate}/{id}/summary", "get"),
                ("/v1/admin/projections/rebuild", "post"), ("/v1/admin/snapshot", "post"), ("/v1/admin/projections/rebuild/{job}", "get"),
                ("/v1/schemas/{schemaId}", "put"), ("/v1/schemas/{schemaId}", "get"),
                ("/v1/backfill", "post"), ("/v1/backfill/{job}", "get"),
                ("/v1/events", "get"), ("/v1/events/stream", "get"),
            ]
            for (path, method) in served {
                #expect(paths[path]?[method] != nil, "\(method.uppercased()) \(path) is not described")
            }
            #expect(paths.count == Set(served.map(\.0)).count, "the document describes a path the server does not serve")
            for (path, method) in served where path.hasPrefix("/v1") {
                let operation = paths[path]?[method]
                #expect(operation?["responses"]?["401"] != nil && operation?["responses"]?["403"] != nil && operation?["responses"]?["429"] != nil, "\(method) \(path) lacks 401/403/429")
                #expect(operation?["security"]?[0]?["bearer"]?[0]?.stringValue != nil, "\(method) \(path) names no scope")
            }
            #expect(paths["/v1/cdc"]?["post"]?["security"]?[0]?["bearer"]?[0] == "ingest")
            #expect(paths["/health"]?["get"]?["security"] == nil)
        }
    }
}
