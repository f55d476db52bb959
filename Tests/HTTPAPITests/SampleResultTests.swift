import HTTPAPI
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import JSON
import Testing

/// Each published Salesforce sample, sent to `POST /v1/cdc`, gives the result FORMATS.md
/// documents for it.
@Suite("Salesforce samples give their documented results")
struct SampleResultTests {
    let sampleAccount = "0015f00002JUXA8AAP"

    @Test func cometDCreateWithCompoundAddress() async throws {
        let app = try await testApplication()
        try await app.test(.router) { client in
            let write = try await client.request("/v1/cdc", method: .post, rawBody: Samples.bytes(Samples.cometDCreate))
            #expect(write.body["results"]?[0]?["outcome"] == "applied")
            let id = try #require(write.body["results"]?[0]?["recordId"]?.stringValue)
            let read = try await client.request("/v1/clients/\(id)?minPosition=1")
            #expect(read.body["fields"]?["name"] != nil)
            #expect(read.body["fields"]?["billingCity"] != nil && read.body["fields"]?["billingCity"] != .null)
            let events = try await client.request("/v1/clients/\(id)/events")
            let metadata = try #require(events.body[0]?["metadata"])
            #expect(metadata["replayId"] != nil, "the CometD replay id is kept")
            #expect(metadata["schemaId"] != nil, "the CometD schema id is kept")
        }
    }

    @Test func pubSubCreateWithEveryFieldPresent() async throws {
        let app = try await testApplication()
        try await app.test(.router) { client in
            let write = try await client.request("/v1/cdc", method: .post, rawBody: Samples.bytes(Samples.pubSubCreate))
            #expect(write.body["results"]?[0]?["recordId"] == .string(sampleAccount))
            let read = try await client.request("/v1/clients/\(sampleAccount)?minPosition=1")
            #expect(read.body["fields"]?["name"] == "Acme")
            #expect(read.body["fields"]?["billingCity"] == "San Francisco")
            #expect(read.body["fields"]?["phone"] == .null)
            // Epoch-millisecond dates read as ISO datetimes; the commit number keeps its digits.
            #expect(read.body["fields"]?["lastModifiedAt"] == "2024-04-26T18:38:05.000Z")
            let events = try await client.request("/v1/clients/\(sampleAccount)/events")
            #expect(events.body[0]?["metadata"]?["commitNumber"] == 1_100_670_838_951)
        }
    }

    @Test func pubSubUpdateBitmapsAreDecodedByThePayloadsSchemaOrder() async throws {
        let app = try await testApplication()
        try await app.test(.router) { client in
            try await client.request("/v1/cdc", method: .post, rawBody: Samples.bytes(Samples.pubSubCreate))
            let update = try await client.request("/v1/cdc", method: .post, rawBody: Samples.bytes(Samples.pubSubUpdate))
            #expect(update.body["results"]?[0]?["outcome"] == "applied")
            let read = try await client.request("/v1/clients/\(sampleAccount)?minPosition=2")
            // Bit 22 is LastModifiedDate and 4-0x01 is BillingAddress.Street: only they changed.
            #expect(read.body["fields"]?["name"] == "Acme")
            #expect(read.body["fields"]?["billingCity"] == "San Francisco")
            #expect(read.body["fields"]?["lastModifiedAt"] == "2024-04-26T18:38:23.000Z")
            let events = try await client.request("/v1/clients/\(sampleAccount)/events")
            #expect(events.body[1]?["data"]?["changedFields"] == ["LastModifiedDate", "BillingAddress.Street"])
            #expect(events.body[1]?["data"]?["fields"]?["BillingAddress"]?["Street"] == "415 Mission Street Suite B")
        }
    }

    @Test func gapCreateMarksTheRecordAndShowsNoContent() async throws {
        let app = try await testApplication()
        try await app.test(.router) { client in
            let write = try await client.request("/v1/cdc", method: .post, rawBody: Samples.bytes(Samples.pubSubGap))
            #expect(write.body["results"]?[0]?["outcome"] == "gap-pending")
            let position = try #require(write.body["position"]?.int64Value)
            let gaps = try await client.request("/v1/gaps?minPosition=\(position)")
            #expect(gaps.body["records"] == [
                [
                    "aggregate": "clients", "id": "001ZM000001n4n5YAA", "entity": "Account",
                    "commitTimestamp": 1_714_417_112_000, "reason": "GAP_CREATE",
                ]
            ])
            #expect(try await client.request("/v1/clients/001ZM000001n4n5YAA").status == .notFound)
            // Re-delivering the gap event is a duplicate like any other change.
            let again = try await client.request("/v1/cdc", method: .post, rawBody: Samples.bytes(Samples.pubSubGap))
            #expect(again.body["results"]?[0]?["outcome"] == "duplicate")
        }
    }

    @Test func eventBridgeAppFlowUpdateMakesAPartialRecord() async throws {
        let app = try await testApplication()
        try await app.test(.router) { client in
            let write = try await client.request("/v1/cdc", method: .post, rawBody: Samples.bytes(Samples.eventBridgeUpdate))
            #expect(write.body["results"]?[0]?["outcome"] == "applied")
            let read = try await client.request("/v1/clients/0016g00000MLhLeAAL?minPosition=1")
            #expect(read.status == .ok)
            #expect(read.body["version"] == 1)
            #expect(read.body["fields"]?["lastModifiedAt"] == "2020-08-20T18:25:35.000Z")
            let events = try await client.request("/v1/clients/0016g00000MLhLeAAL/events")
            #expect(events.body[0]?["metadata"]?["eventBridgeId"] == "5c42b99e-e005-43b3-c744-07990c50d2cc")
            #expect(events.body[0]?["data"]?["fields"]?["Region__c"] == "America")
        }
    }

    @Test(arguments: [
        "rest-query-contacts-page-done.json", "rest-error-invalid-field.json", "oauth-client-credentials-token-response.json",
    ])
    func restAndOAuthSamplesAreNotChangeEvents(sample: String) async throws {
        let app = try await testApplication()
        try await app.test(.router) { client in
            let write = try await client.request("/v1/cdc", method: .post, rawBody: Samples.bytes(sample))
            #expect(write.status == .unprocessableContent)
            #expect(write.headers[.contentType] == "application/problem+json")
            #expect(write.body["detail"]?.stringValue?.isEmpty == false)
        }
    }
}
