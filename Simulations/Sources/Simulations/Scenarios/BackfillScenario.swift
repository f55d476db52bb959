import Foundation
import NIOCore

/// `backfill`: the runner serves a simulated Salesforce org with `--populate` Accounts and starts
/// the server against it; the scenario starts `POST /v1/backfill` and, while the job runs, makes
/// live changes in the org and posts their CDC events, as a relay would. Checks that the job
/// reads every record and that every sampled record reads back as the org holds it at the end:
/// backfilled values and newer live ones converge.
enum BackfillScenario {
    static func run(_ settings: RunSettings, recorder: Recorder, group: any EventLoopGroup) async throws -> ScenarioOutcome {
        guard let org = settings.org, settings.server != nil else {
            throw SimulationError("backfill serves its own Salesforce org to the server it starts: run it with --start-server")
        }
        let client = try await SimClient.connect(settings.target, group: group)
        let started = ContinuousClock.now
        let answer = try await client.post("/v1/backfill", body: Array(#"{"entity": "Account"}"#.utf8))
        guard answer.status == 202, let job = (answer.json as? [String: Any])?["job"] as? String else {
            throw SimulationError("the backfill did not start: status \(answer.status)")
        }
        let ids = org.ids(of: "Account")
        var random = SplitMix64(seed: settings.traffic.seed)
        var liveChanges = 0
        var status: [String: Any] = [:]
        var lastRecords = 0
        while true {
            // A few live changes per poll, posted as CDC.
            for _ in 0..<5 where !ids.isEmpty {
                let id = ids[Int(random.next() % UInt64(ids.count))]
                org.update(id, ["Name": "\"Live \(random.next() % 100_000)\""])
            }
            let events = org.drainChanges()
            if !events.isEmpty {
                var body: [UInt8] = [UInt8(ascii: "[")]
                for (index, event) in events.enumerated() {
                    if index > 0 { body.append(UInt8(ascii: ",")) }
                    body += event
                }
                body.append(UInt8(ascii: "]"))
                let start = ContinuousClock.now
                let posted = try await client.post("/v1/cdc", body: body)
                recorder.record("POST /v1/cdc (live changes)", status: posted.status, latency: .now - start, operations: events.count)
                liveChanges += events.count
            }
            let start = ContinuousClock.now
            let polled = try await client.get("/v1/backfill/\(job)")
            status = polled.json as? [String: Any] ?? [:]
            let records = (status["records"] as? NSNumber)?.intValue ?? 0
            recorder.record("backfilled records", status: polled.status, latency: .now - start, operations: records - lastRecords)
            lastRecords = records
            if (status["state"] as? String) != "running" { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        let elapsed = ContinuousClock.now - started
        recorder.finish()
        let position = try await client.journalPosition()
        let expected = org.expected("Account") { id in id.utf8.reduce(0) { $0 &+ Int($1) } % max(1, settings.traffic.sampleEvery) == 0 }
        var outcome = ScenarioOutcome(
            injection: "backfill \(ids.count) Accounts from a simulated org while posting 5 live changes every 200 ms"
        )
        let seconds = Recorder.seconds(elapsed)
        outcome.parameters = ["job": job, "records in the org": String(ids.count), "live changes": String(liveChanges)]
        outcome.figures = [
            "backfillSeconds": seconds,
            "recordsPerSecond": seconds > 0 ? Double(lastRecords) / seconds : 0,
            "pages": (status["pages"] as? NSNumber)?.doubleValue ?? 0,
            "duplicates": (status["duplicates"] as? NSNumber)?.doubleValue ?? 0,
        ]
        outcome.checks.append(
            CheckResult(
                name: "the job read every record and finished",
                passed: (status["state"] as? String) == "done" && lastRecords >= ids.count,
                detail: "state \(status["state"] ?? "?"), \(lastRecords) records read of \(ids.count), errors \(status["errors"] ?? "?")"
            )
        )
        outcome.checks.append(try await checkTrackedRecords(expected, limit: settings.checkLimit, minPosition: position, client: client))
        await client.close()
        return outcome
    }
}
