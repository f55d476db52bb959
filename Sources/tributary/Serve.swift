import AWS
import ArgumentParser
import CRM
import EventSourcing
import EventSourcingLMDB
import Foundation
import HTTPAPI
import Hummingbird
import Logging
import Publishing
import SalesforceAPI
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

    @Option(
        name: .customLong("idempotency-retention"),
        help: "Seconds an Idempotency-Key is remembered, in the journal's time (default: forever). A key repeated later is a new command; bounds the index's memory."
    )
    var idempotencyRetentionSeconds: Int?

    @Option(name: .customLong("salesforce-login-url"), help: "The org's My Domain URL for backfills and gap re-reads (or SALESFORCE_LOGIN_URL).")
    var salesforceLoginURL: String?

    @Option(name: .customLong("salesforce-client-id"), help: "The connected app's consumer key (or SALESFORCE_CLIENT_ID).")
    var salesforceClientID: String?

    @Option(name: .customLong("salesforce-client-secret-file"), help: "A file holding the consumer secret (else SALESFORCE_CLIENT_SECRET).")
    var salesforceClientSecretFile: String?

    @Option(name: .customLong("salesforce-api-version"), help: "The REST API version.")
    var salesforceAPIVersion = "v60.0"

    @Option(name: .customLong("tokens-file"), help: "A file of bearer tokens, one per line: '<name> <scopes> <token>', scopes among ingest,query,admin (or TRIBUTARY_TOKENS, lines separated by ';'). Without tokens every request is let in.")
    var tokensFile: String?

    @Option(name: .customLong("cdc-hmac-secret-file"), help: "A file holding the secret signing relays sign POST /v1/cdc bodies with (or TRIBUTARY_CDC_HMAC_SECRET); unsigned bodies are then refused.")
    var cdcHMACSecretFile: String?

    @Option(name: .customLong("metrics-scope"), help: "With tokens: the scope (ingest, query or admin) a token needs for GET /metrics. Open without it.")
    var metricsScope: Scope?

    @Option(name: .customLong("openapi-scope"), help: "With tokens: the scope (ingest, query or admin) a token needs for GET /openapi.json. Open without it.")
    var openAPIScope: Scope?

    @Flag(name: .customLong("insecure"), help: "Listen on a non-loopback address without tokens anyway.")
    var insecure = false

    @Option(name: .customLong("eventbridge-bus"), help: "Publish committed events to this EventBridge bus (name or ARN; or TRIBUTARY_EVENTBRIDGE_BUS). Credentials and region come from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_REGION.")
    var eventBridgeBus: String?

    @Option(name: .customLong("eventbridge-source"), help: "The Source of published events.")
    var eventBridgeSource = "tributary"

    @Option(name: .customLong("eventbridge-endpoint"), help: "EventBridge's URL, for a local emulator (default: the region's endpoint; or TRIBUTARY_EVENTBRIDGE_ENDPOINT).")
    var eventBridgeEndpoint: String?

    @Option(name: .customLong("eventbridge-region"), help: "The AWS region (default: AWS_REGION, then AWS_DEFAULT_REGION).")
    var eventBridgeRegion: String?

    @Option(name: .customLong("salesforce-slow-down-at"), help: "The share of the daily API allowance past which calls slow down (0-1).")
    var salesforceSlowDownAt = 0.8

    @Option(name: .customLong("log-format"), help: "text (one line per entry, for terminals) or json (one JSON object per line, for log collectors).")
    var logFormat = "text"

    @Option(name: .customLong("ready-max-lag"), help: "GET /ready answers 503 while a read model trails the journal by more events than this.")
    var readyMaxLag: UInt64 = 10_000

    @Option(name: .customLong("max-in-flight-writes"), help: "Writes running at once past which more answer 503 with Retry-After.")
    var maxInFlightWrites = 256

    @Option(name: .customLong("max-projection-lag"), help: "Events the read models may trail the journal by before writes answer 503 with Retry-After.")
    var maxProjectionLag: UInt64 = 1_000_000

    @Option(name: .customLong("index-flush-events"), help: "Events whose stream index entries are held in memory before they are written to the journal, a chunk per commit: more write fewer pages per event, and a restart after a crash scans up to about twice as many.")
    var indexFlushEvents = 65_536

    @Option(name: .customLong("rate-limit"), help: "Requests per second each token holder may make to /v1 (bursts up to one second's worth); past it 429 with Retry-After (0: no limit; needs tokens).")
    var rateLimit = 0.0

    func validate() throws {
        guard ["text", "json"].contains(logFormat) else { throw ValidationError("--log-format must be text or json") }
        guard maxInFlightWrites > 0 else { throw ValidationError("--max-in-flight-writes must be positive") }
        guard (1...16_777_216).contains(indexFlushEvents) else { throw ValidationError("--index-flush-events must be between 1 and 16777216") }
        guard rateLimit == 0 || (rateLimit >= 0.001 && rateLimit.isFinite) else {
            throw ValidationError("--rate-limit must be 0 (no limit) or at least 0.001 requests per second")
        }
        guard (0...1).contains(salesforceSlowDownAt) else { throw ValidationError("--salesforce-slow-down-at must be between 0 and 1") }
        guard salesforceAPIVersion.hasPrefix("v"), Double(salesforceAPIVersion.dropFirst()) != nil else {
            throw ValidationError("--salesforce-api-version must look like v60.0")
        }
        guard (0...65_535).contains(port) else { throw ValidationError("--port must be between 0 and 65535") }
        guard idleTimeoutSeconds > 0 else { throw ValidationError("--idle-timeout must be positive") }
        guard maxResident >= 0 else { throw ValidationError("--max-resident must be 0 (no cap) or positive") }
        guard shutdownTimeoutSeconds > 0 else { throw ValidationError("--shutdown-timeout must be positive") }
        guard snapshotIntervalSeconds > 0 else { throw ValidationError("--snapshot-interval must be positive") }
        if let idempotencyRetentionSeconds, idempotencyRetentionSeconds <= 0 {
            throw ValidationError("--idempotency-retention must be positive (leave it out to remember keys forever)")
        }
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical")
        }
    }

    func run() async throws {
        let format = LineLogHandler.Format(rawValue: logFormat) ?? .text
        var logger = Logger(label: "tributary", factory: { LineLogHandler(label: $0, format: format) })
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        var mappings = MappingSet.defaults
        if let mappingsFile {
            do {
                mappings = try MappingFile.load(mappingsFile)
            } catch {
                throw StartupError(message: error.description)
            }
        }
        var configuration = TributaryConfiguration(
            host: host,
            port: port,
            storage: inMemory ? .inMemory : .lmdb(directory: dataDirectory, configuration: LMDBJournalConfiguration(indexFlushEvents: indexFlushEvents)),
            mappings: mappings,
            mappingsFile: mappingsFile,
            registry: RegistryConfiguration(idleTimeout: .seconds(idleTimeoutSeconds), maxResident: maxResident == 0 ? nil : maxResident),
            snapshotInterval: .seconds(snapshotIntervalSeconds),
            buildIdentity: BuildIdentity.ofRunningExecutable()
        )
        configuration.salesforce = try salesforceConfiguration()
        configuration.publisher = try publisherConfiguration()
        configuration.accessTokens = try accessTokens()
        configuration.allowInsecureListening = insecure
        configuration.metricsScope = metricsScope
        configuration.openAPIScope = openAPIScope
        configuration.cdcSigningSecret = try cdcSigningSecret()
        configuration.readyMaxLag = readyMaxLag
        configuration.maxInFlightWrites = maxInFlightWrites
        configuration.maxProjectionLag = maxProjectionLag
        configuration.idempotencyRetention = idempotencyRetentionSeconds.map { .seconds($0) }
        if rateLimit > 0 {
            guard configuration.accessTokens != nil else {
                throw StartupError(message: "--rate-limit applies per token: configure tokens (--tokens-file or TRIBUTARY_TOKENS)")
            }
            configuration.rateLimitPerToken = rateLimit
        }
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
        } catch let error as ConfigurationError {
            throw StartupError(message: error.message)
        }
    }
}

extension Serve {
    /// The CDC signing secret from `--cdc-hmac-secret-file` or `TRIBUTARY_CDC_HMAC_SECRET`.
    func cdcSigningSecret() throws -> [UInt8]? {
        var secret: String?
        if let cdcHMACSecretFile {
            do {
                secret = try String(contentsOfFile: cdcHMACSecretFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            } catch {
                throw StartupError(message: "cannot read the CDC signing secret from \(cdcHMACSecretFile): \(error.localizedDescription)")
            }
        } else if let variable = ProcessInfo.processInfo.environment["TRIBUTARY_CDC_HMAC_SECRET"], !variable.isEmpty {
            secret = variable
        }
        guard let secret else { return nil }
        guard secret.utf8.count >= 16 else { throw StartupError(message: "the CDC signing secret must be at least 16 characters") }
        return Array(secret.utf8)
    }

    /// The bearer tokens from `--tokens-file` or `TRIBUTARY_TOKENS`; `nil` when neither is given.
    func accessTokens() throws -> AccessTokens? {
        let text: String
        let origin: String
        if let tokensFile {
            do {
                text = try String(contentsOfFile: tokensFile, encoding: .utf8)
            } catch {
                throw StartupError(message: "cannot read the tokens file \(tokensFile): \(error.localizedDescription)")
            }
            origin = tokensFile
        } else if let variable = ProcessInfo.processInfo.environment["TRIBUTARY_TOKENS"], !variable.isEmpty {
            text = variable
            origin = "TRIBUTARY_TOKENS"
        } else {
            return nil
        }
        do {
            return try AccessTokens(parsing: text)
        } catch {
            throw StartupError(message: "\(origin): \(error)")
        }
    }

    /// The EventBridge publisher from the flags and the environment; `nil` when no bus is named.
    func publisherConfiguration() throws -> PublisherConfiguration? {
        let environment = ProcessInfo.processInfo.environment
        let endpointURL = eventBridgeEndpoint ?? environment["TRIBUTARY_EVENTBRIDGE_ENDPOINT"]
        guard let bus = eventBridgeBus ?? environment["TRIBUTARY_EVENTBRIDGE_BUS"], !bus.isEmpty else {
            if endpointURL != nil || eventBridgeRegion != nil {
                throw StartupError(message: "an EventBridge endpoint or region was given without --eventbridge-bus")
            }
            return nil
        }
        guard let region = eventBridgeRegion ?? environment["AWS_REGION"] ?? environment["AWS_DEFAULT_REGION"], !region.isEmpty else {
            throw StartupError(message: "--eventbridge-bus needs a region: --eventbridge-region, AWS_REGION or AWS_DEFAULT_REGION")
        }
        guard let credentials = AWSCredentials(environment: environment) else {
            throw StartupError(message: "--eventbridge-bus needs credentials in AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
        }
        guard !eventBridgeSource.isEmpty else { throw StartupError(message: "--eventbridge-source must not be empty") }
        var endpoint: AWSEndpoint?
        if let endpointURL {
            do {
                endpoint = try AWSEndpoint(url: endpointURL)
            } catch {
                throw StartupError(message: "--eventbridge-endpoint: \(error)")
            }
        }
        return PublisherConfiguration(eventBusName: bus, source: eventBridgeSource, region: region, endpoint: endpoint, credentials: credentials)
    }

    /// The Salesforce org from the flags and the environment; `nil` when none is named. The
    /// secret comes from a file or `SALESFORCE_CLIENT_SECRET`, never from the command line, where
    /// other users of the machine could read it.
    func salesforceConfiguration() throws -> SalesforceAPIConfiguration? {
        let environment = ProcessInfo.processInfo.environment
        let loginURL = salesforceLoginURL ?? environment["SALESFORCE_LOGIN_URL"]
        let clientID = salesforceClientID ?? environment["SALESFORCE_CLIENT_ID"]
        var secret = environment["SALESFORCE_CLIENT_SECRET"]
        if let salesforceClientSecretFile {
            do {
                secret = try String(contentsOfFile: salesforceClientSecretFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            } catch {
                throw StartupError(message: "cannot read the Salesforce client secret from \(salesforceClientSecretFile): \(error.localizedDescription)")
            }
        }
        guard let loginURL else {
            if clientID != nil || salesforceClientSecretFile != nil {
                throw StartupError(message: "a Salesforce client id or secret was given without --salesforce-login-url")
            }
            return nil
        }
        guard loginURL.hasPrefix("https://") || loginURL.hasPrefix("http://") else {
            throw StartupError(message: "--salesforce-login-url must be an http(s) URL, not '\(loginURL)'")
        }
        guard let clientID, !clientID.isEmpty else {
            throw StartupError(message: "--salesforce-login-url needs --salesforce-client-id (or SALESFORCE_CLIENT_ID)")
        }
        guard let secret, !secret.isEmpty else {
            throw StartupError(message: "--salesforce-login-url needs the client secret in SALESFORCE_CLIENT_SECRET or --salesforce-client-secret-file")
        }
        return SalesforceAPIConfiguration(
            loginURL: loginURL, clientID: clientID, clientSecret: secret,
            apiVersion: salesforceAPIVersion, slowDownAtUsage: salesforceSlowDownAt
        )
    }
}

/// A failure before the server could start, reported as a plain message with a non-zero exit.
struct StartupError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

/// A token scope on the command line: `ingest`, `query` or `admin`.
extension Scope: ExpressibleByArgument {}
