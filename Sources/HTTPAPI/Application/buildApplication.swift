import HTTPTypes
import CRM
import EventSourcing
import EventSourcingLMDB
import Hummingbird
import Ingestion
import Logging
import ServiceLifecycle

/// Wires a Tributary server: opens the journal, creates the registry, the read models and their
/// runner, and the HTTP routes. The command line and the tests both start servers through here.
///
/// The returned application runs every long-running part as a service and shuts them down in
/// reverse order on SIGTERM: the HTTP server first, the journal last, after it has committed
/// everything queued.
public func buildApplication(_ configuration: TributaryConfiguration, logger: Logger) async throws -> some ApplicationProtocol {
    var services: [any Service] = []
    let journal: any Journal
    switch configuration.storage {
    case .lmdb(let directory, let journalConfiguration):
        let lmdbJournal = try LMDBJournal(directory: directory, configuration: journalConfiguration)
        services.append(LMDBJournalService(journal: lmdbJournal, logger: logger))
        journal = lmdbJournal
    case .inMemory:
        journal = InMemoryJournal()
    }
    let mappings = configuration.mappings
    let registry = AggregateRegistry(
        journal: journal,
        aggregates: Dictionary(uniqueKeysWithValues: mappings.recordTypes.map { ($0.rawValue, SalesforceRecord(type: $0)) }),
        configuration: configuration.registry
    )
    let projections = Dictionary(
        uniqueKeysWithValues: mappings.recordTypes.compactMap { type in mappings[type].map { (type, RecordProjection(mapping: $0)) } }
    )
    services.append(ProjectionRunner(journal: journal, projections: Array(projections.values), logger: logger))
    services.append(PassivationRunner(registry: registry, logger: logger))

    let tributary = Tributary(
        configuration: configuration,
        journal: journal,
        registry: registry,
        projections: projections,
        ingestor: ChangeIngestor(registry: registry, mappings: mappings, journal: journal, gaps: GapTracker()),
        startupPosition: try await journal.lastPosition()
    )
    let router = Router(context: BasicRequestContext.self)
    router.add(middleware: ProblemMiddleware())
    OperationsRoutes(tributary: tributary).register(on: router)
    CDCRoutes(tributary: tributary).register(on: router)
    RecordRoutes(tributary: tributary).register(on: router)

    return Application(
        router: router,
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "tributary"),
        services: services,
        logger: logger
    )
}
