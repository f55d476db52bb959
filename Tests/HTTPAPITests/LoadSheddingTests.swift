import AsyncHTTPClient
import HTTPAPI
import Hummingbird
import HummingbirdTesting
import JSON
import NIOCore
import Testing

/// Writes past the server's limits answer 503 with `Retry-After` and write nothing; every change
/// acknowledged with a 2xx is kept.
@Suite("Load shedding")
struct LoadSheddingTests {

    static func batch(_ request: Int, count: Int = 50) -> JSONValue {
        .array((0..<count).map { index in
            changeEvent(
                "CREATE", id: accountID(request * 1000 + index), transactionKey: "tx-\(request)-\(index)",
                fields: ["Name": .string("request \(request)")]
            )
        })
    }

    static func post(_ url: String, _ body: JSONValue) async throws -> (status: Int, retryAfter: String?, position: Int64) {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(bytes: body.jsonBytes()))
        let answer = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
        let bytes = try await answer.body.collect(upTo: 1 << 20)
        let position = (try? JSONValue(parsing: Array(bytes.readableBytesView)))?["position"]?.int64Value ?? 0
        return (Int(answer.status.code), answer.headers.first(name: "Retry-After"), position)
    }

    @Test func writesPastTheInFlightLimitAreShedAndNothingAcknowledgedIsLost() async throws {
        let app = try await testApplication { $0.maxInFlightWrites = 1 }
        try await app.test(.live) { client in
            let url = "http://127.0.0.1:\(client.port ?? 0)/v1/cdc"
            // Request 0 takes the one place and holds it: its body arrives slowly.
            let (body, continuation) = AsyncStream<ByteBuffer>.makeStream()
            let bytes = Self.batch(0).jsonBytes()
            continuation.yield(ByteBuffer(bytes: bytes.prefix(10)))
            let slow = Task {
                var request = HTTPClientRequest(url: url)
                request.method = .POST
                request.headers.add(name: "Content-Type", value: "application/json")
                request.body = .stream(body, length: .known(Int64(bytes.count)))
                return try await HTTPClient.shared.execute(request, timeout: .seconds(60)).status.code
            }
            // Meanwhile every other write is shed, with a time to retry, until the place is free.
            var shed: [Int] = []
            var acknowledged: [Int] = [0]
            let deadline = ContinuousClock.now + .seconds(30)
            for request in 1...5 {
                var answer = try await Self.post(url, Self.batch(request))
                while answer.status == 200, shed.isEmpty, ContinuousClock.now < deadline {
                    // The slow request had not reached the server yet; this one went through.
                    acknowledged.append(answer.status == 200 ? request : request + 100)
                    answer = try await Self.post(url, Self.batch(request + 100))
                }
                if answer.status == 503 {
                    #expect(answer.retryAfter != nil, "a shed write says when to retry")
                    shed.append(request)
                }
            }
            #expect(shed.count == 5, "\(shed)")
            continuation.yield(ByteBuffer(bytes: bytes.dropFirst(10)))
            continuation.finish()
            #expect(try await slow.value == 200)
            // Once the place is free, the shed writes go through when retried.
            var last: Int64 = 0
            for request in shed {
                let retried = try await Self.post(url, Self.batch(request))
                #expect(retried.status == 200)
                if retried.status == 200 { acknowledged.append(request) }
                last = max(last, retried.position)
            }
            // Every change of every acknowledged batch is there, and nothing of a shed attempt
            // was written twice or half: each record has exactly its one create.
            for request in Set(acknowledged) {
                let name = "request%20\(request)"
                let page = try await client.request("/v1/clients?name=\(name)&limit=1000&minPosition=\(last)&wait=30000")
                let items = page.body["items"]?.arrayValue ?? []
                // Ids come back in their 18-character form.
                #expect(Set(items.compactMap { $0["id"]?.stringValue?.prefix(15) }) == Set((0..<50).map { accountID(request * 1000 + $0)[...] }), "batch \(request)")
                #expect(items.allSatisfy { $0["version"] == 1 }, "batch \(request)")
            }
        }
    }

    @Test func hostileBodiesAreRefusedBeforeTheyCostMuch() async throws {
        let app = try await testApplication { $0.maxBodySize = 4 << 20 }
        try await app.test(.router) { client in
            let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
            let nested = try await client.request("/v1/cdc", method: .post, rawBody: Array(deep.utf8))
            #expect(nested.status == .unprocessableContent)
            #expect(nested.body["detail"]?.stringValue?.contains("nest") == true, "\(nested.body)")

            let long = #"{"ChangeEventHeader": {}, "Name": ""# + String(repeating: "a", count: 2 << 20) + #""}"#
            let longString = try await client.request("/v1/cdc", method: .post, rawBody: Array(long.utf8))
            #expect(longString.status == .unprocessableContent)

            let huge = try await client.request("/v1/cdc", method: .post, rawBody: Array(repeating: UInt8(ascii: " "), count: 5 << 20))
            #expect(huge.status == .contentTooLarge)
        }
    }
}
