import Foundation
import HTTPAPI
import Hummingbird
import HummingbirdTesting
import Logging
import NIOPosix
import Simulations
import Testing

/// A few seconds of each scenario against a real server, so the simulations cannot rot: each must
/// pass its own final checks and write both files.
@Suite("Simulation scenarios (smoke runs)", .serialized, .timeLimit(.minutes(5)))
struct ScenarioSmokeTests {
    func output(_ scenario: String) -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("tributary-sim-\(scenario)-\(UUID().uuidString)")
    }

    /// Runs `scenario` briefly against a live in-process server on LMDB in a temporary directory.
    func smoke(_ scenario: String, configure: (inout RunSettings) -> Void = { _ in }) async throws -> (RunSummary, URL) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tributary-smoke-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let configuration = TributaryConfiguration(host: "127.0.0.1", port: 0, storage: .lmdb(directory: directory))
        var logger = Logger(label: "smoke")
        logger.logLevel = .warning
        let app = try await buildApplication(configuration, logger: logger)
        let out = output(scenario)
        var settings = RunSettings(target: Target(host: "127.0.0.1", port: 0), output: out)
        settings.duration = .seconds(5)
        settings.populate = 300
        settings.progress = false
        settings.injection = .closed(clients: 4)
        settings.batchSize = 20
        configure(&settings)
        let prepared = settings
        let summary = try await app.test(.live) { client in
            var settings = prepared
            settings.target = Target(host: "127.0.0.1", port: try #require(client.port))
            return try await Scenarios.run(scenario, settings: settings, group: MultiThreadedEventLoopGroup.singleton)
        }
        return (summary, out)
    }

    func expectWritten(_ summary: RunSummary, _ out: URL) throws {
        #expect(summary.passed, "\(summary.checks.filter { !$0.passed }.map(\.detail))")
        let json = try Data(contentsOf: out.appendingPathComponent("summary.json"))
        let decoded = try JSONDecoder().decode(RunSummary.self, from: json)
        #expect(decoded.scenario == summary.scenario)
        let html = try String(contentsOf: out.appendingPathComponent("report.html"), encoding: .utf8)
        #expect(html.contains("<svg"))
        #expect(!html.contains("<script src") && !html.contains("<link"))
        try? FileManager.default.removeItem(at: out)
    }

    @Test func cdcBatch() async throws {
        let (summary, out) = try await smoke("cdc-batch")
        #expect((summary.series.first?.operations ?? 0) > 0)
        #expect(summary.checks.count == 3)
        try expectWritten(summary, out)
    }

    @Test func cdcSingle() async throws {
        let (summary, out) = try await smoke("cdc-single") { $0.injection = .constantRate(perSecond: 200, connections: 8) }
        #expect(summary.series.first?.operations == summary.series.first?.requests)
        try expectWritten(summary, out)
    }

    @Test func readHeavy() async throws {
        let (summary, out) = try await smoke("read-heavy")
        #expect(summary.series.map(\.name) == ["GET /health", "GET /v1/clients/{id}", "GET summaries and lists"])
        #expect((summary.figures["readToHealthRatio"] ?? 0) > 0)
        try expectWritten(summary, out)
    }

    @Test func mixed() async throws {
        let (summary, out) = try await smoke("mixed")
        #expect(summary.checks.first?.passed == true)
        try expectWritten(summary, out)
    }

    @Test func recovery() async throws {
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("tributary")
        let candidates = [binary, URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../../.build/debug/tributary")]
        let executable = try #require(candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) }, "build the tributary executable first")
        let group = MultiThreadedEventLoopGroup.singleton
        let server = ServerProcess(
            executable: executable, dataDirectory: FileManager.default.temporaryDirectory.appendingPathComponent("tributary-recovery-\(UUID().uuidString)"),
            port: try await ServerProcess.freePort(group: group)
        )
        try await server.start(group: group)
        defer {
            try? FileManager.default.removeItem(at: server.dataDirectory)
        }
        let out = output("recovery")
        var settings = RunSettings(target: server.target, output: out)
        settings.populate = 2_000
        settings.progress = false
        settings.server = server
        let summary = try await Scenarios.run("recovery", settings: settings, group: group)
        await server.stop()
        #expect((summary.figures["replayEventsPerSecond"] ?? 0) > 0)
        try expectWritten(summary, out)
    }
}
