import ArgumentParser
import Foundation
import NIOPosix
import Simulations

/// `tributary-sim`: runs a load scenario against a live Tributary and writes `summary.json` and
/// `report.html` (`tributary-sim <scenario>`), or serves a simulated Salesforce org on its own
/// (`tributary-sim org`) for tools that need one, such as the API fuzzing run in CI.
@main
struct TributarySim: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tributary-sim",
        abstract: "Load scenarios for Tributary, and a simulated Salesforce org.",
        subcommands: [RunScenario.self, ServeOrg.self],
        defaultSubcommand: RunScenario.self
    )
}

/// `tributary-sim [run] <scenario>`: one load scenario.
struct RunScenario: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a load scenario: cdc-batch, cdc-single, read-heavy, mixed, recovery, memory, backfill.",
        discussion: "Talks HTTP only. Writes summary.json and report.html to --out. Exits 1 when a final check fails."
    )

    @Argument(help: "The scenario: \(Scenarios.names.joined(separator: ", ")).")
    var scenario: String

    @Option(help: "The server to load, e.g. http://127.0.0.1:8080 (ignored with --start-server).")
    var url = "http://127.0.0.1:8080"

    @Flag(help: "Start a tributary server on a temporary data directory for the run, and stop it afterwards.")
    var startServer = false

    @Option(help: "The tributary executable for --start-server (default: beside tributary-sim).")
    var serverBinary: String?

    @Option(help: "Seconds of measured load.")
    var duration: Double = 60

    @Option(help: "Closed model: this many concurrent clients (the scenario's default otherwise).")
    var clients: Int?

    @Option(help: "Open model: requests per second (with --connections).")
    var rate: Double?

    @Option(help: "Open model: ramp the rate from --rate up to this many requests per second.")
    var rampTo: Double?

    @Option(help: "Open model: the most connections used.")
    var connections = 64

    @Option(help: "Changes per POST /v1/cdc in cdc-batch.")
    var batchSize = 100

    @Option(help: "Records to create before read-heavy, in memory or in the backfill org; changes before recovery.")
    var populate = 100_000

    @Option(name: .customLong("max-resident"), help: "With --start-server: the server's --max-resident (records kept in memory).")
    var maxResident: Int?

    @Option(help: "The seed of the generated data.")
    var seed: UInt64 = 42

    @Option(help: "Share of changes delivered twice.")
    var duplicateRate = 0.02

    @Option(help: "Share of changes delivered late, out of commit order.")
    var outOfOrderRate = 0.05

    @Option(help: "How many tracked records the final check reads back.")
    var checkLimit = 2_000

    @Option(help: "Where summary.json and report.html go (default: Simulations/results/<scenario>-<time>).")
    var out: String?

    func run() async throws {
        guard Scenarios.names.contains(scenario) else {
            throw ValidationError("unknown scenario '\(scenario)'; expected one of \(Scenarios.names.joined(separator: ", "))")
        }
        let group = MultiThreadedEventLoopGroup.singleton
        var server: ServerProcess?
        var org: SalesforceOrg?
        var target: Target
        if startServer {
            let executable = serverBinary.map(URL.init(fileURLWithPath:))
                ?? URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("tributary")
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tributary-sim-\(UUID().uuidString)")
            var arguments = maxResident.map { ["--max-resident", String($0)] } ?? []
            var environment: [String: String] = [:]
            if scenario == "backfill" {
                // The server reads from a simulated org this process serves.
                let simulated = SalesforceOrg(seed: seed)
                simulated.populate("Account", count: populate)
                let orgServer = SalesforceOrgServer(org: simulated)
                let orgURL = try await orgServer.start()
                arguments += ["--salesforce-login-url", orgURL, "--salesforce-client-id", simulated.clientID]
                environment["SALESFORCE_CLIENT_SECRET"] = simulated.clientSecret
                org = simulated
            }
            let started = ServerProcess(
                executable: executable, dataDirectory: directory, port: try await ServerProcess.freePort(group: group),
                arguments: arguments, environment: environment
            )
            try await started.start(group: group)
            server = started
            target = started.target
        } else {
            guard let parsed = URL(string: url), let host = parsed.host, parsed.scheme == "http" else {
                throw ValidationError("--url must look like http://127.0.0.1:8080, not '\(url)'")
            }
            target = Target(host: host, port: parsed.port ?? 80)
        }
        defer {
            if let server {
                let semaphore = DispatchSemaphore(value: 0)
                Task {
                    await server.stop()
                    try? FileManager.default.removeItem(at: server.dataDirectory)
                    semaphore.signal()
                }
                semaphore.wait()
            }
        }
        let stamp = ISO8601DateFormatter().string(from: Date()).replacingOccurrences(of: ":", with: "")
        var settings = RunSettings(
            target: target, output: URL(fileURLWithPath: out ?? "Simulations/results/\(scenario)-\(stamp)")
        )
        settings.duration = .milliseconds(Int64(duration * 1000))
        settings.batchSize = batchSize
        settings.populate = populate
        settings.traffic.seed = seed
        settings.traffic.duplicateRate = duplicateRate
        settings.traffic.outOfOrderRate = outOfOrderRate
        settings.checkLimit = checkLimit
        settings.server = server
        settings.maxResident = startServer ? maxResident : nil
        settings.org = org
        if let rate {
            settings.injection = rampTo.map { .ramp(from: rate, to: $0, connections: connections) } ?? .constantRate(perSecond: rate, connections: connections)
        } else if let clients {
            settings.injection = .closed(clients: clients)
        }
        let summary = try await Scenarios.run(scenario, settings: settings, group: group)
        print(Report.terminalSummary(summary))
        print("report: \(settings.output.appendingPathComponent("report.html").path)")
        if !summary.passed { throw ExitCode(1) }
    }
}

/// `tributary-sim org`: a simulated Salesforce org (OAuth client credentials, SOQL queries with
/// paging, record reads) on loopback until SIGTERM or SIGINT.
struct ServeOrg: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "org",
        abstract: "Serve a simulated Salesforce org on loopback until stopped.",
        discussion: """
            Prints one line, 'org <url> <client id> <client secret>', once it listens. \
            Point a server at it with --salesforce-login-url <url> --salesforce-client-id <client id> \
            and SALESFORCE_CLIENT_SECRET=<client secret>.
            """
    )

    @Option(help: "The port to listen on (0 picks a free one).")
    var port = 0

    @Option(help: "Accounts the org holds at start.")
    var accounts = 200

    @Option(help: "The seed of the generated records.")
    var seed: UInt64 = 42

    func run() async throws {
        let org = SalesforceOrg(seed: seed)
        org.populate("Account", count: accounts)
        let server = SalesforceOrgServer(org: org)
        let url = try await server.start(port: port)
        // Written straight to the descriptor: print's buffer is not flushed into a pipe until exit.
        FileHandle.standardOutput.write(Data("org \(url) \(org.clientID) \(org.clientSecret)\n".utf8))
        await server.waitUntilStopped()
    }
}
