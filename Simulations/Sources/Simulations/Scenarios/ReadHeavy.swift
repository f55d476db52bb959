import NIOCore

/// `read-heavy`: reads over a populated store, with `GET /health` measured in the same run as the
/// HTTP ceiling: health and record reads in turns, then lists and client summaries.
enum ReadHeavy {
    static func run(_ settings: RunSettings, recorder: Recorder, group: any EventLoopGroup) async throws -> ScenarioOutcome {
        let client = try await SimClient.connect(settings.target, group: group)
        defer { Task { await client.close() } }
        var options = settings.traffic
        options.createShare = 1
        options.duplicateRate = 0
        options.outOfOrderRate = 0
        let clientIDs = try await Populate.records(settings.populate, options: options, client: client)
        guard !clientIDs.isEmpty else { throw SimulationError("populating the store created no clients") }
        let position = try await client.journalPosition()
        // Every read model caught up: otherwise the health phase shares the CPU with their
        // catching up, and the ratio flatters the record reads.
        try await client.waitForProjections(through: position)

        let injection = settings.injection ?? .closed(clients: 32)
        let phase = settings.duration / 3
        // Health and record reads take turns of about 3 s (2.3–4.5 s; one turn each in runs under
        // 13.5 s) over two thirds of the run, so both rates see the same machine: on a shared
        // machine the speed drifts within seconds, and one long phase each would let that drift
        // decide the ratio.
        let rounds = max(1, Int((Recorder.seconds(phase * 2) / 6).rounded()))
        let slice = phase * 2 / (2 * rounds)
        let authority = settings.target.authority
        let health = PreparedRequest(method: "GET", target: "/health", host: authority)
        let reads = clientIDs.map { PreparedRequest(method: "GET", target: "/v1/clients/\($0)", host: authority) }
        let others = clientIDs.prefix(1000).flatMap { id in
            [
                PreparedRequest(method: "GET", target: "/v1/clients/\(id)/summary", host: authority),
                PreparedRequest(method: "GET", target: "/v1/deals?clientId=\(id)&limit=50", host: authority),
            ]
        }
        // A ramp climbs across the turns rather than starting again in each: both turns of a round
        // take that round's step of it, so health and record reads see the same rates.
        func turnInjection(_ round: Int) -> Injection {
            guard case .ramp(let from, let to, let connections) = injection else { return injection }
            let step = (to - from) / Double(rounds)
            return .ramp(from: from + step * Double(round), to: from + step * Double(round + 1), connections: connections)
        }
        recorder.restart()
        let random = Locked(SplitMix64(seed: settings.traffic.seed))
        for round in 0..<rounds {
            try await LoadPhase(series: "GET /health", injection: turnInjection(round), stop: .after(slice)).run(
                target: settings.target, group: group, recorder: recorder, next: { _ in health }
            )
            try await LoadPhase(series: "GET /v1/clients/{id}", injection: turnInjection(round), stop: .after(slice)).run(
                target: settings.target, group: group, recorder: recorder,
                next: { _ in reads[Int(random.withLock { $0.next() } % UInt64(reads.count))] },
                answered: { _, answer in answer.status == 200 }
            )
        }
        try await LoadPhase(series: "GET summaries and lists", injection: injection, stop: .after(phase)).run(
            target: settings.target, group: group, recorder: recorder,
            next: { index in others[index % others.count] },
            answered: { _, answer in answer.status == 200 }
        )
        recorder.finish()

        let series = recorder.seriesSummaries()
        let healthRate = series.first { $0.name == "GET /health" }?.requestsPerSecond ?? 0
        let readRate = series.first { $0.name == "GET /v1/clients/{id}" }?.requestsPerSecond ?? 0
        var outcome = ScenarioOutcome(
            injection: "\(injection); health and record reads in turns, \(rounds) each of "
                + "\(Format.decimal(Recorder.seconds(slice))) s; then lists for \(Format.decimal(Recorder.seconds(phase))) s"
        )
        outcome.parameters = ["populatedRecords": String(settings.populate), "clients": String(clientIDs.count)]
        outcome.figures = [
            "healthRequestsPerSecond": healthRate, "clientReadsPerSecond": readRate,
            "readToHealthRatio": healthRate > 0 ? readRate / healthRate : 0,
        ]
        let errors = series.reduce(0) { $0 + $1.errors }
        outcome.checks.append(CheckResult(name: "every read answered 200", passed: errors == 0, detail: "\(errors) errors"))
        let sample = try await client.get("/v1/clients/\(clientIDs[0])")
        let sampleID = (sample.json as? [String: Any])?["id"] as? String
        outcome.checks.append(
            CheckResult(name: "a read returns the record asked for", passed: sampleID == clientIDs[0], detail: "asked \(clientIDs[0]), got \(sampleID ?? "nothing")")
        )
        return outcome
    }
}

/// Filling a store before a measured phase.
enum Populate {
    /// Creates about `count` records across the six types in batches of 500; returns the client ids.
    static func records(_ count: Int, options: CDCTraffic.Options, client: SimClient) async throws -> [String] {
        var traffic = CDCTraffic(options: options)
        var sent = 0
        while sent < count {
            let size = min(500, count - sent)
            let (status, json) = try await client.post("/v1/cdc", body: traffic.nextBatch(size: size))
            guard status == 200 else { throw SimulationError("populating failed: status \(status) \(String(describing: json))") }
            sent += size
        }
        return traffic.createdIDs(kind: RecordKind.clients)
    }
}
