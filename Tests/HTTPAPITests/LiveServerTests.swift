import EventSourcingLMDB
import Foundation
import HTTPAPI
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import JSON
import Testing

@Suite("Live server on LMDB")
struct LiveServerTests {
    @Test func samplesSurviveARestartOnTheSameDataDirectory() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tributary-live-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let samples = [Samples.cometDCreate, Samples.pubSubCreate, Samples.pubSubUpdate, Samples.eventBridgeUpdate]
        let ids = ["001T1000001nI4jIAE", "0015f00002JUXA8AAP", "0016g00000MLhLeAAL"]

        let first = try await testApplication(storage: .lmdb(directory: directory))
        let before: [JSONValue] = try await first.test(.live) { client in
            var position: Int64 = 0
            for sample in samples {
                let write = try await client.request("/v1/cdc", method: .post, rawBody: Samples.bytes(sample))
                #expect(write.status == .ok)
                position = write.body["position"]?.int64Value ?? 0
            }
            #expect(position == 4)
            var views: [JSONValue] = []
            for id in ids {
                let read = try await client.request("/v1/clients/\(id)?minPosition=\(position)")
                #expect(read.status == .ok)
                views.append(read.body)
            }
            return views
        }
        #expect(before[0]["fields"]?["name"] == "Acme")
        #expect(before[1]["fields"]?["billingCity"] == "San Francisco")

        let second = try await testApplication(storage: .lmdb(directory: directory))
        try await second.test(.live) { client in
            let ready = try await client.request("/ready")
            #expect(ready.status == .ok)
            for (id, view) in zip(ids, before) {
                let read = try await client.request("/v1/clients/\(id)?minPosition=4")
                #expect(read.status == .ok)
                #expect(read.body == view)
            }
            // A change re-delivered after the restart is recognised and not journaled again.
            let redelivered = try await client.request("/v1/cdc", method: .post, rawBody: Samples.bytes(Samples.cometDCreate))
            #expect(redelivered.body["results"]?[0]?["outcome"] == "duplicate")
            #expect(redelivered.body["position"] == 1)
            // The log continues after the restart.
            let write = try await client.request(
                "/v1/cdc", method: .post, json: changeEvent("DELETE", id: ids[0], commitTimestamp: 1_754_900_954_000)
            )
            #expect(write.body["position"] == 5)
            #expect(write.body["results"]?[0]?["version"] == 2)
        }
    }

    @Test func schemasAndReReadMarksSurviveARestart() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tributary-live-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let schema = try CDCFidelityTests().accountSchema()

        let first = try await testApplication(storage: .lmdb(directory: directory))
        try await first.test(.live) { client in
            #expect(try await client.request("/v1/schemas/W1ayyXPqg5d0qk9GkQKqgA", method: .put, json: schema).status == .ok)
            let gap = try await client.request("/v1/cdc", method: .post, rawBody: Samples.bytes(Samples.pubSubGap))
            #expect(gap.body["results"]?[0]?["outcome"] == "gap-pending")
        }

        let second = try await testApplication(storage: .lmdb(directory: directory))
        try await second.test(.live) { client in
            let registered = try await client.request("/v1/schemas/W1ayyXPqg5d0qk9GkQKqgA")
            #expect(registered.status == .ok)
            #expect(registered.body["fieldOrder"]?[22] == "LastModifiedDate")
            let gaps = try await client.request("/v1/gaps?minPosition=2")
            #expect(gaps.body["records"]?[0]?["id"] == "001ZM000001n4n5YAA")
            let again = try await client.request("/v1/cdc", method: .post, rawBody: Samples.bytes(Samples.pubSubGap))
            #expect(again.body["results"]?[0]?["outcome"] == "duplicate")
        }
    }
}
