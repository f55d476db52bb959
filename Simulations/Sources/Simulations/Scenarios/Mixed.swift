import NIOCore

/// `mixed`: CDC writes and reads together. Half the clients write a change to one of their own
/// records and at once read it back with the write's `minPosition`: the read must show the
/// write. The other half post realistic CDC batches.
enum Mixed {
    static func run(_ settings: RunSettings, recorder: Recorder, group: any EventLoopGroup) async throws -> ScenarioOutcome {
        let clients = settings.injection?.connections ?? 16
        let writers = max(1, clients / 2)
        let authority = settings.target.authority
        let clock = SharedCounter(1_767_225_600_000)
        let wrongReads = SharedCounter()
        let deadline = ContinuousClock.now + settings.duration
        let batchSize = min(settings.batchSize, 20)
        let traffic = Locked(CDCTraffic(options: settings.traffic))
        recorder.restart()
        try await withThrowingTaskGroup(of: Void.self) { group_ in
            for writer in 0..<writers {
                group_.addTask {
                    let connection = try await HTTPConnection.connect(host: settings.target.host, port: settings.target.port, group: group)
                    defer { Task { await connection.close() } }
                    let id = SalesforceIDs.make(prefix: "001", number: 9_000_000 + writer)
                    var round = 0
                    while ContinuousClock.now < deadline {
                        round += 1
                        let name = "rw-\(writer)-\(round)"
                        let time = clock.add(1)
                        let body = Array(
                            ("{\"ChangeEventHeader\":{\"entityName\":\"Account\",\"recordIds\":[\"\(id)\"],\"changeType\":\"UPDATE\","
                                + "\"changeOrigin\":\"\",\"transactionKey\":\"rw-\(writer)-\(round)\",\"sequenceNumber\":1,"
                                + "\"commitTimestamp\":\(time),\"commitUser\":\"0055f000005mc66AAA\",\"changedFields\":[\"Name\"]},"
                                + "\"Name\":\"\(name)\"}").utf8
                        )
                        let start = ContinuousClock.now
                        let write = try await connection.send(PreparedRequest(method: "POST", target: "/v1/cdc", host: authority, body: body))
                        recorder.record("POST /v1/cdc (then read)", status: write.status, latency: .now - start, operations: 1)
                        guard write.status == 200, let position = leadingPosition(write) else { continue }
                        let readStart = ContinuousClock.now
                        let read = try await connection.send(
                            PreparedRequest(method: "GET", target: "/v1/clients/\(id)?minPosition=\(position)", host: authority)
                        )
                        let sawWrite = read.status == 200 && read.text.contains("\"name\":\"\(name)\"")
                        if !sawWrite { wrongReads.add(1) }
                        recorder.record(
                            "GET /v1/clients/{id}?minPosition", status: read.status, latency: .now - readStart, operations: 1,
                            checkFailed: !sawWrite
                        )
                    }
                }
            }
            group_.addTask {
                try await LoadPhase(series: "POST /v1/cdc (batches)", injection: .closed(clients: max(1, clients - writers)), stop: .after(settings.duration))
                    .run(
                        target: settings.target, group: group, recorder: recorder,
                        next: { _ in
                            PreparedRequest(
                                method: "POST", target: "/v1/cdc", host: authority, body: traffic.withLock { $0.nextBatch(size: batchSize) },
                                operations: batchSize
                            )
                        },
                        answered: { _, answer in answer.status == 200 }
                    )
            }
            try await group_.waitForAll()
        }
        recorder.finish()
        let series = recorder.seriesSummaries()
        let reads = series.first { $0.name == "GET /v1/clients/{id}?minPosition" }
        var outcome = ScenarioOutcome(injection: "\(writers) write-then-read clients and \(max(1, clients - writers)) batch writers, \(settings.duration)")
        outcome.parameters = ["batchSize": String(batchSize)]
        outcome.figures = [
            "readYourWritesPerSecond": reads?.requestsPerSecond ?? 0,
            "batchChangesPerSecond": series.first { $0.name == "POST /v1/cdc (batches)" }?.operationsPerSecond ?? 0,
        ]
        let wrong = wrongReads.value
        outcome.checks.append(
            CheckResult(
                name: "every read with its write's minPosition saw the write", passed: wrong == 0 && (reads?.requests ?? 0) > 0,
                detail: "\(reads?.requests ?? 0) reads, \(wrong) did not show the write"
            )
        )
        let errors = series.reduce(0) { $0 + $1.errors }
        outcome.checks.append(CheckResult(name: "no request failed", passed: errors == 0, detail: "\(errors) errors"))
        return outcome
    }
}
