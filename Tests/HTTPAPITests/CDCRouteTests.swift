import HTTPAPI
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import JSON
import Testing

@Suite("POST /v1/cdc")
struct CDCRouteTests {
    // MARK: - Envelopes

    @Test func cometDCreateIsAppliedAndReadable() async throws {
        let app = try await testApplication()
        try await app.test(.router) { client in
            let write = try await client.request("/v1/cdc", method: .post, rawBody: Samples.bytes(Samples.cometDCreate))
            #expect(write.status == .ok)
            let result = try #require(write.body["results"]?.arrayValue?.first)
            #expect(result["outcome"] == "applied")
            #expect(result["recordId"] == "001T1000001nI4jIAE")
            #expect(result["aggregate"] == "clients")
            #expect(result["version"] == 1)
            let position = try #require(write.body["position"]?.int64Value)

            let read = try await client.request("/v1/clients/001T1000001nI4jIAE?minPosition=\(position)")
            #expect(read.status == .ok)
            #expect(read.body["fields"]?["name"] == "Acme")
            #expect(read.body["fields"]?["billingCity"] == "San Francisco")
            #expect(read.body["fields"]?["website"] == "www.salesforce.com")
            #expect(read.body["deleted"] == false)
            #expect(read.body["version"] == 1)
        }
    }

    @Test func batchOfEnvelopesGivesOneResultPerRecord() async throws {
        let app = try await testApplication()
        try await app.test(.router) { client in
            let batch: JSONValue = .array([
                try Samples.json(Samples.pubSubCreate),
                try Samples.json(Samples.eventBridgeUpdate),
                ["channel": "/data/AccountChangeEvent", "data": try Samples.json(Samples.cometDCreate)],
            ])
            let write = try await client.request("/v1/cdc", method: .post, json: batch)
            #expect(write.status == .ok)
            let results = try #require(write.body["results"]?.arrayValue)
            #expect(results.map { $0["index"] } == [0, 1, 2])
            #expect(results.allSatisfy { $0["outcome"] == "applied" })
            #expect(write.body["position"] == 3)
        }
    }

    @Test func updateForUnseenRecordCreatesItFromItsFields() async throws {
        let app = try await testApplication()
        try await app.test(.router) { client in
            let write = try await client.request("/v1/cdc", method: .post, rawBody: Samples.bytes(Samples.eventBridgeUpdate))
            #expect(write.status == .ok)
            let read = try await client.request("/v1/clients/0016g00000MLhLeAAL?minPosition=1")
            #expect(read.status == .ok)
            #expect(read.body["version"] == 1)
            #expect(read.body["fields"]?["name"] == .null)
            // A bare UPDATE (no field lists) for another unseen record carries its fields in.
            let bare = try await client.request(
                "/v1/cdc", method: .post, json: changeEvent("UPDATE", id: "001T1000001nI4jIAE", fields: ["Name": "Late Arrival", "Phone": "42"])
            )
            let created = try await client.request("/v1/clients/001T1000001nI4jIAE?minPosition=\(bare.body["position"]?.int64Value ?? 0)")
            #expect(created.body["fields"]?["name"] == "Late Arrival")
            #expect(created.body["fields"]?["phone"] == "42")
        }
    }

    @Test func pubSubUpdateWithUndecodedBitmapKeepsFieldsItDidNotChange() async throws {
        let app = try await testApplication()
        try await app.test(.router) { client in
            try await client.request("/v1/cdc", method: .post, rawBody: Samples.bytes(Samples.pubSubCreate))
            let update = try await client.request("/v1/cdc", method: .post, rawBody: Samples.bytes(Samples.pubSubUpdate))
            #expect(update.status == .ok)
            let read = try await client.request("/v1/clients/0015f00002JUXA8AAP?minPosition=2")
            #expect(read.body["version"] == 2)
            // Name is null in the update body only because Pub/Sub sends every field.
            #expect(read.body["fields"]?["name"] == "Acme")
            #expect(read.body["fields"]?["billingCity"] == "San Francisco")
        }
    }

    // MARK: - Change types

    @Test func deleteAndUndeleteToggleDeletedAndListsHideDeletedRecords() async throws {
        let app = try await testApplication()
        try await app.test(.router) { client in
            let id = "001T1000001nI4jIAE"
            try await client.request("/v1/cdc", method: .post, rawBody: Samples.bytes(Samples.cometDCreate))
            let delete = try await client.request(
                "/v1/cdc", method: .post, json: changeEvent("DELETE", id: id, commitTimestamp: 1_754_900_954_000)
            )
            #expect(delete.status == .ok)
            var read = try await client.request("/v1/clients/\(id)?minPosition=2")
            #expect(read.status == .ok)
            #expect(read.body["deleted"] == true)
            #expect(read.body["fields"]?["name"] == "Acme")
            #expect(try await client.request("/v1/clients").body["items"]?.arrayValue?.count == 0)
            #expect(try await client.request("/v1/clients?includeDeleted=true").body["items"]?.arrayValue?.count == 1)

            let undelete = try await client.request(
                "/v1/cdc", method: .post, json: changeEvent("UNDELETE", id: id, commitTimestamp: 1_754_900_955_000)
            )
            #expect(undelete.status == .ok)
            read = try await client.request("/v1/clients/\(id)?minPosition=3")
            #expect(read.body["deleted"] == false)
            #expect(read.body["version"] == 3)
        }
    }

    @Test func gapEventMarksTheRecordForReRead() async throws {
        let app = try await testApplication()
        try await app.test(.router) { client in
            let write = try await client.request("/v1/cdc", method: .post, rawBody: Samples.bytes(Samples.pubSubGap))
            #expect(write.status == .ok)
            #expect(write.body["results"]?[0]?["outcome"] == "gap-pending")
            let position = try #require(write.body["position"]?.int64Value)
            let gaps = try await client.request("/v1/gaps?minPosition=\(position)")
            #expect(gaps.body["records"]?[0]?["id"] == "001ZM000001n4n5YAA")
            #expect(gaps.body["records"]?[0]?["reason"] == "GAP_CREATE")
            #expect(gaps.body["records"]?[0]?["commitTimestamp"] == 1_714_417_112_000)
            #expect(try await client.request("/v1/clients/001ZM000001n4n5YAA").status == .notFound)
        }
    }

    /// Many marked records come a page at a time with `limit`, in stream-name order, each page
    /// naming the next; without `limit`, all at once.
    @Test func pendingGapsPageByStreamName() async throws {
        let app = try await testApplication()
        try await app.test(.router) { client in
            let gapEvents: [JSONValue] = (1...5).reversed().map { index in
                changeEvent("GAP_UPDATE", id: accountID(index), transactionKey: "gap-\(index)")
            }
            let write = try await client.request("/v1/cdc", method: .post, json: .array(gapEvents))
            #expect(write.status == .ok)
            let position = try #require(write.body["position"]?.int64Value)
            let everything = try await client.request("/v1/gaps?minPosition=\(position)")
            let all = try #require(everything.body["records"]?.arrayValue?.compactMap { $0["id"]?.stringValue })
            #expect(all.count == 5)
            #expect(all == all.sorted())
            #expect(everything.body["next"] == .null)

            var paged: [String] = []
            var pages = 0
            var path = "/v1/gaps?limit=2"
            while true {
                let page = try await client.request(path)
                #expect(page.status == .ok)
                let ids = try #require(page.body["records"]?.arrayValue?.compactMap { $0["id"]?.stringValue })
                #expect(ids.count <= 2)
                paged += ids
                pages += 1
                guard let next = page.body["next"]?.stringValue else { break }
                #expect(next == "clients/\(ids.last ?? "")")
                path = "/v1/gaps?limit=2&after=\(next)"
            }
            #expect(paged == all)
            #expect(pages == 3)
            // A record marked after paging began shows on the next read.
            let later = try await client.request("/v1/cdc", method: .post, json: changeEvent("GAP_UPDATE", id: accountID(9), transactionKey: "gap-9"))
            let laterPosition = try #require(later.body["position"]?.int64Value)
            let again = try await client.request("/v1/gaps?limit=10&minPosition=\(laterPosition)")
            #expect(again.body["records"]?.arrayValue?.count == 6)

            for bad in ["/v1/gaps?limit=0", "/v1/gaps?limit=1001", "/v1/gaps?after=nope", "/v1/gaps?limit=two"] {
                let refused = try await client.request(bad)
                #expect(refused.status == .badRequest, "\(bad)")
                #expect(refused.headers[.contentType] == "application/problem+json", "\(bad)")
            }
        }
    }

    @Test func unmappedEntityIsIgnoredAndNotJournaled() async throws {
        let app = try await testApplication()
        try await app.test(.router) { client in
            let write = try await client.request(
                "/v1/cdc", method: .post, json: changeEvent("CREATE", id: "003ak000003dQCGAA2", entity: "Contact")
            )
            #expect(write.status == .ok)
            #expect(write.body["results"]?[0]?["outcome"] == "ignored")
            #expect(write.body["position"] == 0)
        }
    }

    // MARK: - Bad input

    @Test func malformedJSONIsRefusedWithProblemJSON() async throws {
        let app = try await testApplication()
        try await app.test(.router) { client in
            let response = try await client.request("/v1/cdc", method: .post, rawBody: Array(#"{"ChangeEventHeader": "#.utf8))
            #expect(response.status == .unprocessableContent)
            #expect(response.headers[.contentType] == "application/problem+json")
            #expect(response.body["status"] == 422)
            #expect(response.body["detail"]?.stringValue?.contains("not valid JSON") == true)
        }
    }

    @Test func batchWithOneBadItemWritesNothingAndNamesEachBadItem() async throws {
        let app = try await testApplication()
        try await app.test(.router) { client in
            var missingHeaderField = changeEvent("CREATE", id: "001T1000001nI4jIAE")
            if case .object(var object) = missingHeaderField, case .object(var header)? = object["ChangeEventHeader"] {
                header["transactionKey"] = nil
                object["ChangeEventHeader"] = .object(header)
                missingHeaderField = .object(object)
            }
            let batch: JSONValue = [
                try Samples.json(Samples.cometDCreate),
                changeEvent("EXPLODE", id: "0015f00002JUXA8AAP"),
                missingHeaderField,
                changeEvent("CREATE", id: "not-an-id"),
            ]
            let response = try await client.request("/v1/cdc", method: .post, json: batch)
            #expect(response.status == .unprocessableContent)
            let errors = try #require(response.body["errors"]?.arrayValue)
            #expect(errors.map { $0["index"] } == [1, 2, 3])
            #expect(errors[1]["field"]?.stringValue?.contains("transactionKey") == true)
            #expect(try await client.request("/v1/clients?includeDeleted=true").body["items"]?.arrayValue?.isEmpty == true)
            #expect(try await client.request("/v1/clients/001T1000001nI4jIAE").status == .notFound)
        }
    }

    @Test func emptyBatchAndNonObjectBodiesAreRefused() async throws {
        let app = try await testApplication()
        try await app.test(.router) { client in
            for body: JSONValue in [[], 42, [1, 2]] {
                let response = try await client.request("/v1/cdc", method: .post, json: body)
                #expect(response.status == .unprocessableContent)
            }
        }
    }

    @Test func bodyOverTheLimitIsRefusedWith413() async throws {
        let app = try await testApplication { $0.maxBodySize = 256 }
        try await app.test(.router) { client in
            let response = try await client.request("/v1/cdc", method: .post, rawBody: Samples.bytes(Samples.pubSubCreate))
            #expect(response.status == .contentTooLarge)
            #expect(response.headers[.contentType] == "application/problem+json")
        }
    }

    @Test func aChangeOverTheSizeLimitIsRefusedByIndexAndNothingIsWritten() async throws {
        let app = try await testApplication { $0.maxChangeBytes = 1_000 }
        try await app.test(.router) { client in
            let batch: JSONValue = [
                changeEvent("CREATE", id: "001T1000001nI4jIAE", fields: ["Name": "small"]),
                changeEvent("CREATE", id: "0015f00002JUXA8AAP", fields: ["Description": .string(String(repeating: "x", count: 2_000))]),
                [
                    "ChangeEventHeader": ["entityName": "Account", "recordIds": ["001T1000001nI4jIAE"], "changeType": "UPDATE"],
                    "Name": "header fields missing",
                ],
            ]
            let response = try await client.request("/v1/cdc", method: .post, json: batch)
            #expect(response.status == .unprocessableContent)
            let errors = try #require(response.body["errors"]?.arrayValue)
            #expect(errors.map { $0["index"] } == [1, 2])
            #expect(errors[0]["message"]?.stringValue?.contains("at most 1000") == true)
            #expect(try await client.request("/v1/clients/001T1000001nI4jIAE").status == .notFound)
        }
    }

    @Test func fieldListsMixingNamesAndBitmapsAreRefused() async throws {
        let app = try await testApplication()
        try await app.test(.router) { client in
            let mixed = changeEvent("UPDATE", id: "001T1000001nI4jIAE", changedFields: ["Name", "0x02"], fields: ["Name": "x"])
            let response = try await client.request("/v1/cdc", method: .post, json: mixed)
            #expect(response.status == .unprocessableContent)
            #expect(response.body["errors"]?[0]?["field"] == "ChangeEventHeader.changedFields")
        }
    }
}
