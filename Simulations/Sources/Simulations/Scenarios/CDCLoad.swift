import NIOCore

/// `cdc-batch` and `cdc-single`: realistic CDC traffic posted to `POST /v1/cdc`, checked at the
/// end against the generator's expected state.
enum CDCLoad {
    static func run(
        _ settings: RunSettings, batchSize: Int, defaultClients: Int, recorder: Recorder, group: any EventLoopGroup
    ) async throws -> ScenarioOutcome {
        let client = try await SimClient.connect(settings.target, group: group)
        defer { Task { await client.close() } }
        let before = try await client.journalPosition()
        let traffic = Locked(CDCTraffic(options: settings.traffic))
        let highest = SharedCounter()
        let injection = settings.injection ?? .closed(clients: defaultClients)
        let authority = settings.target.authority
        recorder.restart()
        try await LoadPhase(series: "POST /v1/cdc", injection: injection, stop: .after(settings.duration)).run(
            target: settings.target, group: group, recorder: recorder,
            next: { _ in
                let body = traffic.withLock { $0.nextBatch(size: batchSize) }
                return PreparedRequest(method: "POST", target: "/v1/cdc", host: authority, body: body, operations: batchSize)
            },
            answered: { _, answer in
                guard answer.status == 200, let position = leadingPosition(answer) else { return false }
                highest.raise(to: position)
                return true
            }
        )
        recorder.finish()

        // Late changes still held back are delivered now, so the final state is complete.
        let late = traffic.withLock { $0.flush() }
        for chunk in stride(from: 0, to: late.count, by: 100) {
            let items = late[chunk..<min(chunk + 100, late.count)]
            let body = [UInt8(ascii: "[")] + Array(items.joined(separator: [UInt8(ascii: ",")])) + [UInt8(ascii: "]")]
            let (status, json) = try await client.post("/v1/cdc", body: body)
            if status == 200, let position = (json as? [String: Any])?["position"] as? Int { highest.raise(to: position) }
        }
        let final = traffic.withLock { $0 }
        let last = highest.value
        let series = recorder.seriesSummaries().first
        var outcome = ScenarioOutcome(injection: "\(injection), \(settings.duration)")
        outcome.parameters = [
            "batchSize": String(batchSize), "duplicateRate": String(settings.traffic.duplicateRate),
            "outOfOrderRate": String(settings.traffic.outOfOrderRate), "multiRecordRate": String(settings.traffic.multiRecordRate),
        ]
        outcome.figures = [
            "changesPerSecond": series?.operationsPerSecond ?? 0,
            "requestsPerSecond": series?.requestsPerSecond ?? 0,
            "p99Milliseconds": series?.latency.p99 ?? 0,
        ]
        outcome.checks.append(
            CheckResult(
                name: "every request was acknowledged",
                passed: (series?.errors ?? 1) == 0,
                detail: "\(series?.requests ?? 0) requests, \(series?.errors ?? 0) errors: \(series?.statusCounts ?? [:])"
            )
        )
        var journaled = "journal grew from \(before) to \(last) = \(last - before) events for \(final.recordChanges) distinct record changes"
        if before > 0, last - before < final.recordChanges {
            // The same seed makes the same changes: a server that already took them from an
            // earlier run rightly treats them as re-deliveries.
            journaled += " (the server already held \(before) events: if an earlier run with --seed "
                + "\(settings.traffic.seed) sent them, they were re-deliveries this time; use a fresh server or another --seed)"
        }
        outcome.checks.append(
            CheckResult(
                name: "each distinct change was journaled exactly once (re-deliveries not at all)",
                passed: last - before == final.recordChanges,
                detail: journaled
            )
        )
        outcome.checks.append(try await checkTrackedRecords(final.expected, limit: settings.checkLimit, minPosition: last, client: client))
        return outcome
    }
}
