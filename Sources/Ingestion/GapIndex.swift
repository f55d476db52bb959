import CRM
import EventSourcing
import JSON

/// Records waiting for a re-read from Salesforce, and entities waiting for a full re-sync: what
/// `GET /v1/gaps` lists.
///
/// The marks are journaled facts (a `…GapReported` event, an event whose `rereadReason` says a
/// diff or a nulled-field list could not be applied, an `EntityResyncRequested` event), so this
/// index is a projection and survives restarts. A re-read (`source: gap-fill`) clears a record's
/// mark.
public actor GapIndex: SnapshottableProjection {
    /// A record waiting for a re-read.
    public struct RecordGap: Sendable, Hashable {
        /// The record's stream.
        public var stream: StreamName
        /// The Salesforce object.
        public var entity: String
        /// The commit time (epoch ms) of the change that raised the latest mark.
        public var commitTimestamp: Int64
        /// Why the record must be read again.
        public var reason: String
    }

    /// An entity waiting for a full re-sync.
    public struct EntityResync: Sendable, Hashable {
        /// The Salesforce object, e.g. `Account`.
        public var entity: String
        /// Why: `GAP_OVERFLOW` or a wildcard record id.
        public var reason: String
        /// When the change that asked for it was committed (epoch ms).
        public var commitTimestamp: Int64?
    }

    public nonisolated let name = "gaps"
    public nonisolated let applied = PositionWatch()

    private var records: [StreamName: RecordGap] = [:] {
        didSet { sortedStreams = nil }
    }
    /// The streams of `records` in order, for paging; built on the first page read after a change.
    private var sortedStreams: [StreamName]?
    private var entities: [String: EntityResync] = [:]
    private var statePosition: UInt64 = 0

    /// An empty index.
    public init() {}

    public func apply(_ events: [RecordedEvent], through end: UInt64) {
        statePosition = max(statePosition, end)
        // By index, reading only the parts it needs: nearly every event is a record's change that
        // leaves the index alone, and copying each one out of the page (a retain and a release;
        // one for each of its parts before events were boxed) cost more than looking at it.
        for index in events.indices {
            if events[index].stream.category == EntityResyncRequest.category {
                applyResync(events[index])
                continue
            }
            guard RecordType(rawValue: events[index].stream.category) != nil else { continue }
            if events[index].metadata["source"]?.stringValue == ChangeSource.gapFill.rawValue {
                // As the record's own state does: a re-read older than the gap it answers (a newer
                // gap came after the read) leaves the mark.
                let stream = events[index].stream
                let readAt = events[index].metadata["commitTimestamp"]?.int64Value ?? .max
                if let gap = records[stream], gap.reason.hasPrefix("GAP_"), readAt < gap.commitTimestamp { continue }
                records[stream] = nil
            } else if let reason = events[index].data["rereadReason"]?.stringValue {
                let event = events[index]
                let commitTimestamp = event.metadata["commitTimestamp"]?.int64Value ?? event.recordedAt.millisecondsSinceEpoch
                if let existing = records[event.stream], existing.commitTimestamp > commitTimestamp { continue }
                records[event.stream] = RecordGap(
                    stream: event.stream,
                    entity: event.metadata["entity"]?.stringValue ?? "",
                    commitTimestamp: commitTimestamp,
                    reason: reason
                )
            }
        }
    }

    /// Folds an event of an entity re-sync request's stream: a request, or the re-sync that
    /// answered it.
    private func applyResync(_ event: RecordedEvent) {
        if event.type == EntityResyncRequest.completedEventType {
            // A re-sync that began after the request was made answers it.
            guard let entity = event.data["entity"]?.stringValue, let began = event.data["began"]?.int64Value,
                let pending = entities[entity], (pending.commitTimestamp ?? .min) <= began
            else { return }
            entities[entity] = nil
            return
        }
        guard event.type == EntityResyncRequest.eventType, let request = EntityResyncRequest(event) else { return }
        // The latest request is the one a re-sync must begin after.
        if let pending = entities[request.entity], (pending.commitTimestamp ?? .min) > (request.commitTimestamp ?? .min) { return }
        entities[request.entity] = EntityResync(
            entity: request.entity,
            reason: request.reason,
            commitTimestamp: request.commitTimestamp
        )
    }

    /// Records waiting for a re-read, by stream name.
    public var pendingRecords: [RecordGap] {
        pendingRecords(after: nil, limit: .max).records
    }

    /// A page of the records waiting for a re-read, by stream name: at most `limit` of those
    /// after `after`, and whether more follow.
    public func pendingRecords(after: StreamName?, limit: Int) -> (records: [RecordGap], more: Bool) {
        let sorted = sortedStreams ?? records.keys.sorted()
        sortedStreams = sorted
        // The first stream after `after`, by binary search.
        var start = 0
        if let after {
            var end = sorted.count
            while start < end {
                let middle = start + (end - start) / 2
                if after < sorted[middle] { end = middle } else { start = middle + 1 }
            }
        }
        let end = start + min(max(0, limit), sorted.count - start)
        return (sorted[start..<end].compactMap { records[$0] }, end < sorted.count)
    }

    /// How many records wait for a re-read and how many entities for a re-sync (for monitoring:
    /// no sorting, no copying).
    public var pendingCounts: (records: Int, entities: Int) {
        (records.count, entities.count)
    }

    /// Entities waiting for a re-sync, by name.
    public var pendingResyncs: [EntityResync] {
        entities.values.sorted { $0.entity < $1.entity }
    }

    // MARK: - Snapshots

    public nonisolated var snapshotStamp: String { "gaps/1" }

    /// `varuint count`, per record gap `string stream, string entity, varint commitTimestamp,
    /// string reason`; `varuint count`, per entity `string entity, string reason, u8 hasTime,
    /// [varint commitTimestamp]`.
    public func snapshot() -> ProjectionSnapshot {
        let records = self.records
        let entities = self.entities
        return ProjectionSnapshot(position: statePosition) { Self.encode(records, entities) }
    }

    private static func encode(_ records: [StreamName: RecordGap], _ entities: [String: EntityResync]) -> [UInt8] {
        var writer = ByteWriter(capacity: 64 * (records.count + entities.count) + 16)
        writer.writeVarUInt(UInt64(records.count))
        for gap in records.values {
            writer.writeString(gap.stream.description)
            writer.writeString(gap.entity)
            writer.writeVarInt(gap.commitTimestamp)
            writer.writeString(gap.reason)
        }
        writer.writeVarUInt(UInt64(entities.count))
        for resync in entities.values {
            writer.writeString(resync.entity)
            writer.writeString(resync.reason)
            writer.writeUInt8(resync.commitTimestamp == nil ? 0 : 1)
            if let time = resync.commitTimestamp { writer.writeVarInt(time) }
        }
        return writer.bytes
    }

    public func restore(from bytes: [UInt8], position: UInt64) throws {
        var reader = ByteReader(bytes)
        var restoredRecords: [StreamName: RecordGap] = [:]
        for _ in 0..<min(try reader.readVarUInt(), UInt64(bytes.count)) {
            let name = try reader.readString()
            guard let stream = StreamName(name) else { throw SnapshotFormatError("\(name) is not a stream name") }
            restoredRecords[stream] = RecordGap(
                stream: stream, entity: try reader.readString(), commitTimestamp: try reader.readVarInt(), reason: try reader.readString()
            )
        }
        var restoredEntities: [String: EntityResync] = [:]
        for _ in 0..<min(try reader.readVarUInt(), UInt64(bytes.count)) {
            let entity = try reader.readString()
            let reason = try reader.readString()
            let time: Int64? = try reader.readUInt8() == 1 ? try reader.readVarInt() : nil
            restoredEntities[entity] = EntityResync(entity: entity, reason: reason, commitTimestamp: time)
        }
        guard reader.isAtEnd else { throw SnapshotFormatError("the snapshot has bytes after its entries") }
        records = restoredRecords
        entities = restoredEntities
        statePosition = position
        applied.advance(to: position)
    }

    /// Whether a pending re-sync of `entity` already answers a request committed at
    /// `commitTimestamp`: one requested at that time or later is pending.
    public func resyncCovers(_ entity: String, commitTimestamp: Int64?) -> Bool {
        guard let pending = entities[entity] else { return false }
        return (pending.commitTimestamp ?? .max) >= (commitTimestamp ?? .min)
    }
}

/// The journaled request to re-read every record of one Salesforce object, raised by a
/// `GAP_OVERFLOW` event or a wildcard record id. It lives in stream `resyncs/<entity>`.
public struct EntityResyncRequest: Sendable, Hashable {
    /// The stream category of resync requests.
    public static let category = "resyncs"
    /// The stored event type.
    public static let eventType = "EntityResyncRequested"
    /// The event type of a finished re-sync, data `{"entity", "began"}` (epoch ms): it clears
    /// requests committed before the re-sync began.
    public static let completedEventType = "EntityResyncCompleted"

    /// The event saying a re-sync of `entity` that began at `began` has finished.
    public static func completion(entity: String, began: Timestamp) -> StreamWrite {
        StreamWrite(
            stream: StreamName(category: category, id: entity),
            expectedVersion: .any,
            events: [NewEvent(type: completedEventType, data: ["entity": .string(entity), "began": .number(JSONNumber(began.millisecondsSinceEpoch))])]
        )
    }

    /// The Salesforce object, e.g. `Account`.
    public var entity: String
    /// Why: the change type or the wildcard id that asked for it.
    public var reason: String
    /// The Salesforce facts of the change that asked for it.
    public var facts: ChangeFacts

    /// When the change that asked for it was committed.
    public var commitTimestamp: Int64? { facts.commitTimestamp }

    /// A request.
    public init(entity: String, reason: String, facts: ChangeFacts) {
        self.entity = entity
        self.reason = reason
        self.facts = facts
    }

    /// The request's stream.
    public var stream: StreamName { StreamName(category: Self.category, id: entity) }

    /// The stored form.
    public var event: NewEvent {
        NewEvent(type: Self.eventType, metadata: facts.metadata, data: ["entity": .string(entity), "reason": .string(reason)])
    }

    /// A request back from its stored form.
    init?(_ recorded: RecordedEvent) {
        guard let entity = recorded.data["entity"]?.stringValue, let reason = recorded.data["reason"]?.stringValue,
            let facts = ChangeFacts(metadata: recorded.metadata)
        else { return nil }
        self.init(entity: entity, reason: reason, facts: facts)
    }
}
