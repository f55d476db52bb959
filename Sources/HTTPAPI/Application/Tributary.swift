import HTTPTypes
import CRM
import EventSourcing
import Ingestion

/// The running parts of one Tributary server that routes need: the journal, the registry of
/// record actors, the read models and the ingestor.
struct Tributary: Sendable {
    let configuration: TributaryConfiguration
    let journal: any Journal
    let registry: AggregateRegistry<SalesforceRecord>
    let projections: [RecordType: RecordProjection]
    let ingestor: ChangeIngestor
    /// The journal's last position when the server started: ready once every read model has
    /// caught up to it.
    let startupPosition: UInt64

    /// The projection of `name` (an aggregate name from a URL), or a 404 problem.
    func projection(named name: String) throws(Problem) -> RecordProjection {
        guard let type = RecordType(rawValue: name), let projection = projections[type] else {
            let known = RecordType.allCases.filter { projections[$0] != nil }.map(\.rawValue).joined(separator: ", ")
            throw Problem(.notFound, detail: "unknown aggregate '\(name)'; known aggregates: \(known)")
        }
        return projection
    }
}
