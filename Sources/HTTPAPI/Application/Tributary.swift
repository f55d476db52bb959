import Backfill
import CRM
import EventSourcing
import HTTPTypes
import Ingestion
import Publishing

/// The running parts of one Tributary server that routes need: the journal, the registry of
/// record actors, the read models, the ingestor and the command handler.
struct Tributary: Sendable {
    let configuration: TributaryConfiguration
    let journal: any Journal
    let registry: AggregateRegistry<SalesforceRecord>
    let readModels: ReadModels
    let ingestor: ChangeIngestor
    let commands: ServiceCommandHandler
    let rebuilds: RebuildJobs
    /// The journal's last position when the server started: ready once every read model has
    /// caught up to it.
    let startupPosition: UInt64
    /// The projections that resumed at start-up from a snapshot or their stored state, and the
    /// position each resumed after.
    let restoredSnapshots: [String: UInt64]
    /// Every backfill job.
    let backfillJobs: BackfillJobs
    /// Runs backfills; `nil` when no Salesforce org is configured.
    let backfiller: Backfiller?
    /// Publishes committed events to EventBridge; `nil` when no bus is configured.
    let publisher: EventBridgePublisher?
    /// Checks the signatures of `POST /v1/cdc` bodies; `nil` when they are not required.
    let cdcSignatures: CDCSignatureVerifier?
    /// The metrics `GET /metrics` serves.
    let metrics: ServerMetrics

    /// Read-your-writes waits (`minPosition`, `wait`) bounded by this server's limit.
    var readYourWrites: ReadYourWrites {
        ReadYourWrites(journal: journal, limit: configuration.maxWaitMilliseconds)
    }

    /// The projection of `name` (an aggregate name from a URL), or a 404 problem.
    func projection(named name: String) throws(Problem) -> RecordProjection {
        guard let type = RecordType(rawValue: name), let projection = readModels.projection(type) else {
            let known = readModels.all.map(\.recordType.rawValue).joined(separator: ", ")
            throw Problem(.notFound, detail: "unknown aggregate '\(name)'; known aggregates: \(known)")
        }
        return projection
    }

    /// Runs a read-model query; a failure of the read model's storage (an I/O error, a damaged
    /// entry) becomes a 503 problem rather than a 500.
    func query<T>(_ projection: RecordProjection, _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let problem as Problem {
            throw problem
        } catch {
            throw Problem(.serviceUnavailable, detail: "the \(projection.name) read model cannot be read: \(error)")
        }
    }
}
