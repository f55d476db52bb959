import CRM
import EventSourcing
import HTTPTypes
import Ingestion

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
    /// The projections that resumed from a snapshot at start-up, and the position each resumed
    /// after.
    let restoredSnapshots: [String: UInt64]

    /// The projection of `name` (an aggregate name from a URL), or a 404 problem.
    func projection(named name: String) throws(Problem) -> RecordProjection {
        guard let type = RecordType(rawValue: name), let projection = readModels.projection(type) else {
            let known = readModels.all.map(\.recordType.rawValue).joined(separator: ", ")
            throw Problem(.notFound, detail: "unknown aggregate '\(name)'; known aggregates: \(known)")
        }
        return projection
    }
}
