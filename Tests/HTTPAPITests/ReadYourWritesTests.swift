import EventSourcing
import Foundation
import HTTPAPI
import Hummingbird
import HummingbirdTesting
import JSON
import Testing

/// Write-then-read with `minPosition`, from many concurrent clients at once: every read answers
/// with the write it waited for, never an older state.
@Suite("Read-your-writes under concurrency", .timeLimit(.minutes(3)))
struct ReadYourWritesTests {
    static let clients = 16
    static let roundsPerClient = 10


    @Test(arguments: ["memory", "lmdb"])
    func concurrentWritersAlwaysReadTheirOwnWrites(storage: String) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ryw-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let app = try await testApplication(storage: storage == "lmdb" ? .lmdb(directory: directory) : .inMemory)
        try await app.test(.live) { client in
            // Bulk traffic to other records keeps the read models busy, so they lag the journal
            // and a read that did not wait would see old state.
            let bulk = Task {
                var batch = 0
                while !Task.isCancelled {
                    let changes = (0..<500).map { index in
                        changeEvent(
                            "CREATE", id: accountID(1000 + (batch * 500 + index) % 8000), transactionKey: "bulk-\(batch)-\(index)",
                            fields: ["Name": .string("bulk \(batch)")]
                        )
                    }
                    _ = try? await client.request("/v1/cdc", method: .post, json: .array(changes))
                    batch += 1
                }
            }
            defer { bulk.cancel() }
            let stale = try await withThrowingTaskGroup(of: [String].self) { group in
                for writer in 0..<Self.clients {
                    group.addTask {
                        var problems: [String] = []
                        let id = accountID(writer)
                        for round in 1...Self.roundsPerClient {
                            let name = "writer \(writer) round \(round)"
                            // Alternate the two write paths: a service command and a CDC change
                            // (committed now: an older change would rightly not overwrite newer values).
                            let written = round % 2 == 0
                                ? try await client.request(
                                    "/v1/commands/clients/\(id)", method: .post, json: ["command": "upsert", "fields": ["Name": .string(name)]]
                                )
                                : try await client.request(
                                    "/v1/cdc", method: .post,
                                    json: changeEvent(
                                        round == 1 ? "CREATE" : "UPDATE", id: id,
                                        commitTimestamp: Int64(Date().timeIntervalSince1970 * 1000), transactionKey: "tx-\(writer)-\(round)",
                                        changedFields: ["Name"], fields: ["Name": .string(name)]
                                    )
                                )
                            guard written.status == .ok, let position = written.body["position"]?.int64Value else {
                                problems.append("write \(writer)/\(round) answered \(written.status)")
                                continue
                            }
                            let record = try await client.request("/v1/clients/\(id)?minPosition=\(position)")
                            if record.body["fields"]?["name"]?.stringValue != name || record.body["position"]?.int64Value ?? 0 < position {
                                problems.append("record \(id) after \(position): \(record.status) \(record.body["fields"]?["name"] ?? .null)")
                            }
                            let listed = try await client.request("/v1/clients?name=\(name.replacingOccurrences(of: " ", with: "%20"))&minPosition=\(position)")
                            if listed.body["items"]?.arrayValue?.count != 1 {
                                problems.append("list for \(name) after \(position): \(listed.body.jsonString)")
                            }
                            if round % 5 == 0 {
                                let history = try await client.request("/v1/clients/\(id)/events?minPosition=\(position)")
                                if history.body.arrayValue?.last?["position"]?.int64Value != position {
                                    problems.append("history of \(id) does not end at \(position)")
                                }
                                let log = try await client.request("/v1/events?after=\(position - 1)&limit=1&minPosition=\(position)")
                                if log.body["items"]?[0]?["position"]?.int64Value != position {
                                    problems.append("the log page after \(position - 1) does not hold \(position)")
                                }
                                let summary = try await client.request("/v1/clients/\(id)/summary?minPosition=\(position)")
                                if summary.body["client"]?["fields"]?["name"]?.stringValue != name {
                                    problems.append("summary of \(id) after \(position): \(summary.status)")
                                }
                            }
                        }
                        return problems
                    }
                }
                return try await group.reduce(into: []) { $0 += $1 }
            }
            let count = stale.count
            #expect(count == 0, "\(stale.prefix(5))")
        }
    }
}
