import EventSourcing
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

    // MARK: - Stored read models and index snapshots

    /// Writes two clients and returns their views and the last position.
    func writeClients(_ application: some ApplicationProtocol) async throws -> (views: [JSONValue], position: Int64) {
        try await application.test(.live) { client in
            var position: Int64 = 0
            for (index, id) in ["001T1000001nI4jIAE", "0015f00002JUXA8AAP"].enumerated() {
                let write = try await client.request(
                    "/v1/cdc", method: .post,
                    json: changeEvent("CREATE", id: id, transactionKey: "tx-\(index)", fields: ["Name": .string("Client \(index)"), "Industry": "Energy"])
                )
                position = write.body["position"]?.int64Value ?? 0
            }
            var views: [JSONValue] = []
            for id in ["001T1000001nI4jIAE", "0015f00002JUXA8AAP"] {
                views.append(try await client.request("/v1/clients/\(id)?minPosition=\(position)").body)
            }
            return (views, position)
        }
    }

    func projections(_ client: some TestClientProtocol) async throws -> [String: JSONValue] {
        let list = try await client.request("/v1/projections").body.arrayValue ?? []
        return Dictionary(uniqueKeysWithValues: list.map { ($0["name"]?.stringValue ?? "", $0) })
    }

    @Test func aRestartResumesTheReadModelsFromTheirStoredStateAndTheIndexesFromTheirSnapshots() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tributary-live-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let (views, position) = try await writeClients(try await testApplication(storage: .lmdb(directory: directory)))
        #expect(FileManager.default.fileExists(atPath: directory + "/snapshots/gaps.snapshot"))
        #expect(FileManager.default.fileExists(atPath: directory + "/readmodels/data.mdb"))
        #expect(try String(contentsOfFile: directory + "/readmodels/session", encoding: .utf8) == "clean\n")

        let second = try await testApplication(storage: .lmdb(directory: directory))
        try await second.test(.live) { client in
            let restored = try await projections(client)
            #expect(restored["clients"]?["restoredFromSnapshot"] == .number(JSONNumber(position)))
            #expect(try await client.request("/ready").status == .ok)
            for view in views {
                let id = view["id"]?.stringValue ?? ""
                #expect(try await client.request("/v1/clients/\(id)").body == view)
            }
            // The log goes on from the snapshot: a new change lands on top of the restored view.
            let update = try await client.request(
                "/v1/cdc", method: .post,
                json: changeEvent("UPDATE", id: "001T1000001nI4jIAE", commitTimestamp: 1_700_000_100_000, transactionKey: "tx-9", fields: ["Name": "Renamed"])
            )
            let read = try await client.request("/v1/clients/001T1000001nI4jIAE?minPosition=\(update.body["position"]?.int64Value ?? 0)")
            #expect(read.body["fields"]?["name"] == "Renamed")
            #expect(read.body["fields"]?["industry"] == "Energy")
            #expect(read.body["version"] == 2)
        }
    }

    @Test func storedReadModelsOfAnotherMappingOrBuildOrLeftOpenByAnotherBootAreRebuiltFromTheLog() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tributary-live-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let (views, _) = try await writeClients(try await testApplication(storage: .lmdb(directory: directory)))

        // Another mapping for clients: its snapshot is ignored, the views follow the new mapping.
        let file = directory + "/mappings.json"
        try Data(#"{"mappings": [{"aggregate": "clients", "object": "Account", "fields": [{"name": "title", "source": "Name"}]}]}"#.utf8)
            .write(to: URL(fileURLWithPath: file))
        let remapped = try await testApplication(storage: .lmdb(directory: directory)) {
            $0.mappings = try! MappingFile.load(file)
        }
        try await remapped.test(.live) { client in
            let restored = try await projections(client)
            #expect(restored["clients"]?["restoredFromSnapshot"] == .null)
            let read = try await client.request("/v1/clients/001T1000001nI4jIAE?minPosition=2")
            #expect(read.body["fields"] == ["title": "Client 0"])
        }

        // Another build: every snapshot is ignored.
        let rebuilt = try await testApplication(storage: .lmdb(directory: directory)) { $0.buildIdentity = "another-build" }
        try await rebuilt.test(.live) { client in
            let restored = try await projections(client)
            #expect(restored.values.allSatisfy { $0["restoredFromSnapshot"] == .null })
            let read = try await client.request("/v1/clients/0015f00002JUXA8AAP?minPosition=2")
            #expect(read.body == views[1])
        }

        // Read models still marked open under another boot of the machine (as after a power cut):
        // they may be damaged, so they are deleted and rebuilt.
        let rebuiltPosition = try await testApplication(storage: .lmdb(directory: directory)) { $0.buildIdentity = "another-build" }
            .test(.live) { client in try await projections(client)["clients"]?["restoredFromSnapshot"] }
        #expect(rebuiltPosition == 2)
        try Data("open 00000000-0000-0000-0000-000000000000\n".utf8).write(to: URL(fileURLWithPath: directory + "/readmodels/session"))
        let afterPowerCut = try await testApplication(storage: .lmdb(directory: directory)) { $0.buildIdentity = "another-build" }
        try await afterPowerCut.test(.live) { client in
            let restored = try await projections(client)
            #expect(restored.values.allSatisfy { $0["restoredFromSnapshot"] == .null })
            #expect(try await client.request("/v1/clients/0015f00002JUXA8AAP?minPosition=2").body == views[1])
        }
    }

    @Test func snapshotsAreAlsoSavedPeriodicallyWhileTheServerRuns() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tributary-live-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let application = try await testApplication(storage: .lmdb(directory: directory)) { $0.snapshotInterval = .milliseconds(50) }
        try await application.test(.live) { client in
            let write = try await client.request("/v1/cdc", method: .post, json: changeEvent("CREATE", id: "001T1000001nI4jIAE", fields: ["Name": "Acme"]))
            let position = try #require(write.body["position"]?.int64Value)
            let reader = try LMDBJournal(directory: directory, configuration: .init(lmdb: .init(readOnly: true)))
            let journalID = reader.journalID
            await reader.close()
            let store = ProjectionSnapshotStore(directory: directory + "/snapshots", buildIdentity: "unversioned journal \(journalID)")
            let deadline = ContinuousClock.now + .seconds(20)
            var saved: UInt64 = 0
            while saved < UInt64(position), ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(20))
                saved = (try? store.load(name: "gaps", stamp: "gaps/1"))??.position ?? 0
            }
            #expect(saved == UInt64(position))
        }
    }

    @Test func snapshotsAndReadModelsLeftBesideAnotherHistoryOfEventsAreNotLoaded() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tributary-live-\(UUID().uuidString)").path
        let restored = directory + "-restored"
        defer {
            try? FileManager.default.removeItem(atPath: directory)
            try? FileManager.default.removeItem(atPath: restored)
        }
        let (views, _) = try await writeClients(try await testApplication(storage: .lmdb(directory: directory)))

        // A point-in-time copy of the first event, then another event at position 2: a history as
        // long as the original's, with the original's snapshots (of position 2) beside it.
        let source = try LMDBJournal(directory: directory, configuration: .init(lmdb: .init(readOnly: true)))
        let target = try LMDBJournal(directory: restored)
        var importer = try await JournalImporter(journal: target)
        try await importer.copy(from: source, until: .position(1))
        _ = try await target.append(
            AppendRequest(stream: StreamName(category: "notes", id: "1"), expectedVersion: .exact(0), events: [NewEvent(type: "Noted", data: "x")])
        )
        #expect(try await target.lastPosition() == 2)
        await target.close()
        await source.close()
        try FileManager.default.copyItem(atPath: directory + "/snapshots", toPath: restored + "/snapshots")
        try FileManager.default.copyItem(atPath: directory + "/readmodels", toPath: restored + "/readmodels")

        let application = try await testApplication(storage: .lmdb(directory: restored))
        try await application.test(.live) { client in
            let restoredProjections = try await projections(client)
            #expect(restoredProjections.values.allSatisfy { $0["restoredFromSnapshot"] == .null })
            let first = try await client.request("/v1/clients/001T1000001nI4jIAE?minPosition=2")
            #expect(first.body == views[0])
            let second = try await client.request("/v1/clients/0015f00002JUXA8AAP")
            #expect(second.status == .notFound)
        }
    }
}
