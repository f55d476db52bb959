import Crypto
import HTTPAPI
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import JSON
import Testing

/// Pub/Sub bitmap decoding with a registered schema, its fallback, and large-text diffs.
@Suite("CDC fidelity: schemas, bitmaps and large-text diffs")
struct CDCFidelityTests {
    let account = "0015f00002JUXA8AAP"

    /// The Avro schema of the Pub/Sub samples' `AccountChangeEvent`, built from the sample's own
    /// key order (which is the schema's), compound addresses as a named `Address` record.
    func accountSchema() throws -> JSONValue {
        let sample = try Samples.json(Samples.pubSubUpdate)
        var fields: [JSONValue] = []
        var addressDefined = false
        for key in sample.objectValue?.keys ?? [] {
            switch key {
            case "ChangeEventHeader":
                fields.append([
                    "name": "ChangeEventHeader",
                    "type": ["type": "record", "name": "ChangeEventHeader", "fields": [["name": "entityName", "type": "string"]]],
                ])
            case "BillingAddress", "ShippingAddress":
                let components = ["Street", "City", "State", "PostalCode", "Country", "Latitude", "Longitude", "GeocodeAccuracy"]
                let address: JSONValue =
                    addressDefined
                    ? "Address"
                    : [
                        "type": "record", "name": "Address",
                        "fields": .array(components.map { ["name": .string($0), "type": ["null", "string"], "default": .null] }),
                    ]
                addressDefined = true
                fields.append(["name": .string(key), "type": ["null", address], "default": .null])
            default:
                fields.append(["name": .string(key), "type": ["null", "string"], "default": .null])
            }
        }
        return ["type": "record", "name": "AccountChangeEvent", "namespace": "com.sforce.eventbus", "fields": .array(fields)]
    }

    /// The Pub/Sub UPDATE sample with Phone (schema field 6) also nulled, its members in reverse
    /// order (so the payload cannot stand in for the schema), inside an Event Relay envelope.
    func relayedUpdateNullingPhone(schemaId: String) throws -> JSONValue {
        var payload = try #require(Samples.json(Samples.pubSubUpdate).objectValue)
        var header = try #require(payload["ChangeEventHeader"]?.objectValue)
        header["nulledFields"] = ["0x40"]
        payload["ChangeEventHeader"] = .object(header)
        let reversed = JSONObject(payload.members.reversed())
        return [
            "version": "0", "id": "7f1c9a52-3d61-4d55-b0e8-5f2d2f1a0b11", "detail-type": "AccountChangeEvent",
            "source": "aws.partner/salesforce.com/00D5f000000J5zzEAC/0YL5f000000001aGAA",
            "detail": ["payload": .object(reversed), "schemaId": .string(schemaId), "replayId": "91"],
        ]
    }

    /// Creates the sample account, then sets its Phone before the Pub/Sub update's commit.
    func createWithPhone(_ client: some TestClientProtocol) async throws {
        try await client.request("/v1/cdc", method: .post, rawBody: Samples.bytes(Samples.pubSubCreate))
        let phone = changeEvent(
            "UPDATE", id: account, commitTimestamp: 1_714_156_690_000, transactionKey: "tx-phone", changedFields: ["Phone"],
            fields: ["Phone": "+1 415 555 0100"]
        )
        #expect(try await client.request("/v1/cdc", method: .post, json: phone).status == .ok)
    }

    @Test func aRegisteredSchemaDecodesBitmapsOfAPayloadOutOfSchemaOrder() async throws {
        let app = try await testApplication()
        try await app.test(.router) { client in
            let put = try await client.request("/v1/schemas/W1ayyXPqg5d0qk9GkQKqgA", method: .put, json: try accountSchema())
            #expect(put.status == .ok)
            #expect(put.body["fields"] == 43)
            let get = try await client.request("/v1/schemas/W1ayyXPqg5d0qk9GkQKqgA")
            #expect(get.body["fieldOrder"]?[22] == "LastModifiedDate")
            #expect(get.body["nestedFieldOrder"]?["ShippingAddress"]?[0] == "Street")

            try await createWithPhone(client)
            let update = try await client.request(
                "/v1/cdc", method: .post, json: try relayedUpdateNullingPhone(schemaId: "W1ayyXPqg5d0qk9GkQKqgA")
            )
            let position = try #require(update.body["position"]?.int64Value)
            let read = try await client.request("/v1/clients/\(account)?minPosition=\(position)")
            #expect(read.body["fields"]?["phone"] == .null, "nulledFields 0x40 is Phone: cleared")
            #expect(read.body["fields"]?["name"] == "Acme", "unchanged fields arrive as null and are not cleared")
            let events = try await client.request("/v1/clients/\(account)/events")
            #expect(events.body[2]?["data"]?["nulledFields"] == ["Phone"])
            #expect(events.body[2]?["metadata"]?["schemaId"] == "W1ayyXPqg5d0qk9GkQKqgA")
            #expect(events.body[2]?["metadata"]?["replayId"] == "91")
            let gaps = try await client.request("/v1/gaps?minPosition=\(position)")
            #expect(gaps.body["records"] == [])
        }
    }

    @Test func undecodableBitmapsApplyOnlyNonNullFieldsAndAskForAReRead() async throws {
        let app = try await testApplication()
        try await app.test(.router) { client in
            try await createWithPhone(client)
            let update = try await client.request("/v1/cdc", method: .post, json: try relayedUpdateNullingPhone(schemaId: "unknown1"))
            #expect(update.body["results"]?[0]?["outcome"] == "applied")
            let position = try #require(update.body["position"]?.int64Value)
            let read = try await client.request("/v1/clients/\(account)?minPosition=\(position)")
            #expect(read.body["fields"]?["phone"] == "+1 415 555 0100", "which field was nulled is unknown: nothing is cleared")
            #expect(read.body["fields"]?["name"] == "Acme")
            #expect(read.body["fields"]?["lastModifiedAt"] == "2024-04-26T18:38:23.000Z", "non-null fields are applied")
            let gaps = try await client.request("/v1/gaps?minPosition=\(position)")
            #expect(gaps.body["records"]?[0]?["id"] == .string(account))
            #expect(gaps.body["records"]?[0]?["reason"]?.stringValue?.contains("nulledFields") == true)
        }
    }

    @Test func schemaRegistrationRefusesBadInput() async throws {
        let app = try await testApplication()
        try await app.test(.router) { client in
            let notAvro = try await client.request("/v1/schemas/abc", method: .put, json: ["type": "string"])
            #expect(notAvro.status == .unprocessableContent)
            #expect(notAvro.headers[.contentType] == "application/problem+json")
            let badID = try await client.request("/v1/schemas/a%20b", method: .put, json: try accountSchema())
            #expect(badID.status == .badRequest)
            #expect(try await client.request("/v1/schemas/missing").status == .notFound)
        }
    }

    // MARK: - Large-text diffs

    static let longText = (1...40).map { "Line \($0) of a long description, long enough to be sent as a diff." }
    static var base: String { longText.joined(separator: "\n") }
    static var edited: String {
        var lines = longText
        lines[9] = "Line 10, rewritten."
        return lines.joined(separator: "\n")
    }

    static func diff(digestOf text: String) -> String {
        let digest = SHA256.hash(data: Array(text.utf8)).map { String(format: "%02x", $0) }.joined()
        return "--- \n+++ \(digest)\n@@ -10,1 +10,1 @@\n-\(longText[9])\n+Line 10, rewritten.\n"
    }

    func createWithDescription(_ client: some TestClientProtocol) async throws {
        let create = changeEvent("CREATE", id: account, commitTimestamp: 1_714_156_685_000, fields: ["Description": .string(Self.base)])
        #expect(try await client.request("/v1/cdc", method: .post, json: create).status == .ok)
    }

    @Test func aCometDDiffIsPatchedOntoTheStoredTextAndStoredInFull() async throws {
        let app = try await testApplication()
        try await app.test(.router) { client in
            try await createWithDescription(client)
            let update = changeEvent(
                "UPDATE", id: account, commitTimestamp: 1_714_156_700_000, transactionKey: "tx-2", changedFields: ["Description"],
                fields: ["Description": ["diff": .string(Self.diff(digestOf: Self.edited))]]
            )
            #expect(try await client.request("/v1/cdc", method: .post, json: update).status == .ok)
            let events = try await client.request("/v1/clients/\(account)/events")
            #expect(events.body[1]?["data"]?["fields"]?["Description"] == .string(Self.edited))
            let gaps = try await client.request("/v1/gaps?minPosition=2")
            #expect(gaps.body["records"] == [])
        }
    }

    @Test func aPubSubDiffWithAWrongHashIsDroppedAndAsksForAReRead() async throws {
        let app = try await testApplication()
        try await app.test(.router) { client in
            try await createWithDescription(client)
            let update = changeEvent(
                "UPDATE", id: account, commitTimestamp: 1_714_156_700_000, transactionKey: "tx-2", changedFields: ["Description"],
                fields: ["Description": .string(Self.diff(digestOf: "something else"))]
            )
            var object = try #require(update.objectValue)
            var header = try #require(object["ChangeEventHeader"]?.objectValue)
            header["diffFields"] = ["Description"]
            object["ChangeEventHeader"] = .object(header)
            #expect(try await client.request("/v1/cdc", method: .post, json: .object(object)).status == .ok)
            let events = try await client.request("/v1/clients/\(account)/events")
            #expect(events.body[1]?["data"]?["fields"]?["Description"] == nil, "a diff is never stored as the value")
            let gaps = try await client.request("/v1/gaps?minPosition=2")
            #expect(gaps.body["records"]?[0]?["reason"]?.stringValue?.contains("SHA-256") == true)
        }
    }

    @Test func aDiffWithNoStoredTextAsksForAReRead() async throws {
        let app = try await testApplication()
        try await app.test(.router) { client in
            let update = changeEvent(
                "UPDATE", id: account, commitTimestamp: 1_714_156_700_000, changedFields: ["Description"],
                fields: ["Description": ["diff": .string(Self.diff(digestOf: Self.edited))]]
            )
            #expect(try await client.request("/v1/cdc", method: .post, json: update).status == .ok)
            let gaps = try await client.request("/v1/gaps?minPosition=1")
            #expect(gaps.body["records"]?[0]?["reason"]?.stringValue?.contains("no stored value") == true)
        }
    }
}

extension CDCFidelityTests {
    @Test func aPayloadMissingSchemaFieldsIsNotDecodedByItsOwnKeyOrder() async throws {
        let app = try await testApplication()
        try await app.test(.router) { client in
            try await createWithPhone(client)
            // A relay dropped "Type": every later index shifts, so bit 22 would name the wrong field.
            var payload = try #require(Samples.json(Samples.pubSubUpdate).objectValue)
            payload["Type"] = nil
            let update = try await client.request("/v1/cdc", method: .post, json: .object(payload))
            let position = try #require(update.body["position"]?.int64Value)
            let read = try await client.request("/v1/clients/\(account)?minPosition=\(position)")
            #expect(read.body["fields"]?["phone"] == "+1 415 555 0100")
            #expect(read.body["fields"]?["lastModifiedAt"] == "2024-04-26T18:38:23.000Z", "non-null fields still apply")
            let events = try await client.request("/v1/clients/\(account)/events")
            #expect(events.body[2]?["data"]?["changedFields"] == ["0x400000", "4-0x01"], "kept undecoded")
        }
    }

    @Test func aCompoundSentAsNullClearsOnlyTheComponentsNamed() async throws {
        let app = try await testApplication()
        try await app.test(.router) { client in
            try await client.request("/v1/cdc", method: .post, rawBody: Samples.bytes(Samples.pubSubCreate))
            let update = changeEvent(
                "UPDATE", id: account, commitTimestamp: 1_714_156_700_000, transactionKey: "tx-2",
                changedFields: ["BillingAddress.City"], fields: ["BillingAddress": .null]
            )
            #expect(try await client.request("/v1/cdc", method: .post, json: update).status == .ok)
            let read = try await client.request("/v1/clients/\(account)?minPosition=2")
            #expect(read.body["fields"]?["billingCity"] == .null)
            #expect(read.body["fields"]?["billingCountry"] == "United States", "an unnamed component is left alone")
        }
    }
}
