import HTTPAPI
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import JSON
import Testing

@Suite("GET /v1/{aggregate}…")
struct RecordRouteTests {
    /// Posts `count` accounts named `Client N` (industry alternating Energy/Retail) and returns
    /// their ids in order and the last position.
    private func seed(_ client: some TestClientProtocol, count: Int) async throws -> (ids: [String], position: Int64) {
        var ids: [String] = []
        var batch: [JSONValue] = []
        for index in 0..<count {
            let id = SalesforceTestID.make(index)
            ids.append(id)
            batch.append(
                changeEvent(
                    "CREATE",
                    id: id,
                    transactionKey: "tx-\(index)",
                    fields: ["Name": .string("Client \(index)"), "Industry": index % 2 == 0 ? "Energy" : "Retail"]
                )
            )
        }
        let write = try await client.request("/v1/cdc", method: .post, json: .array(batch))
        #expect(write.status == .ok)
        return (ids.sorted(), write.body["position"]?.int64Value ?? 0)
    }

    // MARK: - One record

    @Test func fifteenCharacterIDIsNormalised() async throws {
        let app = try await testApplication()
        try await app.test(.router) { client in
            try await client.request("/v1/cdc", method: .post, rawBody: Samples.bytes(Samples.cometDCreate))
            let read = try await client.request("/v1/clients/001T1000001nI4j?minPosition=1")
            #expect(read.status == .ok)
            #expect(read.body["id"] == "001T1000001nI4jIAE")
        }
    }

    @Test func unknownRecordAggregateAndBadIDAreProblems() async throws {
        let app = try await testApplication()
        try await app.test(.router) { client in
            let missing = try await client.request("/v1/clients/001T1000001nI4jIAE")
            #expect(missing.status == .notFound)
            #expect(missing.headers[.contentType] == "application/problem+json")
            #expect(try await client.request("/v1/widgets/001T1000001nI4jIAE").status == .notFound)
            #expect(try await client.request("/v1/widgets").status == .notFound)
            #expect(try await client.request("/v1/clients/xyz").status == .badRequest)
            #expect(try await client.request("/v1/clients/001T1000001nI4jIAE/events").status == .notFound)
        }
    }

    @Test func eventsListTheHistoryOldestFirstWithMetadata() async throws {
        let app = try await testApplication()
        try await app.test(.router) { client in
            try await client.request("/v1/cdc", method: .post, rawBody: Samples.bytes(Samples.pubSubCreate))
            try await client.request("/v1/cdc", method: .post, rawBody: Samples.bytes(Samples.pubSubUpdate))
            let events = try await client.request("/v1/clients/0015f00002JUXA8AAP/events")
            #expect(events.status == .ok)
            let list = try #require(events.body.arrayValue)
            #expect(list.map { $0["type"] } == ["ClientCreated", "ClientUpdated"])
            #expect(list.map { $0["version"] } == [1, 2])
            #expect(list[0]["metadata"]?["source"] == "cdc")
            #expect(list[0]["metadata"]?["commitNumber"] == 1_100_670_838_951)
            #expect(list[1]["metadata"]?["transactionKey"] == "00006bf0-edfd-6e54-a3f9-e8cefdb2c2b7")
            // Events keep the source's facts: the fields as received, nested compound included.
            #expect(list[0]["data"]?["fields"]?["BillingAddress"]?["Street"] == "415 Mission Street")
            // Pub/Sub bitmaps are journaled decoded, here by the payload's own schema order.
            #expect(list[1]["data"]?["changedFields"] == ["LastModifiedDate", "BillingAddress.Street"])
        }
    }

    // MARK: - Read-your-writes

    @Test func aPositionNoWriteAnsweredWithIsRefusedAtOnceNotWaitedFor() async throws {
        let app = try await testApplication()
        try await app.test(.router) { client in
            try await client.request("/v1/cdc", method: .post, rawBody: Samples.bytes(Samples.cometDCreate))
            let started = ContinuousClock.now
            let read = try await client.request("/v1/clients/001T1000001nI4jIAE?minPosition=99&wait=20000")
            #expect(read.status == .badRequest)
            #expect(read.body["detail"]?.stringValue?.contains("past the journal's last committed position 1") == true)
            #expect(ContinuousClock.now - started < .seconds(10), "refused without waiting out the 20 s")
            for path in ["/v1/clients/001T1000001nI4jIAE/events", "/v1/events", "/v1/gaps", "/v1/clients"] {
                #expect(try await client.request("\(path)?minPosition=2").status == .badRequest, "\(path)")
                #expect(try await client.request("\(path)?minPosition=1").status == .ok, "\(path)")
            }
            #expect(try await client.request("/v1/clients/001T1000001nI4jIAE?minPosition=abc").status == .badRequest)
            #expect(try await client.request("/v1/events?minPosition=1&wait=-1").status == .badRequest)
        }
    }

    // MARK: - Lists

    @Test func listFiltersOnMappedFieldsAndRefusesUnknownOnes() async throws {
        let app = try await testApplication()
        try await app.test(.router) { client in
            let (_, position) = try await seed(client, count: 10)
            let energy = try await client.request("/v1/clients?industry=Energy&minPosition=\(position)")
            #expect(energy.status == .ok)
            let items = try #require(energy.body["items"]?.arrayValue)
            #expect(items.count == 5)
            #expect(items.allSatisfy { $0["fields"]?["industry"] == "Energy" })
            let named = try await client.request("/v1/clients?name=Client%203")
            #expect(named.body["items"]?.arrayValue?.count == 1)
            #expect(try await client.request("/v1/clients?colour=red").status == .badRequest)
            #expect(try await client.request("/v1/clients?limit=0").status == .badRequest)
            #expect(try await client.request("/v1/clients?limit=1001").status == .badRequest)
            #expect(try await client.request("/v1/clients?includeDeleted=maybe").status == .badRequest)
        }
    }

    @Test func pagingVisitsEveryRecordOnceInIDOrder() async throws {
        let app = try await testApplication()
        try await app.test(.router) { client in
            let (ids, position) = try await seed(client, count: 2500)
            var seen: [String] = []
            var cursor: String? = nil
            repeat {
                let after = cursor.map { "&after=\($0)" } ?? ""
                let page = try await client.request("/v1/clients?limit=100&minPosition=\(position)&wait=10000\(after)")
                #expect(page.status == .ok)
                seen += page.body["items"]?.arrayValue?.compactMap { $0["id"]?.stringValue } ?? []
                cursor = page.body["next"]?.stringValue
            } while cursor != nil
            #expect(seen == ids)
        }
    }
}

/// Valid 18-character Salesforce ids for tests.
enum SalesforceTestID {
    /// The `index`-th Account id `001…`, with its correct checksum suffix.
    static func make(_ index: Int) -> String {
        let digits = String(index)
        let base = "001" + String(repeating: "0", count: 12 - digits.count) + digits
        return base + suffix(base)
    }

    /// The 18-character form of a 15-character id.
    static func id(_ id15: String) -> String {
        id15 + suffix(id15)
    }

    static func suffix(_ id15: String) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ012345")
        let characters = Array(id15)
        var result = ""
        for chunk in 0..<3 {
            var bits = 0
            for offset in 0..<5 where characters[chunk * 5 + offset].isUppercase {
                bits |= 1 << offset
            }
            result.append(alphabet[bits])
        }
        return result
    }
}
