import ArgumentParser
import CRM
import EventSourcing
import EventSourcingLMDB
import HTTPAPI
import Hummingbird
import Logging
import ServiceLifecycle

/// `tributary serve`: open (or create) the journal, recover, and serve HTTP until SIGTERM/SIGINT.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the Tributary server.",
        discussion: "SIGTERM or SIGINT stops it gracefully: in-flight requests finish and queued appends commit."
    )

    @Option(name: .customLong("data-dir"), help: "The directory holding the LMDB journal (created if missing).")
    var dataDirectory = "./data"

    @Option(name: .customLong("mappings"), help: "A JSON mapping file; its entries replace the built-in mapping of the aggregates they name.")
    var mappingsFile: String?

    @Flag(name: .customLong("in-memory"), help: "Keep the journal in memory only (nothing survives a restart).")
    var inMemory = false

    @Option(help: "The address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "The port to listen on (0 picks a free one).")
    var port = 8080

    @Option(name: .customLong("idle-timeout"), help: "Seconds before an unused record is passivated (dropped from memory).")
    var idleTimeoutSeconds = 300

    @Option(name: .customLong("max-resident"), help: "The most records resident in memory; past it the least recently used are passivated (0: no cap).")
    var maxResident = 500_000

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel = "info"

    @Option(name: .customLong("shutdown-timeout"), help: "Seconds SIGTERM may take to drain, commit and snapshot before the remaining work is cancelled.")
    var shutdownTimeoutSeconds = 30

    @Option(name: .customLong("snapshot-interval"), help: "Seconds between snapshots of the in-memory indexes of gaps and idempotency keys (also taken on graceful shutdown).")
    var snapshotIntervalSeconds = 300

    func validate() throws {
        guard (0...65_535).contains(port) else { throw ValidationError("--port must be between 0 and 65535") }
        guard idleTimeoutSeconds > 0 else { throw ValidationError("--idle-timeout must be positive") }
        guard maxResident >= 0 else { throw ValidationError("--max-resident must be 0 (no cap) or positive") }
        guard shutdownTimeoutSeconds > 0 else { throw ValidationError("--shutdown-timeout must be positive") }
        guard snapshotIntervalSeconds > 0 else { throw ValidationError("--snapshot-interval must be positive") }
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical")
        }
    }

    func run() async throws {
        var logger = Logger(label: "tributary")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        var mappings = MappingSet.defaults
        if let mappingsFile {
            do {
                mappings = try MappingFile.load(mappingsFile)
            } catch {
                throw StartupError(message: error.description)
            }
        }
        let configuration = TributaryConfiguration(
            host: host,
            port: port,
            storage: inMemory ? .inMemory : .lmdb(directory: dataDirectory),
            mappings: mappings,
            mappingsFile: mappingsFile,
            registry: RegistryConfiguration(idleTimeout: .seconds(idleTimeoutSeconds), maxResident: maxResident == 0 ? nil : maxResident),
            snapshotInterval: .seconds(snapshotIntervalSeconds),
            buildIdentity: BuildIdentity.ofRunningExecutable()
        )
        do {
            let application = try await buildApplication(configuration, logger: logger)
            logger.info(
                "starting",
                metadata: ["storage": "\(inMemory ? "memory" : dataDirectory)", "address": "\(host):\(port)"]
            )
            // SIGTERM/SIGINT: stop taking requests, drain, commit, snapshot, close; past the
            // timeout the rest is cancelled (queued appends still commit: the writer thread
            // finishes its queue), so the process always ends.
            var group = ServiceGroupConfiguration(services: [application], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
            group.maximumGracefulShutdownDuration = .seconds(shutdownTimeoutSeconds)
            group.maximumCancellationDuration = .seconds(5)
            try await ServiceGroup(configuration: group).run()
        } catch let error as LMDBError {
            throw StartupError(message: "cannot open the journal in \(dataDirectory): \(error)")
        }
    }
}

/// A failure before the server could start, reported as a plain message with a non-zero exit.
struct StartupError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
