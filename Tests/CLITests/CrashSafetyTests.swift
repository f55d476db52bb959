import Foundation
import JSON
import Salesforce
import Testing

/// Kill -9 at random moments under concurrent durable writes: nothing acknowledged is lost, the
/// journal verifies clean, and the read models equal those of a fresh restore.
@Suite("Crash safety", .timeLimit(.minutes(10)))
struct CrashSafetyTests {
    static let cycles = 20
    static let writers = 4

    /// A create of one new Account per id, named after it.
    func creates(_ ids: [String], cycle: Int) -> JSONValue {
        .array(ids.enumerated().map { offset, id in
            [
                "ChangeEventHeader": [
                    "entityName": "Account",
                    "recordIds": [.string(id)],
                    "changeType": "CREATE",
                    "changeOrigin": "",
                    "transactionKey": .string("crash-\(id)"),
                    "sequenceNumber": .number(JSONNumber(offset + 1)),
                    "commitTimestamp": .number(JSONNumber(1_767_225_600_000 + Int64(cycle) * 1_000)),
                    "commitNumber": 1,
                    "commitUser": "005000000000000AAA",
                    "changedFields": [],
                ],
                "Name": .string("Crash \(id)"),
            ]
        })
    }

    /// Writes batches of creates until the server goes away; returns the ids acknowledged and
    /// the highest position acknowledged.
    func write(to base: URL, cycle: Int, writer: Int) async -> (ids: [String], position: Int64) {
        var acknowledged: [String] = []
        var position: Int64 = 0
        var sequence = 0
        while true {
            let ids = (0..<5).map { _ in
                sequence += 1
                let base = "001C" + String(format: "%02d%d%08d", cycle, writer, sequence)
                return SalesforceID.normalize(base) ?? base
            }
            guard let (status, body) = try? await httpRequest(base, "/v1/cdc", method: "POST", body: creates(ids, cycle: cycle)) else {
                return (acknowledged, position)
            }
            guard status == 200 else {
                Issue.record("POST /v1/cdc answered \(status): \(body)")
                return (acknowledged, position)
            }
            acknowledged += ids
            position = max(position, body["position"]?.int64Value ?? 0)
        }
    }

    @Test func killingTheServerAtRandomMomentsLosesNoAcknowledgedChange() async throws {
        let directory = temporaryPath("crash")
        let restored = temporaryPath("crash-restored")
        defer {
            try? FileManager.default.removeItem(atPath: directory)
            try? FileManager.default.removeItem(atPath: restored)
        }
        // A request cut off by the kill must fail, not take the test process down with SIGPIPE.
        signal(SIGPIPE, SIG_IGN)
        var acknowledged: [String] = []
        var lastPosition: Int64 = 0
        for cycle in 0..<Self.cycles {
            let server = try await ServerChild.start(dataDirectory: directory)
            let base = server.base
            async let results = withTaskGroup(of: (ids: [String], position: Int64).self) { group in
                for writer in 0..<Self.writers {
                    group.addTask { await write(to: base, cycle: cycle, writer: writer) }
                }
                return await group.reduce(into: [(ids: [String], position: Int64)]()) { $0.append($1) }
            }
            try await Task.sleep(for: .milliseconds(Int.random(in: 50...400)))
            server.kill()
            for result in await results {
                acknowledged += result.ids
                lastPosition = max(lastPosition, result.position)
            }
        }
        #expect(acknowledged.count > Self.cycles * 5, "the writers got too few acknowledgements to test anything")
        print("crash safety: \(acknowledged.count) acknowledged records across \(Self.cycles) kills, last position \(lastPosition)")

        let server = try await ServerChild.start(dataDirectory: directory)
        var missing: [String] = []
        for id in acknowledged {
            let (status, view) = try await server.request("/v1/clients/\(id)?minPosition=\(lastPosition)")
            if status != 200 || view["fields"]?["name"]?.stringValue != "Crash \(id)" { missing.append(id) }
        }
        #expect(missing.isEmpty, "\(missing.count) of \(acknowledged.count) acknowledged records are missing, e.g. \(missing.prefix(3))")
        let views = try await server.allViews("clients")
        #expect(views.count >= acknowledged.count)
        #expect(server.stop() == 0, "SIGTERM should stop the server cleanly")

        let verify = try tributary(["verify", "--data-dir", directory])
        #expect(verify.status == 0, "\(verify.standardOutput)")

        let restore = try tributary(["restore", "--data-dir", directory, "--to", restored])
        #expect(restore.status == 0, "\(restore.standardError)")
        let fresh = try await ServerChild.start(dataDirectory: restored)
        let restoredViews = try await fresh.allViews("clients")
        #expect(fresh.stop() == 0)
        #expect(restoredViews == views)
    }
}
