import Foundation
import NIOCore

/// `recovery`: populate the journal, then time what operators wait for:
/// 1. a restart until ready, with the stored read models and the snapshots the shutdown wrote;
/// 2. a restart without them (`readmodels` and `snapshots` removed): the full journal replay;
/// 3. `tributary restore` (stream index rebuilt from the events) and `tributary verify`, with
///    the server stopped;
/// then checks the restarted server. Needs a server the runner started.
enum Recovery {
    static func run(_ settings: RunSettings, recorder: Recorder, group: any EventLoopGroup) async throws -> ScenarioOutcome {
        guard let server = settings.server else {
            throw SimulationError("recovery stops and restarts the server: run it with --start-server")
        }
        let client = try await SimClient.connect(settings.target, group: group)
        var options = settings.traffic
        options.duplicateRate = 0
        options.outOfOrderRate = 0
        var traffic = CDCTraffic(options: options)
        var sent = 0
        while sent < settings.populate {
            let size = min(1000, settings.populate - sent)
            let start = ContinuousClock.now
            let answer = try await client.post("/v1/cdc", body: traffic.nextBatch(size: size))
            recorder.record("POST /v1/cdc (populate)", status: answer.status, latency: .now - start, operations: size)
            guard answer.status == 200 else { throw SimulationError("populating failed with status \(answer.status)") }
            sent += size
        }
        let events = try await client.journalPosition()
        let expected = traffic.expected
        await client.close()
        let residentBefore = server.residentBytes

        await server.stop()
        let restart = try await server.start(group: group)
        let residentAfter = server.residentBytes

        await server.stop()
        // Without the snapshots and the stored read models: everything replays the journal.
        try? FileManager.default.removeItem(at: server.dataDirectory.appendingPathComponent("snapshots"))
        try? FileManager.default.removeItem(at: server.dataDirectory.appendingPathComponent("readmodels"))
        let replay = try await server.start(group: group)
        // Read models hold records in memory while they catch up: what that cost at its peak.
        let residentDuringReplay = server.peakResidentBytes
        await server.stop()

        let restore = try await runTool(server, ["restore", "--data-dir", server.dataDirectory.path])
        let verify = try await runTool(server, ["verify", "--data-dir", server.dataDirectory.path])
        _ = try await server.start(group: group)
        recorder.finish()
        let after = try await SimClient.connect(settings.target, group: group)
        defer { Task { await after.close() } }
        let position = try await after.journalPosition()

        let seconds = Recorder.seconds(restart)
        let replaySeconds = Recorder.seconds(replay)
        var outcome = ScenarioOutcome(
            injection: "populate \(settings.populate) changes in batches of 1,000; restart with snapshots, restart without, restore, verify, restart"
        )
        outcome.parameters = ["events": String(events)]
        outcome.figures = [
            "restartToReadySeconds": seconds,
            "fullReplaySeconds": replaySeconds,
            "replayEventsPerSecond": replaySeconds > 0 ? Double(events) / replaySeconds : 0,
            "restoreSeconds": Recorder.seconds(restore.duration),
            "verifySeconds": Recorder.seconds(verify.duration),
            "residentMegabytesBeforeRestart": Double(residentBefore ?? 0) / 1_048_576,
            "residentMegabytesAfterRestart": Double(residentAfter ?? 0) / 1_048_576,
            "peakResidentMegabytesDuringReplay": Double(residentDuringReplay ?? 0) / 1_048_576,
        ]
        outcome.checks.append(
            CheckResult(name: "tributary restore succeeds", passed: restore.status == 0, detail: restore.output)
        )
        outcome.checks.append(
            CheckResult(name: "tributary verify finds the journal clean", passed: verify.status == 0, detail: verify.output)
        )
        outcome.checks.append(
            CheckResult(
                name: "the restarted server has every event", passed: position == events,
                detail: "\(events) events before the restart, \(position) after"
            )
        )
        outcome.checks.append(try await checkTrackedRecords(expected, limit: settings.checkLimit, minPosition: events, client: after))
        return outcome
    }
}

/// Runs the server's own `tributary` executable with `arguments` and times it, waiting on a
/// thread of its own: blocking a thread of Swift's cooperative pool (one per core) for the whole
/// restore would stall everything else running in the process.
private func runTool(_ server: ServerProcess, _ arguments: [String]) async throws -> (status: Int32, output: String, duration: Duration) {
    let executable = server.executable
    return try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try runToolBlocking(executable, arguments) }) }.start()
    }
}

private func runToolBlocking(_ executable: URL, _ arguments: [String]) throws -> (status: Int32, output: String, duration: Duration) {
    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    let output = Pipe()
    process.standardOutput = output
    process.standardError = FileHandle.nullDevice
    let start = ContinuousClock.now
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    let text = String(decoding: data, as: UTF8.self).split(separator: "\n").suffix(3).joined(separator: " / ")
    return (process.terminationStatus, "\(arguments[0]): \(text)", .now - start)
}
