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

    /// What one writer got acknowledged: the records it created, and per record the highest
    /// name revision acknowledged and the highest sent (a request cut off by the kill may or may
    /// not have been journaled).
    struct Written: Sendable {
        var created: [String] = []
        var acknowledgedRevision: [String: Int] = [:]
        var sentRevision: [String: Int] = [:]
        var position: Int64 = 0
    }

    /// One change per id: creates (revision 0) or updates naming each record `Crash <id> r<revision>`.
    func changes(_ ids: [String], type: String, revision: Int, cycle: Int, writer: Int) -> JSONValue {
        .array(ids.enumerated().map { offset, id in
            [
                "ChangeEventHeader": [
                    "entityName": "Account",
                    "recordIds": [.string(id)],
                    "changeType": .string(type),
                    "changeOrigin": "",
                    "transactionKey": .string("crash-\(cycle)-\(writer)-\(revision)-\(id)"),
                    "sequenceNumber": .number(JSONNumber(offset + 1)),
                    // Later revisions commit later, whatever order they arrive in.
                    "commitTimestamp": .number(JSONNumber(1_767_225_600_000 + Int64(revision))),
                    "commitNumber": 1,
                    "commitUser": "005000000000000AAA",
                    "changedFields": type == "UPDATE" ? ["Name"] : [],
                ],
                "Name": .string("Crash \(id) r\(revision)"),
            ]
        })
    }

    /// Creates and updates records until the server goes away.
    func write(to base: URL, cycle: Int, writer: Int, revisions: Int) async -> Written {
        var written = Written()
        var sequence = 0
        var revision = revisions
        var mine: [String] = []
        var round = 0
        while true {
            round += 1
            let updating = round % 2 == 0 && mine.count >= 5
            let ids: [String]
            if updating {
                ids = (0..<5).map { mine[($0 * 7 + round) % mine.count] }
            } else {
                ids = (0..<5).map { _ in
                    sequence += 1
                    let base = "001C" + String(format: "%02d%d%08d", cycle, writer, sequence)
                    return SalesforceID.normalize(base) ?? base
                }
            }
            revision += 1
            for id in ids { written.sentRevision[id] = max(written.sentRevision[id] ?? 0, updating ? revision : 0) }
            let body = changes(ids, type: updating ? "UPDATE" : "CREATE", revision: updating ? revision : 0, cycle: cycle, writer: writer)
            guard let (status, answer) = try? await httpRequest(base, "/v1/cdc", method: "POST", body: body) else {
                return written
            }
            guard status == 200 else {
                Issue.record("POST /v1/cdc answered \(status): \(answer)")
                return written
            }
            if updating {
                for id in ids { written.acknowledgedRevision[id] = max(written.acknowledgedRevision[id] ?? 0, revision) }
            } else {
                written.created += ids
                mine += ids
            }
            written.position = max(written.position, answer["position"]?.int64Value ?? 0)
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
        var created: [String] = []
        var acknowledgedRevision: [String: Int] = [:]
        var sentRevision: [String: Int] = [:]
        var lastPosition: Int64 = 0
        // Read-model snapshots every second and a small resident cap: restarts load snapshots
        // and records come back from their aggregate snapshots, not only from whole streams.
        // A small stream index flush: kills land before, during and after flushes written a
        // chunk per commit, so restarts meet half-written ones.
        let options = ["--snapshot-interval", "1", "--max-resident", "40", "--index-flush-events", "50"]
        for cycle in 0..<Self.cycles {
            let server = try await ServerChild.start(dataDirectory: directory, arguments: options)
            let base = server.base
            async let results = withTaskGroup(of: Written.self) { group in
                for writer in 0..<Self.writers {
                    group.addTask { await write(to: base, cycle: cycle, writer: writer, revisions: cycle * 1_000_000 + writer * 100_000) }
                }
                return await group.reduce(into: [Written]()) { $0.append($1) }
            }
            try await Task.sleep(for: .milliseconds(Int.random(in: 50...1_500)))
            await server.kill()
            for result in await results {
                created += result.created
                acknowledgedRevision.merge(result.acknowledgedRevision) { max($0, $1) }
                sentRevision.merge(result.sentRevision) { max($0, $1) }
                lastPosition = max(lastPosition, result.position)
            }
        }
        #expect(created.count > Self.cycles * 5, "the writers got too few acknowledgements to test anything")
        print("crash safety: \(created.count) records and \(acknowledgedRevision.count) updated ones acknowledged across \(Self.cycles) kills, last position \(lastPosition)")

        let server = try await ServerChild.start(dataDirectory: directory, arguments: options)
        var wrong: [String] = []
        for id in created {
            let (status, view) = try await server.request("/v1/clients/\(id)?minPosition=\(lastPosition)")
            let name = view["fields"]?["name"]?.stringValue ?? ""
            let revision = name.split(separator: "r").last.flatMap { Int($0) } ?? -1
            // At least the last acknowledged revision; at most the last one sent.
            let fine = status == 200 && name.hasPrefix("Crash \(id) r")
                && revision >= (acknowledgedRevision[id] ?? 0) && revision <= (sentRevision[id] ?? 0)
            if !fine { wrong.append("\(id): \(status) \(name)") }
        }
        #expect(wrong.isEmpty, "\(wrong.count) of \(created.count) acknowledged records are missing or stale, e.g. \(wrong.prefix(3))")
        let views = try await server.allViews("clients")
        #expect(views.count >= created.count)
        #expect(await server.stop() == 0, "SIGTERM should stop the server cleanly")

        let verify = try await tributary(["verify", "--data-dir", directory])
        #expect(verify.status == 0, "\(verify.standardOutput)")

        let restore = try await tributary(["restore", "--data-dir", directory, "--to", restored])
        #expect(restore.status == 0, "\(restore.standardError)")
        let fresh = try await ServerChild.start(dataDirectory: restored)
        let restoredViews = try await fresh.allViews("clients")
        #expect(await fresh.stop() == 0)
        #expect(restoredViews == views)
    }
}
