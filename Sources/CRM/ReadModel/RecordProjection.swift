import EventSourcing
import JSON

/// The read model of one record type: every record's mapped view, kept current from the log.
///
/// It folds each record's events with the aggregate's own `evolve`, so views converge exactly as
/// the aggregates do, and applies the field mapping to produce the view. Ids are kept sorted
/// lazily (new ids are merged in on the next list query) so ingestion never pays for ordering.
public actor RecordProjection: Projection {
    private struct Entry {
        var state: RecordState
        /// `nil` while the record is known only from a gap event: it has no content to show.
        var view: RecordView?
    }

    public nonisolated let name: String
    public nonisolated let applied = PositionWatch()
    /// The record type this projection serves.
    public nonisolated let recordType: RecordType
    /// The mapping this projection's views follow.
    public nonisolated let mapping: EntityMapping
    private let aggregate: SalesforceRecord
    /// The reference fields, and for each, target id → ids of the records referencing it.
    private let referenceFields: [String]
    private var references: [String: [String: Set<String>]] = [:]

    private var records: [String: Entry] = [:]
    private var sortedIDs: [String] = []
    private var newIDs: [String] = []
    private var undecodable = 0

    /// A projection of `mapping.recordType` records.
    public init(mapping: EntityMapping) {
        self.recordType = mapping.recordType
        self.name = mapping.recordType.rawValue
        self.aggregate = SalesforceRecord(type: mapping.recordType)
        self.mapping = mapping
        self.referenceFields = mapping.fields.compactMap { field in
            if case .reference = field.type { return field.name }
            return nil
        }
    }

    public func apply(_ events: [RecordedEvent]) {
        let category = recordType.rawValue
        // States are folded event by event; views (the mapping, the reference index) are built
        // once per record per batch, from its last event: a replay or a burst of changes to one
        // record pays for the mapping once.
        var touched: [String: (version: UInt64, position: UInt64)] = [:]
        var order: [String] = []
        for recorded in events where recorded.stream.category == category {
            guard let event = try? aggregate.decode(recorded) else {
                undecodable += 1
                continue
            }
            let id = recorded.stream.id
            if records[id] == nil { newIDs.append(id) }
            // Mutating through the subscript folds the state in place, without copying its fields.
            // The read model folds like the aggregate but keeps no de-duplication keys.
            records[id, default: Entry(state: RecordState(), view: nil)].state.apply(
                event,
                at: EventPosition(position: recorded.position, version: recorded.version, recordedAt: recorded.recordedAt),
                keepingChangeKeys: false
            )
            if touched.updateValue((recorded.version, recorded.position), forKey: id) == nil { order.append(id) }
        }
        for id in order {
            guard let last = touched[id], let entry = records[id] else { continue }
            let state = entry.state
            let view = !state.exists ? nil : RecordView(
                id: id,
                recordType: recordType,
                version: last.version,
                deleted: state.deleted,
                position: last.position,
                updatedAt: state.updatedAt,
                fields: mapping.domainFields(of: state)
            )
            updateReferences(id: id, from: entry.view, to: view)
            records[id]?.view = view
        }
    }

    private func updateReferences(id: String, from old: RecordView?, to new: RecordView?) {
        for field in referenceFields {
            let before = old?.fields[field]?.stringValue
            let after = new?.fields[field]?.stringValue
            guard before != after else { continue }
            if let before { references[field]?[before]?.remove(id) }
            if let after { references[field, default: [:]][after, default: []].insert(id) }
        }
    }

    /// The records whose reference field `field` holds `targetID`, in id order.
    public func records(referencing targetID: String, through field: String, includeDeleted: Bool = false) -> [RecordView] {
        guard let ids = references[field]?[targetID] else { return [] }
        return ids.sorted().compactMap { records[$0]?.view }.filter { includeDeleted || !$0.deleted }
    }

    /// The view of record `id`, or `nil` when it has no events.
    public func view(id: String) -> RecordView? {
        records[id]?.view
    }

    /// The number of records known (deleted ones and ones known only from a gap event included).
    public var count: Int { records.count }

    /// Events of this type that could not be decoded (a sign of a bug or corruption).
    public var undecodableEvents: Int { undecodable }

    /// A page of records matching `query`, in id order.
    ///
    /// A filter on a reference field (`clientId=…`) starts from the reference index, so it costs
    /// the records that match rather than every record of the type.
    public func list(_ query: RecordQuery) -> RecordPage {
        let candidates: [String]
        if let (field, target) = query.filters.first(where: { referenceFields.contains($0.key) }) {
            candidates = (references[field]?[target] ?? []).sorted()
        } else {
            mergeNewIDs()
            candidates = sortedIDs
        }
        var start = 0
        if let after = query.after {
            start = candidates.partitioningIndex { $0 > after }
        }
        let limit = max(1, query.limit)
        var items: [RecordView] = []
        var index = start
        while index < candidates.count {
            if let view = records[candidates[index]]?.view, matches(view, query) {
                if items.count == limit {
                    return RecordPage(items: items, next: items.last?.id)
                }
                items.append(view)
            }
            index += 1
        }
        return RecordPage(items: items, next: nil)
    }

    private func matches(_ view: RecordView, _ query: RecordQuery) -> Bool {
        if view.deleted, !query.includeDeleted { return false }
        for (field, expected) in query.filters {
            guard let value = view.fields[field], value.scalarText == expected else { return false }
        }
        return true
    }

    private func mergeNewIDs() {
        guard !newIDs.isEmpty else { return }
        newIDs.sort()
        var merged: [String] = []
        merged.reserveCapacity(sortedIDs.count + newIDs.count)
        var left = 0
        var right = 0
        while left < sortedIDs.count, right < newIDs.count {
            if sortedIDs[left] < newIDs[right] {
                merged.append(sortedIDs[left])
                left += 1
            } else {
                merged.append(newIDs[right])
                right += 1
            }
        }
        merged.append(contentsOf: sortedIDs[left...])
        merged.append(contentsOf: newIDs[right...])
        sortedIDs = merged
        newIDs.removeAll(keepingCapacity: true)
    }
}

extension Array {
    /// The first index whose element satisfies `predicate`, for a predicate false then true.
    fileprivate func partitioningIndex(where predicate: (Element) -> Bool) -> Int {
        var low = 0
        var high = count
        while low < high {
            let middle = (low + high) / 2
            if predicate(self[middle]) { high = middle } else { low = middle + 1 }
        }
        return low
    }
}
