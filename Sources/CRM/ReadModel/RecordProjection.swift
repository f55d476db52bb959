import EventSourcing
import JSON

/// The read model of one record type: every record's mapped view, kept current from the log.
///
/// It folds each record's events with the aggregate's own `evolve`, so views converge exactly as
/// the aggregates do, and applies the field mapping to produce the view. Ids are kept sorted
/// lazily (new ids are merged in on the next list query) so ingestion never pays for ordering.
public actor RecordProjection: SnapshottableProjection {
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
    /// The position of the last event folded in (for snapshots: `applied` moves after `apply`).
    private var statePosition: UInt64 = 0

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
        if let last = events.last { statePosition = max(statePosition, last.position) }
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

    // MARK: - Snapshots

    /// The stamp of this projection's snapshots: the encodings and the mapping.
    public nonisolated var snapshotStamp: String {
        let mappingText = Array(mapping.canonicalText.utf8)
        let fingerprint = String(CRC32C.checksum(mappingText), radix: 16)
        return "records/\(Self.snapshotFormat)/state\(RecordState.binaryFormat)/\(recordType.rawValue)/mapping-\(fingerprint)-\(mappingText.count)"
    }

    /// The version of the snapshot layout below.
    static let snapshotFormat = 1

    /// Every record: `varuint count`, then per record `string id`, the state, `u8 hasView`, and
    /// with a view `varuint version, varuint position, varint updatedAt, u8 deleted`, the fields
    /// (binary JSON object); then `varuint undecodable`.
    public func snapshot() -> ProjectionSnapshot {
        let records = self.records
        let undecodable = self.undecodable
        return ProjectionSnapshot(position: statePosition) { Self.encode(records, undecodable: undecodable) }
    }

    private static func encode(_ records: [String: Entry], undecodable: Int) -> [UInt8] {
        var writer = ByteWriter(capacity: records.count * 512)
        writer.writeVarUInt(UInt64(records.count))
        for (id, entry) in records {
            writer.writeString(id)
            entry.state.encodeBinary(into: &writer)
            if let view = entry.view {
                writer.writeUInt8(1)
                writer.writeVarUInt(view.version)
                writer.writeVarUInt(view.position)
                writer.writeVarInt(view.updatedAt.millisecondsSinceEpoch)
                writer.writeUInt8(view.deleted ? 1 : 0)
                JSONValue.object(view.fields).encodeBinary(into: &writer)
            } else {
                writer.writeUInt8(0)
            }
        }
        writer.writeVarUInt(UInt64(undecodable))
        return writer.bytes
    }

    public func restore(from bytes: [UInt8], position: UInt64) throws {
        var reader = ByteReader(bytes)
        let count = Int(try reader.readVarUInt())
        guard count <= reader.remainingCount else { throw SnapshotFormatError("the snapshot claims \(count) records") }
        var restored: [String: Entry] = [:]
        restored.reserveCapacity(count)
        for _ in 0..<count {
            let id = try reader.readString()
            let state = try RecordState(decodingBinary: &reader)
            var view: RecordView?
            if try reader.readUInt8() == 1 {
                let version = try reader.readVarUInt()
                let viewPosition = try reader.readVarUInt()
                let updatedAt = Timestamp(millisecondsSinceEpoch: try reader.readVarInt())
                let deleted = try reader.readUInt8() == 1
                guard case .object(let fields) = try JSONValue.decodeBinary(from: &reader) else {
                    throw SnapshotFormatError("the view of \(id) has no field object")
                }
                view = RecordView(
                    id: id, recordType: recordType, version: version, deleted: deleted,
                    position: viewPosition, updatedAt: updatedAt, fields: fields
                )
            }
            restored[id] = Entry(state: state, view: view)
        }
        let undecodableEvents = Int(try reader.readVarUInt())
        guard reader.isAtEnd else { throw SnapshotFormatError("the snapshot has bytes after its records") }
        records = restored
        sortedIDs = restored.keys.sorted()
        newIDs = []
        references = [:]
        for (id, entry) in restored where entry.view != nil {
            updateReferences(id: id, from: nil, to: entry.view)
        }
        undecodable = undecodableEvents
        statePosition = position
        applied.advance(to: position)
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
