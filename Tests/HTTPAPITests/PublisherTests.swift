import AWS
import EventSourcing
import Foundation
import HTTPAPI
import Hummingbird
import HummingbirdTesting
import JSON
import Publishing
import Testing

/// The outbox publisher against moto's EventBridge: a bus with a rule routing `source: tributary`
/// to an SQS queue, read back over SQS.
@Suite("Publishing to EventBridge (moto)", .serialized, .timeLimit(.minutes(5)))
struct PublisherTests {
    static let bus = "tributary-test"

    func withMoto(_ body: (MotoServer, String) async throws -> Void) async throws {
        let moto = try await MotoServer()
        do {
            let queue = try await moto.routeToQueue(bus: Self.bus)
            try await body(moto, queue)
        } catch {
            await moto.stop()
            throw error
        }
        await moto.stop()
    }

    func publishingApplication(_ moto: MotoServer, storage: TributaryConfiguration.Storage = .inMemory) async throws -> some ApplicationProtocol {
        try await testApplication(storage: storage) { configuration in
            var publisher = PublisherConfiguration(
                eventBusName: Self.bus, region: MotoServer.region, endpoint: try! AWSEndpoint(url: moto.url), credentials: MotoServer.credentials
            )
            publisher.requestTimeout = .milliseconds(500)
            publisher.initialBackoff = .milliseconds(20)
            publisher.maxBackoff = .milliseconds(300)
            configuration.publisher = publisher
        }
    }


    /// Version `version` of record `index`: a create, then updates of the name.
    static func change(_ index: Int, version: Int) -> JSONValue {
        changeEvent(
            version == 1 ? "CREATE" : "UPDATE",
            id: accountID(index),
            commitTimestamp: 1_700_000_000_000 + Int64(version) * 1000,
            transactionKey: "tx-\(index)-\(version)",
            changedFields: version == 1 ? [] : ["Name"],
            fields: ["Name": .string("Account \(index) v\(version)")] + (version == 1 ? ["Industry": "Energy"] : [:])
        )
    }

    /// Reads the queue until `count` distinct (record, version) events have arrived; returns every
    /// message in arrival order, duplicates included.
    func collect(_ count: Int, from queue: String, _ moto: MotoServer, timeout: Duration = .seconds(60)) async throws -> [JSONValue] {
        var events: [JSONValue] = []
        var distinct: Set<String> = []
        let deadline = ContinuousClock.now + timeout
        while distinct.count < count {
            guard ContinuousClock.now < deadline else {
                Issue.record("only \(distinct.count) of \(count) events arrived")
                return events
            }
            for event in try await moto.receive(from: queue) {
                events.append(event)
                distinct.insert(Self.key(event))
            }
        }
        return events
    }

    static func key(_ event: JSONValue) -> String {
        "\(event["detail"]?["recordId"]?.stringValue ?? "?")@\(event["detail"]?["version"]?.int64Value ?? -1)"
    }

    /// Checks that, duplicates aside, each record's versions arrived in order and none is missing.
    static func expectInOrderWithoutGaps(_ events: [JSONValue], records: Int, versions: Int) {
        var seen: Set<String> = []
        var lastVersion: [String: Int64] = [:]
        for event in events {
            let key = Self.key(event)
            guard seen.insert(key).inserted else { continue }  // at least once: a duplicate is allowed
            let id = event["detail"]?["recordId"]?.stringValue ?? "?"
            let version = event["detail"]?["version"]?.int64Value ?? -1
            #expect(version == (lastVersion[id] ?? 0) + 1, "record \(id): version \(version) after \(lastVersion[id] ?? 0)")
            lastVersion[id] = version
        }
        #expect(lastVersion.count == records)
        #expect(lastVersion.values.allSatisfy { $0 == Int64(versions) })
    }

    @Test func committedChangesArriveOnTheBusWithTheirRecordViews() async throws {
        try await withMoto { moto, queue in
            try await publishingApplication(moto).test(.live) { client in
                let changes = (1...3).flatMap { version in (0..<10).map { Self.change($0, version: version) } }
                let ingested = try await client.request("/v1/cdc", method: .post, json: .array(changes))
                #expect(ingested.status == .ok)
                let events = try await collect(30, from: queue, moto)
                Self.expectInOrderWithoutGaps(events, records: 10, versions: 3)

                let first = try #require(events.first { Self.key($0).hasPrefix(accountID(0)) })
                #expect(first["source"] == "tributary")
                #expect(first["detail-type"] == "ClientCreated")
                let detail = try #require(first["detail"])
                #expect(detail["aggregate"] == "clients")
                #expect(detail["type"] == "ClientCreated")
                #expect(detail["source"] == "cdc")
                #expect(detail["metadata"]?["transactionKey"] == "tx-0-1")
                #expect(detail["record"]?["version"] == 1)
                #expect(detail["record"]?["fields"]?["name"] == "Account 0 v1")
                #expect(detail["record"]?["fields"]?["industry"] == "Energy")
                let position = try #require(detail["position"]?.int64Value)
                #expect(position >= 1)

                // Each update carries the record as it was after that update, not as it is now.
                let second = try #require(events.first { Self.key($0) == "\(detail["recordId"]?.stringValue ?? "")@2" })
                #expect(second["detail-type"] == "ClientUpdated")
                #expect(second["detail"]?["record"]?["fields"]?["name"] == "Account 0 v2")
                #expect(second["detail"]?["record"]?["fields"]?["industry"] == "Energy")

                let projections = try await client.request("/v1/projections").body
                let publisher = try #require(projections.arrayValue?.first { $0["name"] == "publisher" })
                #expect(publisher["eventBus"] == .string(Self.bus))
                #expect(publisher["published"]?.int64Value ?? 0 >= 30)
            }
        }
    }

    @Test func nothingIsLostOrReorderedWhenTheBusIsDownForAWhile() async throws {
        try await withMoto { moto, queue in
            try await publishingApplication(moto).test(.live) { client in
                let records = 20
                let versions = 6
                // The first half arrives while the bus is up.
                for version in 1...3 {
                    let ingested = try await client.request("/v1/cdc", method: .post, json: .array((0..<records).map { Self.change($0, version: version) }))
                    #expect(ingested.status == .ok)
                }
                var events = try await collect(records * 3, from: queue, moto)

                // The bus stops answering; ingestion goes on regardless.
                moto.pause()
                for version in 4...versions {
                    let ingested = try await client.request("/v1/cdc", method: .post, json: .array((0..<records).map { Self.change($0, version: version) }))
                    #expect(ingested.status == .ok)
                }
                let deadline = ContinuousClock.now + .seconds(30)
                while true {
                    let publisher = try await client.request("/v1/projections").body.arrayValue?.first { $0["name"] == "publisher" }
                    if publisher?["failedCalls"]?.int64Value ?? 0 >= 2 {
                        #expect(publisher?["lag"]?.int64Value ?? 0 > 0)
                        #expect(publisher?["lastError"]?.stringValue != nil)
                        break
                    }
                    guard ContinuousClock.now < deadline else {
                        Issue.record("the publisher never noticed the bus was down")
                        break
                    }
                    try await Task.sleep(for: .milliseconds(50))
                }
                moto.resume()

                events += try await collect(records * versions - Set(events.map(Self.key)).count, from: queue, moto)
                Self.expectInOrderWithoutGaps(events, records: records, versions: versions)
                let deadlineForLag = ContinuousClock.now + .seconds(30)
                while try await client.request("/v1/projections").body.arrayValue?.first(where: { $0["name"] == "publisher" })?["lag"] != 0 {
                    guard ContinuousClock.now < deadlineForLag else {
                        Issue.record("the publisher's lag never came back to 0")
                        break
                    }
                    try await Task.sleep(for: .milliseconds(20))
                }
            }
        }
    }

    @Test func aRestartResumesFromTheCheckpointWithoutPublishingAgain() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("publisher-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await withMoto { moto, queue in
            try await publishingApplication(moto, storage: .lmdb(directory: directory)).test(.live) { client in
                _ = try await client.request("/v1/cdc", method: .post, json: .array((0..<5).map { Self.change($0, version: 1) }))
                _ = try await collect(5, from: queue, moto)
            }
            try await publishingApplication(moto, storage: .lmdb(directory: directory)).test(.live) { client in
                _ = try await client.request("/v1/cdc", method: .post, json: .array((0..<5).map { Self.change($0, version: 2) }))
                let events = try await collect(5, from: queue, moto)
                // One more read, so anything published again would have arrived.
                let late = try await moto.receive(from: queue)
                #expect((events + late).allSatisfy { $0["detail"]?["version"] == 2 }, "\((events + late).map(Self.key))")
            }
        }
    }
}

private func + (left: JSONObject, right: JSONObject) -> JSONObject {
    var merged = left
    for member in right { merged[member.key] = member.value }
    return merged
}
