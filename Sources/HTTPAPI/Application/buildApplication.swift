import Backfill
import HTTPTypes
import CRM
import EventSourcing
import EventSourcingLMDB
import Hummingbird
import Ingestion
import Logging
import Publishing
import SalesforceAPI
import ServiceLifecycle

/// Wires a Tributary server: opens the journal, creates the registry, the read models and their
/// runner, and the HTTP routes. The command line and the tests both start servers through here.
///
/// The returned application runs every long-running part as a service and shuts them down in
/// reverse order on SIGTERM: the HTTP server first, the journal last, after it has committed
/// everything queued.
public func buildApplication(_ configuration: TributaryConfiguration, logger: Logger) async throws -> some ApplicationProtocol {
    if configuration.accessTokens == nil, !configuration.allowInsecureListening, !ListeningAddress.isLoopback(configuration.host) {
        throw ConfigurationError(
            "refusing to listen on \(configuration.host) without access tokens: anyone who can reach it could write and read every record. Configure tokens (--tokens-file or TRIBUTARY_TOKENS), listen on 127.0.0.1, or pass --insecure"
        )
    }
    if configuration.accessTokens == nil, configuration.metricsScope != nil || configuration.openAPIScope != nil {
        throw ConfigurationError(
            "a scope for /metrics or /openapi.json (--metrics-scope, --openapi-scope) needs access tokens to check: configure tokens (--tokens-file or TRIBUTARY_TOKENS)"
        )
    }
    let metrics = ServerMetrics()
    var services: [any Service] = []
    let journal: any Journal
    var snapshotStore: ProjectionSnapshotStore?
    var publisherCheckpoint: any PublisherCheckpoint = InMemoryPublisherCheckpoint()
    let projectionStorage: any ProjectionStorage
    var stampPrefix = ""
    switch configuration.storage {
    case .lmdb(let directory, let journalConfiguration):
        let lmdbJournal = try LMDBJournal(directory: directory, configuration: journalConfiguration, metrics: metrics.factory)
        services.append(LMDBJournalService(journal: lmdbJournal, logger: logger))
        journal = lmdbJournal
        // Read models live in LMDB too, beside the journal; stamped with the build and the
        // journal's history, so state from other code or another history is rebuilt.
        let readModelStorage = try LMDBProjectionStorage(directory: directory + "/readmodels")
        if readModelStorage.discardedAfterMachineCrash {
            logger.warning("read models were open when the machine went down: rebuilding them from the journal")
        }
        services.append(LMDBProjectionStorageService(storage: readModelStorage, logger: logger))
        projectionStorage = readModelStorage
        if configuration.publisher != nil {
            publisherCheckpoint = FilePublisherCheckpoint(path: directory + "/publisher.checkpoint", journalID: lmdbJournal.journalID)
        }
        stampPrefix = "build \(configuration.buildIdentity) journal \(lmdbJournal.journalID); "
        // Stamped with the journal's history too: snapshots beside a journal replaced by another
        // (a restore or import moved into place) are never loaded.
        snapshotStore = ProjectionSnapshotStore(
            directory: directory + "/snapshots",
            buildIdentity: "\(configuration.buildIdentity) journal \(lmdbJournal.journalID)"
        )
    case .inMemory:
        journal = InMemoryJournal()
        projectionStorage = InMemoryProjectionStorage()
    }
    let mappings = configuration.mappings
    var registryConfiguration = configuration.registry
    registryConfiguration.buildIdentity = configuration.buildIdentity
    let registry = AggregateRegistry(
        journal: journal,
        aggregates: Dictionary(
            uniqueKeysWithValues: RecordType.allCases.map { ($0.rawValue, SalesforceRecord(type: $0, largeText: SalesforceLargeText())) }
        ),
        configuration: registryConfiguration,
        snapshots: journal as? any AggregateSnapshotStore
    )
    let startupPosition = try await journal.lastPosition()
    let readModels = try ReadModels(mappings: mappings, storage: projectionStorage, stampPrefix: stampPrefix, journalEnd: startupPosition)
    let idempotency = IdempotencyIndex(startupPosition: startupPosition, retention: configuration.idempotencyRetention)
    let gaps = GapIndex()
    let schemas = SchemaRegistry(journal: journal)
    try await schemas.load()
    let rebuildRunner = RebuildRunner()
    // Read models resume from their stored state, the indexes from their snapshots; the runner
    // replays only the events after them.
    var restoredSnapshots: [String: UInt64] = [:]
    for projection in readModels.all where projection.applied.position > 0 {
        restoredSnapshots[projection.name] = projection.applied.position
    }
    if let snapshotStore {
        restoredSnapshots.merge(await ProjectionSnapshotService.restore(
            [idempotency, gaps],
            from: snapshotStore,
            journalEnd: startupPosition,
            logger: logger
        )) { _, restored in restored }
        services.append(
            ProjectionSnapshotService(store: snapshotStore, interval: configuration.snapshotInterval, logger: logger) {
                [idempotency, gaps]
            }
        )
    }
    // Backfill jobs are journaled; their index is stored beside the read models.
    var backfillStore = try projectionStorage.store(named: "backfills", stamp: stampPrefix + BackfillJobs.stamp)
    if try backfillStore.checkpoint().position > startupPosition {
        backfillStore = try projectionStorage.rebuildStore(named: "backfills", stamp: stampPrefix + BackfillJobs.stamp)
        try projectionStorage.promoteRebuilt(["backfills"])
    }
    let backfillJobs = try BackfillJobs(store: backfillStore)
    services.append(ProjectionRunner(journal: journal, startUpBatchSize: 32_768, logger: logger) { readModels.all + [idempotency, gaps, backfillJobs] })
    services.append(PassivationRunner(registry: registry, logger: logger))
    services.append(rebuildRunner)
    var backfiller: Backfiller?
    if let salesforce = configuration.salesforce {
        let client = SalesforceClient(configuration: salesforce, logger: logger)
        let runner = Backfiller(
            client: client, registry: registry, mappings: mappings, journal: journal, readModels: readModels, jobs: backfillJobs, logger: logger
        )
        services.append(runner)
        services.append(
            GapRereader(
                client: client, registry: registry, journal: journal, mappings: mappings, gaps: gaps, backfiller: runner,
                batchSize: configuration.gapRereadBatchSize, pause: configuration.gapRereadPause, logger: logger
            )
        )
        backfiller = runner
    }
    var publisher: EventBridgePublisher?
    if let publishing = configuration.publisher {
        let runner = EventBridgePublisher(
            configuration: publishing,
            bus: EventBridgeClient(endpoint: publishing.endpoint, region: publishing.region, credentials: publishing.credentials, timeout: publishing.requestTimeout),
            journal: journal,
            readModels: readModels,
            checkpoint: publisherCheckpoint,
            logger: logger
        )
        services.append(runner)
        publisher = runner
    }

    let tributary = Tributary(
        configuration: configuration,
        journal: journal,
        registry: registry,
        readModels: readModels,
        ingestor: ChangeIngestor(
            registry: registry,
            mappings: mappings,
            journal: journal,
            gaps: gaps,
            schemas: schemas,
            maxChangeBytes: configuration.maxChangeBytes
        ),
        commands: ServiceCommandHandler(registry: registry, mappings: mappings, idempotency: idempotency),
        rebuilds: RebuildJobs(journal: journal, readModels: readModels, logger: logger),
        startupPosition: startupPosition,
        restoredSnapshots: restoredSnapshots,
        backfillJobs: backfillJobs,
        backfiller: backfiller,
        publisher: publisher,
        cdcSignatures: configuration.cdcSigningSecret.map { CDCSignatureVerifier(secret: $0, window: configuration.cdcSignatureWindow) },
        metrics: metrics
    )
    let router = Router(context: TributaryRequestContext.self)
    // Outermost: counts every answer with its final status, refusals by the others included.
    router.add(middleware: MetricsMiddleware(metrics: metrics))
    router.add(middleware: RequestIDMiddleware())
    router.add(middleware: ProblemMiddleware())
    if let tokens = configuration.accessTokens {
        var protected: [String: Scope] = [:]
        protected["/metrics"] = configuration.metricsScope
        protected["/openapi.json"] = configuration.openAPIScope
        router.add(
            middleware: AuthenticationMiddleware(
                tokens: tokens,
                rateLimiter: configuration.rateLimitPerToken.map { RateLimiter(rate: $0) },
                protectedOperationsRoutes: protected
            )
        )
    }
    router.add(middleware: WriteAdmissionMiddleware(
        maxInFlightWrites: configuration.maxInFlightWrites, maxProjectionLag: configuration.maxProjectionLag,
        journal: journal, readModels: readModels
    ))
    OperationsRoutes(tributary: tributary).register(on: router)
    CDCRoutes(tributary: tributary).register(on: router)
    CommandRoutes(tributary: tributary).register(on: router)
    AdminRoutes(tributary: tributary, runner: rebuildRunner).register(on: router)
    RecordRoutes(tributary: tributary).register(on: router)
    SchemaRoutes(tributary: tributary).register(on: router)
    BackfillRoutes(tributary: tributary).register(on: router)
    EventRoutes(tributary: tributary, streams: LiveStreams(configuration: configuration.streams)).register(on: router)

    return Application(
        router: router,
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "tributary"),
        services: services,
        logger: logger
    )
}
