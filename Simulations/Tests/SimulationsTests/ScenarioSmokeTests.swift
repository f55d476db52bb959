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

    /// The `tributary` executable built beside the tests.
    func serverExecutable() throws -> URL {
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("tributary")
        let candidates = [binary, URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../../.build/debug/tributary")]
        return try #require(candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) }, "build the tributary executable first")
    }

    /// A server process on a temporary data directory, started with `arguments`.
    func startedServer(_ name: String, arguments: [String] = [], environment: [String: String] = [:]) async throws -> ServerProcess {
        let group = MultiThreadedEventLoopGroup.singleton
        let server = ServerProcess(
            executable: try serverExecutable(),
            dataDirectory: FileManager.default.temporaryDirectory.appendingPathComponent("tributary-\(name)-\(UUID().uuidString)"),
            port: try await ServerProcess.freePort(group: group),
            arguments: arguments,
            environment: environment
        )
        try await server.start(group: group)
        return server
    }

    @Test func memory() async throws {
        let server = try await startedServer("memory", arguments: ["--max-resident", "1000"])
        defer { try? FileManager.default.removeItem(at: server.dataDirectory) }
        let out = output("memory")
        var settings = RunSettings(target: server.target, output: out)
        settings.populate = 5_000
        settings.memorySampleEvery = 1_000
        settings.maxResident = 1_000
        settings.progress = false
        settings.server = server
        let summary = try await Scenarios.run("memory", settings: settings, group: MultiThreadedEventLoopGroup.singleton)
        await server.stop()
        // A few thousand records move the heap less than the allocator's own noise, so only the
        // read-back check must pass here; flatness is judged on real runs (README).
        #expect(summary.checks.count == 2)
        #expect(summary.checks.last?.passed == true, "\(summary.checks.map(\.detail))")
        #expect((summary.figures["anonymousMegabytesAtEnd"] ?? 0) > 0)
        #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("summary.json").path))
        #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("report.html").path))
        try? FileManager.default.removeItem(at: out)
    }

    @Test func backfill() async throws {
        let org = SalesforceOrg(seed: 7)
        org.populate("Account", count: 500)
        let orgServer = SalesforceOrgServer(org: org)
        let orgURL = try await orgServer.start()
        let server = try await startedServer(
            "backfill",
            arguments: ["--salesforce-login-url", orgURL, "--salesforce-client-id", org.clientID],
            environment: ["SALESFORCE_CLIENT_SECRET": org.clientSecret]
        )
        defer { try? FileManager.default.removeItem(at: server.dataDirectory) }
        let out = output("backfill")
        var settings = RunSettings(target: server.target, output: out)
        settings.populate = 500
        settings.progress = false
        settings.server = server
        settings.org = org
        let summary = try await Scenarios.run("backfill", settings: settings, group: MultiThreadedEventLoopGroup.singleton)
        await server.stop()
        await orgServer.stop()
        try expectWritten(summary, out)
    }

    @Test func recovery() async throws {
        let group = MultiThreadedEventLoopGroup.singleton
        let server = ServerProcess(
            executable: try serverExecutable(),
            dataDirectory: FileManager.default.temporaryDirectory.appendingPathComponent("tributary-recovery-\(UUID().uuidString)"),
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
