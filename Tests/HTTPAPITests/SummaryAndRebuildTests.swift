import Foundation
import HTTPAPI
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import JSON
import Testing

@Suite("Client summary and read-model rebuilds")
struct SummaryAndRebuildTests {
    // Valid ids of each object type.
    private let clientID = "001T1000001nI4jIAE"
    private let serviceID = SalesforceTestID.id("a0B000000000001")
    private let subserviceIDs = [SalesforceTestID.id("a0C000000000001"), SalesforceTestID.id("a0C000000000002")]
    private let dealIDs = [SalesforceTestID.id("006000000000001"), SalesforceTestID.id("006000000000002")]
    private let platformID = SalesforceTestID.id("a0A000000000001")

    @Test func summaryIsCompleteWhenRelatedRecordsArriveInTheWorstOrder() async throws {
        let app = try await testApplication()
        try await app.test(.router) { client in
            let contract18 = SalesforceTestID.id("800000000000007")
            let changes: [JSONValue] = [
                changeEvent("CREATE", id: subserviceIDs[0], entity: "Subservice__c", fields: ["Name": "S1", "Service__c": .string(serviceID), "Quantity__c": 2]),
                changeEvent("CREATE", id: subserviceIDs[1], entity: "Subservice__c", fields: ["Name": "S2", "Service__c": .string(serviceID)]),
                changeEvent("CREATE", id: serviceID, entity: "Service__c", fields: ["Name": "Hosting", "Contract__c": .string(contract18)]),
                changeEvent("CREATE", id: contract18, entity: "Contract", fields: ["AccountId": .string(clientID), "Contract_Value__c": 1000.10]),
                changeEvent("CREATE", id: dealIDs[0], entity: "Opportunity", fields: ["Name": "D1", "AccountId": .string(clientID), "Amount": 0.1]),
                changeEvent("CREATE", id: dealIDs[1], entity: "Opportunity", fields: ["Name": "D2", "AccountId": .string(clientID), "Amount": 0.2]),
                changeEvent("CREATE", id: platformID, entity: "Platform__c", fields: ["Name": "P", "Client__c": .string(clientID)]),
            ]
            var position: Int64 = 0
            for change in changes {
                let write = try await client.request("/v1/cdc", method: .post, json: change)
                #expect(write.status == .ok)
                position = write.body["position"]?.int64Value ?? position
            }
            let early = try await client.request("/v1/clients/\(clientID)/summary?minPosition=\(position)")
            #expect(early.status == .notFound, "no summary before the client itself arrives")

            let last = try await client.request("/v1/cdc", method: .post, json: changeEvent("CREATE", id: clientID, fields: ["Name": "Acme"]))
            let summary = try await client.request("/v1/clients/\(clientID)/summary?minPosition=\(last.body["position"]?.int64Value ?? 0)")
            #expect(summary.status == .ok)
            #expect(summary.body["client"]?["fields"]?["name"] == "Acme")
            #expect(summary.body["platforms"]?.arrayValue?.count == 1)
            #expect(summary.body["contracts"]?.arrayValue?.count == 1)
            #expect(summary.body["deals"]?.arrayValue?.map { $0["id"] } == dealIDs.map(JSONValue.string))
            let services = try #require(summary.body["services"]?.arrayValue)
            #expect(services.map { $0["id"] } == [.string(serviceID)])
            #expect(services[0]["subservices"]?.arrayValue?.map { $0["id"] } == subserviceIDs.map(JSONValue.string))
            let totals = try #require(summary.body["totals"])
            #expect(totals["subservices"] == 2)
            #expect(totals["services"] == 1)
            // Exact decimal sums: 0.1 + 0.2 is 0.3, not 0.30000000000000004.
            #expect(totals["dealAmount"]?.numberValue?.text == "0.3")
            #expect(totals["contractValue"]?.numberValue?.text == "1000.1")
        }
    }

    @Test func rebuildAppliesAChangedMappingFileWithoutTouchingTheJournal() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tributary-mapping-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("mappings.json")
        let original = #"{"mappings": [{"aggregate": "clients", "object": "Account", "fields": [{"name": "name", "source": "Name"}, {"name": "industry", "source": "Industry"}]}]}"#
        try Data(original.utf8).write(to: file)

        let app = try await testApplication(storage: .lmdb(directory: directory.appendingPathComponent("data").path)) {
            $0.mappings = try! MappingFile.load(file.path)
            $0.mappingsFile = file.path
        }
        let changed = #"{"mappings": [{"aggregate": "clients", "object": "Account", "fields": [{"name": "name", "source": "Name"}, {"name": "industry", "source": "Sector__c"}, {"name": "site", "source": "Site", "transforms": ["lowercase"]}]}]}"#
        let position = try await app.test(.router) { client in
            let write = try await client.request(
                "/v1/cdc", method: .post,
                json: changeEvent("CREATE", id: clientID, fields: ["Name": "Acme", "Industry": "Energy", "Sector__c": "Utilities", "Site": "HQ"])
            )
            let position = write.body["position"]?.int64Value ?? 0
            let before = try await client.request("/v1/clients/\(clientID)?minPosition=\(position)")
            #expect(before.body["fields"]?["industry"] == "Energy")
            #expect(before.body["fields"]?["site"] == nil)
            let eventsBefore = try await client.request("/v1/clients/\(clientID)/events")

            try Data(changed.utf8).write(to: file)
            let rebuild = try await client.request("/v1/admin/projections/rebuild", method: .post)
            #expect(rebuild.status == .accepted)
            let job = try #require(rebuild.body["job"]?.stringValue)
            var state: JSONValue? = nil
            let deadline = ContinuousClock.now + .seconds(10)
            while ContinuousClock.now < deadline {
                state = try await client.request("/v1/admin/projections/rebuild/\(job)").body["state"]
                if state != "running" { break }
                try await Task.sleep(for: .milliseconds(10))
            }
            #expect(state == "done")
            // A read that waits for a position finds it in the new views, not a retired one.
            let after = try await client.request("/v1/clients/\(clientID)?minPosition=\(position)&wait=1000")
            #expect(after.status == .ok)
            #expect(after.body["fields"]?["industry"] == "Utilities")
            #expect(after.body["fields"]?["site"] == "hq")
            #expect(try await client.request("/v1/clients?site=hq").body["items"]?.arrayValue?.count == 1)
            #expect(try await client.request("/v1/clients/\(clientID)/events").body == eventsBefore.body)

            try Data("{\"mappings\": [{\"aggregate\": \"clients\", \"fields\": [{\"name\": \"x\", \"source\": \"X\", \"type\": \"money\"}]}]}".utf8).write(to: file)
            let refused = try await client.request("/v1/admin/projections/rebuild", method: .post)
            #expect(refused.status == .unprocessableContent)
            #expect(refused.body["detail"]?.stringValue?.contains("money") == true)
            #expect(try await client.request("/v1/clients/\(clientID)").body["fields"]?["site"] == "hq")
            return position
        }

        // The rebuilt read model is the one stored: a restart under the new mapping resumes it.
        try Data(changed.utf8).write(to: file)
        let restarted = try await testApplication(storage: .lmdb(directory: directory.appendingPathComponent("data").path)) {
            $0.mappings = try! MappingFile.load(file.path)
            $0.mappingsFile = file.path
        }
        try await restarted.test(.router) { client in
            let clients = try await client.request("/v1/projections").body.arrayValue?.first { $0["name"] == "clients" }
            #expect(clients?["restoredFromSnapshot"] == .number(JSONNumber(position)))
            #expect(try await client.request("/v1/clients/\(clientID)").body["fields"]?["site"] == "hq")
        }
    }
}
