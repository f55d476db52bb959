import HTTPAPI
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import JSON
import NIOCore
import Testing

@Suite("POST /v1/commands/{aggregate}/{id}")
struct CommandRouteTests {
    private let id = "001T1000001nI4jIAE"

    @Test func upsertCreatesThenUpdatesWithSourceAPI() async throws {
        let app = try await testApplication()
        try await app.test(.router) { client in
            let first = try await client.request(
                "/v1/commands/clients/\(id)", method: .post, json: ["command": "upsert", "fields": ["Name": "Acme", "Industry": "Energy"]]
            )
            #expect(first.status == .ok)
            #expect(first.body["outcome"] == "created")
            #expect(first.body["version"] == 1)
            let second = try await client.request(
                "/v1/commands/clients/\(id)", method: .post, json: ["command": "upsert", "fields": ["Industry": "Retail"], "expectedVersion": 1]
            )
            #expect(second.body["outcome"] == "updated")
            #expect(second.body["version"] == 2)
            let position = second.body["position"]?.int64Value ?? 0
            let read = try await client.request("/v1/clients/\(id)?minPosition=\(position)")
            #expect(read.body["fields"]?["name"] == "Acme")
            #expect(read.body["fields"]?["industry"] == "Retail")
            let events = try await client.request("/v1/clients/\(id)/events")
            #expect(events.body.arrayValue?.map { $0["type"] } == ["ClientCreated", "ClientUpdated"])
            #expect(events.body[0]?["metadata"]?["source"] == "api")
        }
    }

    @Test func staleExpectedVersionIs409WithTheCurrentVersionAndWritesNothing() async throws {
        let app = try await testApplication()
        try await app.test(.router) { client in
            try await client.request("/v1/commands/clients/\(id)", method: .post, json: ["command": "upsert", "fields": ["Name": "A"]])
            let conflict = try await client.request(
                "/v1/commands/clients/\(id)", method: .post, json: ["command": "upsert", "fields": ["Name": "B"], "expectedVersion": 0]
            )
            #expect(conflict.status == .conflict)
            #expect(conflict.headers[.contentType] == "application/problem+json")
            #expect(conflict.body["currentVersion"] == 1)
            #expect(try await client.request("/v1/clients/\(id)/events").body.arrayValue?.count == 1)
        }
    }

    @Test func repeatedIdempotencyKeyReturnsTheFirstAnswerWithoutWriting() async throws {
        let app = try await testApplication()
        try await app.test(.router) { client in
            let body: JSONValue = ["command": "upsert", "fields": ["Name": "Acme"]]
            var answers: [JSONValue] = []
            for _ in 0..<3 {
                let response = try await client.execute(
                    uri: "/v1/commands/clients/\(id)",
                    method: .post,
                    headers: [.contentType: "application/json", HTTPField.Name("Idempotency-Key")!: "order-42"],
                    body: ByteBuffer(bytes: body.jsonBytes())
                ) { try JSONValue(parsing: Array($0.body.readableBytesView)) }
                answers.append(response)
            }
            #expect(answers.allSatisfy { $0 == answers[0] })
            #expect(answers[0]["version"] == 1)
            #expect(try await client.request("/v1/clients/\(id)/events").body.arrayValue?.count == 1)
        }
    }

    @Test func anIdempotencyKeyPastItsRetentionIsANewCommand() async throws {
        let app = try await testApplication { $0.idempotencyRetention = .milliseconds(300) }
        try await app.test(.router) { client in
            func send(_ name: String) async throws -> JSONValue {
                let body: JSONValue = ["command": "upsert", "fields": ["Name": .string(name)]]
                return try await client.execute(
                    uri: "/v1/commands/clients/\(id)",
                    method: .post,
                    headers: [.contentType: "application/json", HTTPField.Name("Idempotency-Key")!: "order-42"],
                    body: ByteBuffer(bytes: body.jsonBytes())
                ) { try JSONValue(parsing: Array($0.body.readableBytesView)) }
            }
            #expect(try await send("Acme")["version"] == 1)
            #expect(try await send("Acme 2")["version"] == 1, "within the retention the first answer comes back")
            // The journal's time moves on with another record's command, past the retention.
            try await Task.sleep(for: .milliseconds(400))
            try await client.request("/v1/commands/clients/\(accountID(2))", method: .post, json: ["command": "upsert", "fields": ["Name": "Other"]])
            var answer = try await send("Acme 2")
            let deadline = ContinuousClock.now + .seconds(5)
            while answer["version"] == 1, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(20))
                answer = try await send("Acme 2")
            }
            #expect(answer["version"] == 2, "\(answer)")
            #expect(try await client.request("/v1/clients/\(id)?minPosition=3").body["fields"]?["name"] == "Acme 2")
        }
    }

    @Test func deleteAndUndeleteOfAnUnknownRecordAre404() async throws {
        let app = try await testApplication()
        try await app.test(.router) { client in
            let delete = try await client.request("/v1/commands/clients/\(id)", method: .post, json: ["command": "delete"])
            #expect(delete.status == .notFound)
            try await client.request("/v1/commands/clients/\(id)", method: .post, json: ["command": "upsert", "fields": ["Name": "A"]])
            let deleted = try await client.request("/v1/commands/clients/\(id)", method: .post, json: ["command": "delete"])
            #expect(deleted.body["outcome"] == "deleted")
            let read = try await client.request("/v1/clients/\(id)?minPosition=2")
            #expect(read.body["deleted"] == true)
        }
    }

    @Test func invalidCommandsAre422AndUnknownAggregates404() async throws {
        let app = try await testApplication()
        try await app.test(.router) { client in
            let invalid: [JSONValue] = [
                ["command": "explode"],
                ["command": "upsert", "fields": "Name"],
                ["command": "upsert", "fields": ["Name": "A"], "expectedVersion": -1],
                ["command": "upsert", "fields": [:]],
                "upsert",
            ]
            for body in invalid {
                let response = try await client.request("/v1/commands/clients/\(id)", method: .post, json: body)
                #expect(response.status == .unprocessableContent, "\(body.jsonString)")
            }
            let badID = try await client.request("/v1/commands/clients/nope", method: .post, json: ["command": "upsert", "fields": ["A": 1]])
            #expect(badID.status == .unprocessableContent)
            let unknown = try await client.request("/v1/commands/widgets/\(id)", method: .post, json: ["command": "delete"])
            #expect(unknown.status == .notFound)
            #expect(try await client.request("/v1/clients/\(id)/events").status == .notFound)
        }
    }
}
