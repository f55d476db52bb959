import Foundation
import NIOCore

/// `memory`: creates `--populate` distinct records (creates only, batches of 1,000) against a
/// server started with a resident-record cap (`--max-resident`), sampling the server's memory as
/// it goes. Past the cap, records are passivated and read models live in LMDB, so the heap
/// (anonymous memory) must stay flat while the record count keeps growing; the mapped journal
/// and read-model pages (file-backed, page cache) grow with the data. Needs a server the runner
/// started.
enum Memory {
    /// How much anonymous memory may grow over the second half of the stretch past the cap and
    /// still count as flat.
    static let flatTolerance = 0.10

    static func run(_ settings: RunSettings, recorder: Recorder, group: any EventLoopGroup) async throws -> ScenarioOutcome {
        guard let server = settings.server, let cap = settings.maxResident else {
            throw SimulationError("memory samples the server's memory under a cap: run it with --start-server and --max-resident")
        }
        let sampleEvery = max(1, settings.memorySampleEvery)
        guard settings.populate >= 2 * cap, settings.populate - cap >= 2 * sampleEvery else {
            throw SimulationError(
                "--populate (\(settings.populate)) must be at least twice --max-resident (\(cap)) and \(2 * sampleEvery) past it, to see memory past the cap"
            )
        }
        let client = try await SimClient.connect(settings.target, group: group)
        var options = settings.traffic
        options.duplicateRate = 0
        options.outOfOrderRate = 0
        options.createShare = 1
        options.deleteRate = 0
        options.undeleteRate = 0
        options.multiRecordRate = 0
        var traffic = CDCTraffic(options: options)
        var samples: [(records: Int, anonymous: Int, file: Int)] = []
        var sent = 0
        while sent < settings.populate {
            let size = min(1000, settings.populate - sent)
            let start = ContinuousClock.now
            let answer = try await client.post("/v1/cdc", body: traffic.nextBatch(size: size))
            recorder.record("POST /v1/cdc (creates)", status: answer.status, latency: .now - start, operations: size)
            guard answer.status == 200 else { throw SimulationError("creating records failed with status \(answer.status)") }
            sent += size
            if sent % sampleEvery == 0 || sent == settings.populate, let memory = server.memory {
                samples.append((sent, memory.anonymous, memory.file))
            }
        }
        let events = try await client.journalPosition()
        // Let the read models catch up before the last sample and the checks.
        let deadline = ContinuousClock.now + .seconds(300)
        while try await client.get("/v1/clients?limit=1&minPosition=\(events)&wait=10000").status != 200, ContinuousClock.now < deadline {}
        if let memory = server.memory { samples.append((sent, memory.anonymous, memory.file)) }
        recorder.finish()
        let expected = traffic.expected

        func megabytes(_ bytes: Int) -> Double { Double(bytes) / 1_048_576 }
        let atCap = samples.first { $0.records >= cap } ?? samples[0]
        let atEnd = samples[samples.count - 1]
        // Flat means: no growth with the record count once the cap is in force. Past the cap the
        // registry evicts down to it and the allocator settles, so the check compares the end
        // with the middle of the stretch past the cap, and reports the rest. (It once started
        // at twice the cap, which with `--populate` at exactly twice the cap compared the last
        // sample with itself.)
        let settled = samples.first { $0.records >= cap + (settings.populate - cap) / 2 } ?? atCap
        func growth(from sample: (records: Int, anonymous: Int, file: Int)) -> Double {
            Double(atEnd.anonymous - sample.anonymous) / Double(max(sample.anonymous, 1))
        }
        var outcome = ScenarioOutcome(
            injection: "create \(settings.populate) records in batches of 1,000 against a server with --max-resident \(cap); memory sampled every \(sampleEvery) records"
        )
        outcome.parameters = [
            "records": String(settings.populate),
            "maxResident": String(cap),
            "events": String(events),
            "samples (records: anonymous MiB / file-backed MiB)": samples.map {
                "\($0.records): \(Int(megabytes($0.anonymous).rounded())) / \(Int(megabytes($0.file).rounded()))"
            }.joined(separator: ", "),
        ]
        outcome.figures = [
            "anonymousMegabytesAtCap": megabytes(atCap.anonymous),
            "anonymousMegabytesAtEnd": megabytes(atEnd.anonymous),
            "anonymousGrowthAfterCapPercent": growth(from: atCap) * 100,
            "anonymousGrowthOverSecondHalfPercent": growth(from: settled) * 100,
            "fileBackedMegabytesAtEnd": megabytes(atEnd.file),
            "residentMegabytesAtEnd": megabytes(atEnd.anonymous + atEnd.file),
        ]
        outcome.checks.append(
            CheckResult(
                name: "anonymous memory stays flat once the cap is in force (within \(Int(flatTolerance * 100))% from \(settled.records) to \(atEnd.records) records)",
                passed: growth(from: settled) <= flatTolerance,
                detail: "\(Int(megabytes(atCap.anonymous))) MiB at \(atCap.records) records, \(Int(megabytes(settled.anonymous))) MiB at \(settled.records), \(Int(megabytes(atEnd.anonymous))) MiB at \(atEnd.records)"
            )
        )
        outcome.checks.append(try await checkTrackedRecords(expected, limit: settings.checkLimit, minPosition: events, client: client))
        await client.close()
        return outcome
    }
}
