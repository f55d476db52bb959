import EventSourcing
import EventSourcingLMDB
import Foundation
import HTTPAPI
import Hummingbird
import HummingbirdTesting
import JSON
import SalesforceAPI
import Simulations
import Testing

/// Backfills, gap re-reads and re-syncs against the simulated Salesforce org, over real HTTP on
/// both sides.
@Suite("Backfill against a simulated org", .timeLimit(.minutes(5)))
struct BackfillTests {
    /// Runs `body` with an org served on loopback.
    func withOrg(_ body: (SalesforceOrg, String) async throws -> Void) async throws {
        let org = SalesforceOrg()
        let server = SalesforceOrgServer(org: org)
        let url = try await server.start()
        do {
            try await body(org, url)
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
    }

    /// A server configured to read from the org at `url` (fast retries, small pages).
    func application(
        _ org: SalesforceOrg, _ url: String, storage: TributaryConfiguration.Storage = .inMemory, batchSize: Int = 2000
    ) async throws -> some ApplicationProtocol {
        try await testApplication(storage: storage) { configuration in
            configuration.salesforce = SalesforceAPIConfiguration(
                loginURL: url, clientID: org.clientID, clientSecret: org.clientSecret,
                maximumAttempts: 5, retryBaseDelay: .milliseconds(5), queryBatchSize: batchSize
            )
            configuration.gapRereadPause = .milliseconds(10)
        }
    }

    /// Polls job `id` until it is no longer running.
    func finished(_ id: String, _ client: some TestClientProtocol, timeout: Duration = .seconds(120)) async throws -> JSONValue {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let status = try await client.request("/v1/backfill/\(id)").body
            if status["state"] != "running" { return status }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw TimeoutError(what: "backfill \(id)")
    }

    /// The journal's head. A read waiting for it sees everything written before (not so the
    /// read models' positions: the runner applies a page to every projection at once, so the
    /// gap index can show an entity re-synced, or the job index a job done, before the clients
    /// read model has applied the last records).
    func journalHead(_ client: some TestClientProtocol) async throws -> Int64 {
        try #require(try await client.request("/v1/events?after=0&limit=1").body["head"]?.int64Value)
    }

    /// Waits until job `id` has applied `count` pages.
    func waitForPages(_ count: Int64, of id: String, _ client: some TestClientProtocol) async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        while try await client.request("/v1/backfill/\(id)").body["pages"]?.int64Value ?? 0 < count {
            guard ContinuousClock.now < deadline else { throw TimeoutError(what: "\(count) pages of backfill \(id)") }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    struct TimeoutError: Error {
        var what: String
    }

    func startBackfill(_ client: some TestClientProtocol, _ body: JSONValue = ["entity": "Account"]) async throws -> String {
        let started = try await client.request("/v1/backfill", method: .post, json: body)
        #expect(started.status == .accepted, "\(started.body.jsonString)")
        return try #require(started.body["job"]?.stringValue)
    }

    @Test func aBackfillReadsEveryPageOfTwentyFiveThousandRecords() async throws {
        try await withOrg { org, url in
            org.populate("Account", count: 25_000)
            let expected = org.expected("Account") { $0.hasSuffix("A") || $0.hasSuffix("Q") }
            try await application(org, url).test(.live) { client in
                let status = try await finished(try await startBackfill(client), client)
                #expect(status["state"] == "done", "\(status)")
                #expect(status["records"] == 25_000)
                #expect(status["applied"] == 25_000)
                #expect(status["duplicates"] == 0)
                #expect(status["pages"] == 13)
                #expect(status["totalSize"] == 25_000)
                // The job's position covers every record it wrote: reads that wait for it see them all.
                let position = try #require(status["position"]?.int64Value)
                #expect(try await position <= journalHead(client))
                for record in expected.values.prefix(300) {
                    let view = try await client.request("/v1/clients/\(record.id)?minPosition=\(position)&wait=10000").body
                    #expect(view["fields"]?["name"]?.stringValue != nil, "\(record.id)")
                    for (field, value) in record.expectedFields {
                        switch value {
                        case .string(let text): #expect(view["fields"]?[field]?.stringValue == text, "\(record.id).\(field)")
                        case .number(let number): #expect(view["fields"]?[field]?.numberValue?.doubleValue == number, "\(record.id).\(field)")
                        case .null: #expect(view["fields"]?[field] == .null, "\(record.id).\(field)")
                        }
                    }
                }
            }
        }
    }

    @Test func aBackfillOverACurrentMirrorFindsOnlyDuplicatesAndWritesNothing() async throws {
        try await withOrg { org, url in
            let ids = org.populate("Account", count: 1_500)
            try await application(org, url, batchSize: 500).test(.live) { client in
                let first = try await finished(try await startBackfill(client), client)
                #expect(first["applied"] == 1_500)
                let again = try await finished(try await startBackfill(client), client)
                #expect(again["state"] == "done")
                #expect(again["records"] == 1_500)
                #expect(again["duplicates"] == 1_500)
                #expect(again["applied"] == 0)
                for id in ids.prefix(20) {
                    #expect(try await client.request("/v1/clients/\(id)").body["version"] == 1, "\(id) was written again")
                }
            }
        }
    }

    @Test func oneJobPerEntityAtATimeAndBadRequestsAreRefused() async throws {
        try await withOrg { org, url in
            org.populate("Account", count: 10)
            for _ in 0..<5 { org.fail(.slow(.milliseconds(100))) }
            try await application(org, url).test(.live) { client in
                let first = try await startBackfill(client)
                let second = try await client.request("/v1/backfill", method: .post, json: ["entity": "Account"])
                #expect(second.status == .conflict)
                #expect(second.body["job"]?.stringValue == first)
                let unknown = try await client.request("/v1/backfill", method: .post, json: ["entity": "Lead"])
                #expect(unknown.status == .unprocessableContent)
                let badSince = try await client.request("/v1/backfill", method: .post, json: ["entity": "Account", "since": "yesterday"])
                #expect(badSince.status == .unprocessableContent)
                #expect(try await client.request("/v1/backfill/no-such-job").status == .notFound)
                _ = try await finished(first, client)
            }
        }
        // Without a Salesforce org: 503, saying what to configure.
        try await testApplication().test(.live) { client in
            let refused = try await client.request("/v1/backfill", method: .post, json: ["entity": "Account"])
            #expect(refused.status == .serviceUnavailable)
            #expect(refused.body["detail"]?.stringValue?.contains("--salesforce-login-url") == true)
        }
    }

    @Test func aJobSurvivesAnExpiredTokenALimitErrorAndAServerError() async throws {
        try await withOrg { org, url in
            org.populate("Account", count: 2_000)
            for _ in 0..<12 { org.fail(.slow(.milliseconds(40))) }
            try await application(org, url, batchSize: 200).test(.live) { client in
                let id = try await startBackfill(client)
                // Mid-job: the session expires, then the org hits its limit and has a bad moment.
                try await waitForPages(2, of: id, client)
                org.expireSessions()
                org.fail(.limitExceeded, .unavailable, .malformedJSON)
                let status = try await finished(id, client)
                #expect(status["state"] == "done", "\(status)")
                #expect(status["records"] == 2_000)
                #expect(status["applied"] == 2_000)
                #expect(org.counters.tokenRequests == 2)
            }
        }
    }

    @Test func anExpiredQueryCursorIsAskedAgainFromTheWatermark() async throws {
        try await withOrg { org, url in
            org.populate("Account", count: 2_000)
            // Slow pages, so the job is still running when the cursor expires.
            for _ in 0..<12 { org.fail(.slow(.milliseconds(40))) }
            try await application(org, url, batchSize: 200).test(.live) { client in
                let id = try await startBackfill(client)
                try await waitForPages(2, of: id, client)
                org.expireQueryCursors()
                let status = try await finished(id, client)
                #expect(status["state"] == "done", "\(status)")
                #expect(status["records"] == 2_000)
                #expect(status["applied"] == 2_000)
                #expect(status["duplicates"] == 0)
            }
        }
    }

    @Test func aJobInterruptedByARestartResumesAfterItsLastPageWithNothingAppliedTwice() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tributary-backfill-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var position: Int64?
        try await withOrg { org, url in
            org.populate("Account", count: 6_000)
            for _ in 0..<40 { org.fail(.slow(.milliseconds(50))) }
            let id = try await application(org, url, storage: .lmdb(directory: directory), batchSize: 200).test(.live) { client in
                let id = try await startBackfill(client)
                try await waitForPages(3, of: id, client)
                return id
            }
            position = try await application(org, url, storage: .lmdb(directory: directory), batchSize: 200).test(.live) { client in
                let status = try await finished(id, client)
                #expect(status["state"] == "done", "\(status)")
                #expect(status["records"] == 6_000)
                #expect(status["applied"] == 6_000)
                #expect(status["pages"] == 30)
                return status["position"]?.int64Value
            }
            // A third start reads the finished job from the job index's store, position included.
            let restarted = try await application(org, url, storage: .lmdb(directory: directory), batchSize: 200).test(.live) { client in
                try await client.request("/v1/backfill/\(id)").body
            }
            #expect(restarted["state"] == "done")
            #expect(restarted["position"]?.int64Value == position)
        }
        let journal = try LMDBJournal(directory: directory, configuration: .init(lmdb: .init(readOnly: true)))
        var versions: [String: UInt64] = [:]
        var jobEnd: UInt64?
        var after: UInt64 = 0
        while true {
            let events = try await journal.readAll(after: after, limit: 4096)
            guard let last = events.last else { break }
            for event in events where event.stream.category == "clients" { versions[event.stream.id, default: 0] += 1 }
            jobEnd = events.last { $0.stream.category == "backfills" }?.position ?? jobEnd
            after = last.position
        }
        await journal.close()
        // The job's position is its last event's: the end of the job.
        #expect(position.map(UInt64.init) == jobEnd)
        #expect(versions.count == 6_000)
        #expect(versions.values.allSatisfy { $0 == 1 }, "a record was applied twice")
    }

    @Test func liveChangesNewerThanTheBackfilledRecordSurviveIt() async throws {
        try await withOrg { org, url in
            let ids = org.populate("Account", count: 3)
            let (stored, _) = try #require(org.record(ids[0]))
            try await application(org, url).test(.live) { client in
                // A live change committed after the record's LastModifiedDate, and one before it.
                _ = try await client.request(
                    "/v1/cdc", method: .post,
                    json: changeEvent("UPDATE", id: ids[0], commitTimestamp: 1_900_000_000_000, changedFields: ["Name"], fields: ["Name": "Live name"])
                )
                _ = try await client.request(
                    "/v1/cdc", method: .post,
                    json: changeEvent("UPDATE", id: ids[1], commitTimestamp: 1_600_000_000_000, transactionKey: "tx-2", changedFields: ["Name"], fields: ["Name": "Stale name"])
                )
                let status = try await finished(try await startBackfill(client), client)
                #expect(status["state"] == "done")
                // The job's position covers every record it wrote: reads that wait for it see them all.
                let position = try #require(status["position"]?.int64Value)
                #expect(try await position <= journalHead(client))
                let first = try await client.request("/v1/clients/\(ids[0])?minPosition=\(position)&wait=5000").body
                #expect(first["fields"]?["name"] == "Live name")
                #expect(first["fields"]?["industry"]?.stringValue == (try? JSONValue(parsing: Array((stored["Industry"] ?? "null").utf8)))?.stringValue)
                let second = try await client.request("/v1/clients/\(ids[1])").body
                #expect(second["fields"]?["name"]?.stringValue == (try? JSONValue(parsing: Array(org.record(ids[1])!.fields["Name"]!.utf8)))?.stringValue)
            }
        }
    }

    @Test func aGapEventLeadsToAReReadThatRestoresTheTrueRecord() async throws {
        try await withOrg { org, url in
            let ids = org.populate("Account", count: 2)
            try await application(org, url).test(.live) { client in
                _ = try await finished(try await startBackfill(client), client)
                // Salesforce changes the record but cannot send the change: a gap event instead.
                let time = org.update(ids[0], ["Name": "\"The truth\"", "BillingCity": "\"Lisbon\""], emitting: false)
                let gap = try await client.request(
                    "/v1/cdc", method: .post, json: changeEvent("GAP_UPDATE", id: ids[0], commitTimestamp: time, transactionKey: "gap-1")
                )
                #expect(gap.body["results"]?[0]?["outcome"] == "gap-pending")
                let deadline = ContinuousClock.now + .seconds(30)
                var view = JSONValue.null
                while ContinuousClock.now < deadline {
                    view = try await client.request("/v1/clients/\(ids[0])").body
                    let gaps = try await client.request("/v1/gaps").body
                    if view["fields"]?["name"] == "The truth", gaps["records"]?.arrayValue?.isEmpty == true { break }
                    try await Task.sleep(for: .milliseconds(20))
                }
                #expect(view["fields"]?["name"] == "The truth")
                #expect(view["fields"]?["billingCity"] == "Lisbon")
                #expect(try await client.request("/v1/gaps").body["records"]?.arrayValue?.isEmpty == true)
                let events = try await client.request("/v1/clients/\(ids[0])/events").body
                #expect(events.arrayValue?.last?["metadata"]?["source"] == "gap-fill")
            }
        }
    }

    @Test func anOverflowLeadsToAReSyncThatAlsoDeletesWhatSalesforceNoLongerHas() async throws {
        try await withOrg { org, url in
            let ids = org.populate("Account", count: 20)
            try await application(org, url).test(.live) { client in
                _ = try await finished(try await startBackfill(client), client)
                // Changes Salesforce could not send: one record to the recycle bin, one purged, one renamed.
                org.delete(ids[0], emitting: false)
                org.purge(ids[1])
                let time = org.update(ids[2], ["Name": "\"Renamed in bulk\""], emitting: false)
                let overflow = try await client.request(
                    "/v1/cdc", method: .post,
                    json: changeEvent("GAP_OVERFLOW", id: "000000000000000AAA", commitTimestamp: time, transactionKey: "overflow-1")
                )
                #expect(overflow.body["results"]?[0]?["outcome"] == "resync-scheduled")
                let deadline = ContinuousClock.now + .seconds(60)
                while ContinuousClock.now < deadline {
                    let gaps = try await client.request("/v1/gaps").body
                    if gaps["entities"]?.arrayValue?.isEmpty == true { break }
                    try await Task.sleep(for: .milliseconds(20))
                }
                #expect(try await client.request("/v1/gaps").body["entities"]?.arrayValue?.isEmpty == true)
                // The re-sync is the job whose start asks to reconcile; once done, its position
                // covers its deletes.
                let log = try await client.request("/v1/events?after=0&limit=1000").body["items"]?.arrayValue ?? []
                let started = log.last { $0["type"] == "BackfillStarted" && $0["data"]?["reconcile"] == true }
                let job = try #require(started?["stream"]?.stringValue?.split(separator: "/").last.map(String.init))
                let resync = try await finished(job, client)
                #expect(resync["state"] == "done", "\(resync)")
                #expect(resync["deletedAbsent"] == 1, "the purged record, and only it")
                let position = try #require(resync["position"]?.int64Value)
                #expect(try await client.request("/v1/clients/\(ids[0])?minPosition=\(position)&wait=5000").body["deleted"] == true)
                #expect(try await client.request("/v1/clients/\(ids[1])").body["deleted"] == true)
                #expect(try await client.request("/v1/clients/\(ids[2])").body["fields"]?["name"] == "Renamed in bulk")
                #expect(try await client.request("/v1/clients/\(ids[3])").body["deleted"] == false)
            }
        }
    }
}
