import EventSourcing
import JSON

/// The read model of one record type: every record's state, kept current from the log in a
/// `ProjectionStore`, and shown through the field mapping when read.
///
/// It folds each record's events with the aggregate's own `evolve`, so views converge exactly as
/// the aggregates do. The state lives in the store, not in the actor: with the LMDB store the
/// read model costs page cache, not heap, however many records there are, and a restart resumes
/// from the store's checkpoint without replaying or loading anything. (While catching up, at
/// start-up or in a rebuild, it is let hold the records it touches in memory, up to
/// `heldLimit` of them, and store each once for all its events.) The mapping is applied when a
/// view is read, so the store holds only what the events said.
///
/// The store holds, in key order (see `RecordKeys`), every record by id and an index of
/// reference fields (field, target id, record id), so `clientId=…` filters and client
/// summaries cost the records that match rather than every record of the type.
public actor RecordProjection: Projection {
    public nonisolated let name: String
    public nonisolated let applied = PositionWatch()
    /// The record type's stream category: the runner hands this projection its events only.
    public nonisolated let categories: Set<String>?
    /// The record type this projection serves.
    public nonisolated let recordType: RecordType
    /// The mapping this projection's views follow.
    public nonisolated let mapping: EntityMapping
    private let store: any ProjectionStore
    /// The reference fields, whose values are indexed.
    private let referenceFields: [FieldMapping]

    private var recordCount: Int
    private var undecodable: Int
    /// The position of the stored checkpoint.
    private var storedPosition: UInt64

    /// How far the stored checkpoint may lag behind `applied` when only other record types'
    /// events arrive: a restart re-reads at most this many positions for nothing.
    static let checkpointLag: UInt64 = 100_000

    /// A projection of `mapping.recordType` records kept in memory.
    public init(mapping: EntityMapping) {
        self.init(mapping: mapping, store: InMemoryProjectionStore(), checkpoint: ProjectionCheckpoint(position: 0))
    }

    /// A projection of `mapping.recordType` records kept in `store`, resuming from its checkpoint.
    /// The store must have been opened with this projection's `stateStamp`.
    public init(mapping: EntityMapping, store: any ProjectionStore) throws {
        self.init(mapping: mapping, store: store, checkpoint: try store.checkpoint())
    }

    /// A projection like `init(mapping:store:)` that holds back at most `heldLimit` records.
    init(mapping: EntityMapping, store: any ProjectionStore, heldLimit: Int) throws {
        self.init(mapping: mapping, store: store, checkpoint: try store.checkpoint(), heldLimit: heldLimit)
    }

    private init(mapping: EntityMapping, store: any ProjectionStore, checkpoint: ProjectionCheckpoint, heldLimit: Int = defaultHeldLimit) {
        self.heldLimit = heldLimit
        self.recordType = mapping.recordType
        self.name = mapping.recordType.rawValue
        self.categories = [mapping.recordType.rawValue]
        self.mapping = mapping
        self.store = store
        self.referenceFields = mapping.fields.filter { field in
            if case .reference = field.type { return true }
            return false
        }
        var reader = ByteReader(checkpoint.metadata)
        recordCount = Int(clamping: (try? reader.readVarUInt()) ?? 0)
        undecodable = Int(clamping: (try? reader.readVarUInt()) ?? 0)
        storedPosition = checkpoint.position
        visible = checkpoint.position
        applied.advance(to: checkpoint.position)
    }

    /// What the stored state depends on: its encodings, the record type and the mapping (whose
    /// reference fields are indexed). State stored under another stamp is rebuilt, not misread.
    public static func stateStamp(for mapping: EntityMapping) -> String {
        let mappingText = Array(mapping.canonicalText.utf8)
        let fingerprint = String(CRC32C.checksum(mappingText), radix: 16)
        return "records/\(StoredRecord.format)/state\(RecordState.binaryFormat)/\(mapping.recordType.rawValue)/mapping-\(fingerprint)-\(mappingText.count)"
    }

    // MARK: - Applying events

    /// A record folded in memory and not yet stored, with its reference values as stored.
    private struct HeldRecord {
        let id: String
        var record = StoredRecord()
        var referencesBefore: [String?] = []
        /// Whether any event was folded in (all of a record's events may be undecodable).
        var folded = false
    }

    /// The records folded since the last commit: each is read from the store once, folded
    /// through all its events, and written once when they are stored. `heldSlots` finds a
    /// record's place in `held` (an array, so a record folds in place).
    private var held: [HeldRecord] = []
    private var heldSlots: [String: Int] = [:]
    /// Undecodable events since the last commit.
    private var heldUndecodable = 0
    /// The position queries stand at: every event of this type through it is stored (the
    /// stored checkpoint may lag behind it, see `checkpointLag`).
    private var visible: UInt64

    /// The most records held back while deferring (see `apply(_:through:deferring:)`); past it
    /// they are stored. A full replay holds each record type's records from one store to the
    /// next: with 6 record types, at most about 400,000 records in memory (a few hundred
    /// megabytes), written in key order.
    static let defaultHeldLimit = 65_536
    /// The most records a projection built by a rebuild holds back (`ReadModels.rebuildProjections`):
    /// the server serves meanwhile, and storing 8,192 records holds a thread of the shared pool
    /// for about 60 ms.
    public static let rebuildHeldLimit = 8192
    private let heldLimit: Int

    /// Folds `events` into the stored records and commits them with the new checkpoint. Throws
    /// when the store fails (a full disk); the store is then unchanged and the events can be
    /// applied again.
    public func apply(_ events: [RecordedEvent], through end: UInt64) throws {
        _ = try apply(events, through: end, deferring: false)
    }

    /// Folds `events` into the records they touch; stores them (with everything held back
    /// before) unless `deferring`, when the records stay in memory until a call without it or
    /// until `heldLimit` records are held. A full replay then reads, renders and writes each
    /// record once per store instead of once per event: about a quarter less CPU. Returns the
    /// position queries stand at.
    public func apply(_ events: [RecordedEvent], through end: UInt64, deferring: Bool) throws -> UInt64 {
        do {
            try hold(events)
            if deferring, held.count < heldLimit {
                if held.isEmpty, heldUndecodable == 0 { visible = end }
                return visible
            }
            try storeHeld(through: end)
            return end
        } catch {
            // Unchanged: the store has what it had, and the events are handed again.
            dropHeld(keepingCapacity: false)
            throw error
        }
    }

    /// Folds `events` into `held`, reading the records not held yet from the store.
    ///
    /// Two passes over `events`: the first finds each event's record (reading those not held
    /// yet in one go), the second decodes each event and folds it at once, so no decoded event
    /// is kept or copied.
    private func hold(_ events: [RecordedEvent]) throws {
        let category = recordType.rawValue
        // Each event's record slot (-1 for another type's event), and the slots to read from the
        // store, in order of first appearance.
        var slots = [Int](repeating: -1, count: events.count)
        var missing: [Int] = []
        for index in events.indices where events[index].stream.category == category {
            let id = events[index].stream.id
            if let known = heldSlots[id] {
                slots[index] = known
            } else {
                slots[index] = held.count
                heldSlots[id] = held.count
                missing.append(held.count)
                held.append(HeldRecord(id: id))
            }
        }
        if !missing.isEmpty {
            let stored = try store.values(forKeys: missing.map { RecordKeys.record(held[$0].id) })
            for index in missing.indices where stored[index] != nil {
                let slot = missing[index]
                held[slot].record = try StoredRecord(decoding: stored[index]!, id: held[slot].id)
                held[slot].referencesBefore = references(of: held[slot].record)
            }
        }
        for index in events.indices where slots[index] >= 0 {
            guard let event = try? RecordEvent(decoding: events[index], as: recordType, forFolding: true) else {
                heldUndecodable += 1
                continue
            }
            let at = EventPosition(position: events[index].position, version: events[index].version, recordedAt: events[index].recordedAt)
            held[slots[index]].record.apply(event, at: at)
            held[slots[index]].folded = true
        }
    }

    /// Writes every held record (its state and its view rendered anew), the changes to the
    /// reference index and the checkpoint `end` in one commit, then forgets them.
    private func storeHeld(through end: UInt64) throws {
        guard !held.isEmpty || heldUndecodable > 0 || end >= storedPosition &+ Self.checkpointLag else {
            visible = end
            return
        }
        var added = 0
        var changes = ProjectionChanges(checkpoint: ProjectionCheckpoint(position: end))
        // In key order: neighbouring records share B-tree pages, so a large store writes each
        // page once.
        held.sort { $0.id < $1.id }
        for entry in held where entry.folded {
            let id = entry.id
            let record = entry.record
            if !record.wasStored { added += 1 }
            changes.put(record.encoded(viewJSON: view(of: record, id: id)?.jsonBytes() ?? []), forKey: RecordKeys.record(id))
            let before = entry.referencesBefore
            let after = references(of: record)
            for (index, field) in referenceFields.enumerated() {
                let old = index < before.count ? before[index] : nil
                let new = index < after.count ? after[index] : nil
                // Compared as bytes: the index is byte-ordered, and String equality is not.
                guard !Self.sameBytes(old, new) else { continue }
                // Keys too long to store (a very long record id) are left out of the index.
                if let old, let key = RecordKeys.reference(field: field.name, target: old, id: id) { changes.remove(key) }
                if let new, let key = RecordKeys.reference(field: field.name, target: new, id: id) { changes.put([], forKey: key) }
            }
        }
        changes.checkpoint.metadata = Self.metadata(count: recordCount + added, undecodable: undecodable + heldUndecodable)
        try store.commit(changes)
        recordCount += added
        undecodable += heldUndecodable
        storedPosition = end
        visible = end
        // A live apply holds a few records: keep the tables. A catch-up's large ones are freed.
        dropHeld(keepingCapacity: held.count <= 4096)
    }

    private func dropHeld(keepingCapacity: Bool) {
        held.removeAll(keepingCapacity: keepingCapacity)
        heldSlots.removeAll(keepingCapacity: keepingCapacity)
        heldUndecodable = 0
    }

    /// The values of the reference fields (in `referenceFields` order) of a record with content;
    /// empty for one known only from a gap event, or not at all. A value that is no id (too long,
    /// or holding a zero byte) is not indexed.
    private func references(of record: StoredRecord) -> [String?] {
        guard record.state.exists else { return [] }
        return referenceFields.map { field in
            guard let target = (try? field.value(in: record.state).get())?.stringValue,
                RecordKeys.isIndexable(target)
            else { return nil }
            return target
        }
    }

    /// Whether two optional texts are the same bytes (both absent counts as the same).
    private static func sameBytes(_ old: String?, _ new: String?) -> Bool {
        switch (old, new) {
        case (nil, nil): true
        case (let old?, let new?): old.utf8.elementsEqual(new.utf8)
        default: false
        }
    }

    private static func metadata(count: Int, undecodable: Int) -> [UInt8] {
        var writer = ByteWriter(capacity: 8)
        writer.writeVarUInt(UInt64(count))
        writer.writeVarUInt(UInt64(undecodable))
        return writer.bytes
    }

    // MARK: - Queries

    /// The view of record `id`, or `nil` when it has no events with content.
    public func view(id: String) throws -> RecordView? {
        guard let bytes = try store.values(forKeys: [RecordKeys.record(id)])[0] else { return nil }
        return try view(of: StoredRecord(decoding: bytes, id: id), id: id)
    }

    /// The JSON of record `id`'s view (as ``RecordView/json`` renders it), or `nil` when it has no
    /// events with content. Read straight from the store, outside the actor: the fast path of
    /// `GET /v1/{aggregate}/{id}`, which needs neither the state nor the mapping. It sees the
    /// last commit, so everything `applied` has reached.
    public nonisolated func viewJSON(id: String) throws -> [UInt8]? {
        guard let bytes = try store.values(forKeys: [RecordKeys.record(id)])[0] else { return nil }
        return try StoredRecord.viewJSON(in: bytes, id: id)
    }

    /// Record `id`'s version and its view's JSON, read straight from the store like `viewJSON`;
    /// `nil` when it has no events with content.
    public nonisolated func versionedViewJSON(id: String) throws -> (version: UInt64, json: [UInt8])? {
        guard let bytes = try store.values(forKeys: [RecordKeys.record(id)])[0] else { return nil }
        return try StoredRecord.versionedViewJSON(in: bytes, id: id)
    }

    /// The records whose reference field `field` holds `targetID`, in id order.
    /// Only ids are indexed: a `targetID` that is no id (see `RecordKeys.isIndexable`) has none.
    public func records(referencing targetID: String, through field: String, includeDeleted: Bool = false) throws -> [RecordView] {
        guard RecordKeys.isIndexable(targetID) else { return [] }
        let ids = try referencingIDs(field: field, target: targetID, after: nil, limit: nil)
        return try views(of: ids).filter { includeDeleted || !$0.deleted }
    }

    /// The number of records known (deleted ones and ones known only from a gap event included).
    public var count: Int { recordCount }

    /// Events of this type that could not be decoded (a sign of a bug or corruption).
    public var undecodableEvents: Int { undecodable }

    /// The most records one list request examines. Past it the page ends early, possibly empty,
    /// with a cursor to go on from: one request never scans the whole of a large read model (or
    /// pins one LMDB snapshot for that long) to find few matches.
    static let scanBudget = 10_000

    /// A page of records matching `query`, in id order. `next` is `nil` on the last page; a page
    /// may hold fewer than `limit` records (even none) and still have a `next`.
    ///
    /// A filter on a reference field (`clientId=…`) starts from the reference index, so it costs
    /// the records that match; other filters look at the records after the cursor, checking only
    /// the filtered fields, until the page is full or the scan budget is spent.
    public func list(_ query: RecordQuery) throws -> RecordPage {
        let limit = max(1, query.limit)
        let filters = query.filters.map { (field: mapping.field(named: $0.key), expected: $0.value) }
        var items: [RecordView] = []
        var examined = 0
        var lastExamined: String?
        var next: String?
        // Looks at one candidate; false once the page is decided.
        func visit(_ id: String, _ record: StoredRecord) -> Bool {
            if matches(record, filters: filters, includeDeleted: query.includeDeleted), let view = view(of: record, id: id) {
                if items.count == limit {
                    next = items.last?.id
                    return false
                }
                items.append(view)
            }
            examined += 1
            lastExamined = id
            if examined >= Self.scanBudget {
                next = lastExamined
                return false
            }
            return true
        }
        if let (field, target) = query.filters.first(where: { filter in referenceFields.contains { $0.name == filter.key } }),
            RecordKeys.isIndexable(target)
        {
            var after = query.after
            let pageSize = 256
            paging: while true {
                let ids = try referencingIDs(field: field, target: target, after: after, limit: pageSize)
                for (id, bytes) in zip(ids, try store.values(forKeys: ids.map(RecordKeys.record))) {
                    guard let bytes else { continue }
                    if !visit(id, try StoredRecord(decoding: bytes, id: id)) { break paging }
                }
                guard ids.count == pageSize else { break }
                after = ids.last
            }
        } else {
            let start = query.after.map { RecordKeys.record($0) + [0] } ?? RecordKeys.recordPrefix
            try store.scan(from: start) { key, value in
                guard let id = RecordKeys.recordID(key) else { return false }
                return visit(id, try StoredRecord(decoding: value, id: id))
            }
        }
        return RecordPage(items: items, next: next)
    }

    /// Whether `record` has content, is shown (not deleted, unless asked), and its filtered
    /// domain fields hold the expected texts; only those fields are mapped.
    private func matches(_ record: StoredRecord, filters: [(field: FieldMapping?, expected: String)], includeDeleted: Bool) -> Bool {
        guard record.state.exists else { return false }
        if record.state.deleted, !includeDeleted { return false }
        for filter in filters {
            guard let field = filter.field else { return false }
            let value = (try? field.value(in: record.state).get()) ?? .null
            guard value.scalarText == filter.expected else { return false }
        }
        return true
    }

    /// The ids indexed under `field` = `target`, after `after`, in id order, at most `limit`.
    private func referencingIDs(field: String, target: String, after: String?, limit: Int?) throws -> [String] {
        let prefix = RecordKeys.referencePrefix(field: field, target: target)
        var ids: [String] = []
        try store.scan(from: after.map { prefix + Array($0.utf8) + [0] } ?? prefix) { key, _ in
            guard key.starts(with: prefix) else { return false }
            ids.append(String(decoding: key[prefix.count...], as: UTF8.self))
            return limit.map { ids.count < $0 } ?? true
        }
        return ids
    }

    private func views(of ids: [String]) throws -> [RecordView] {
        let values = try store.values(forKeys: ids.map(RecordKeys.record))
        return try zip(ids, values).compactMap { id, bytes in
            try bytes.flatMap { try view(of: StoredRecord(decoding: $0, id: id), id: id) }
        }
    }

    private func view(of record: StoredRecord, id: String) -> RecordView? {
        record.view(id: id, mapping: mapping)
    }
}
