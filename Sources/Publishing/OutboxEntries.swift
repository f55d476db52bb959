import CRM
import EventSourcing
import JSON

/// Turns committed record events into `PutEvents` entries and groups them into calls.
///
/// `Detail` is `{"position", "version", "type", "aggregate", "recordId", "recordedAt", "source",
/// "metadata": {…the event's metadata: CDC header facts…}, "record": {…the record's view after
/// the event, as `GET /v1/{aggregate}/{id}` shows it…}}`. An event whose entry would pass the
/// size limit goes as a reference instead: the same fields with `"record": null` and
/// `"reference": {"reason", "events": "/v1/{aggregate}/{id}/events"}`, for consumers to fetch.
struct OutboxEntries {
    let source: String
    let eventBusName: String
    let maxEntryBytes: Int

    /// An event to publish, with its entry.
    struct Item {
        var event: RecordedEvent
        var entry: PutEventsEntry
        /// Whether the entry is a reference to an event too large to send whole.
        var isReference: Bool
    }

    /// A group of items sent in one call, and the position publishing it completes.
    struct Batch {
        var items: [Item]
        /// Everything up to this position is published once the batch is.
        var through: UInt64
    }

    /// The entry of `event` (a record event) whose view after it is `viewJSON` (`nil` when the
    /// record has no content).
    func item(for event: RecordedEvent, type: RecordType, viewJSON: [UInt8]?) -> Item {
        var header: JSONObject = [
            "position": .number(JSONNumber(event.position)),
            "version": .number(JSONNumber(event.version)),
            "type": .string(event.type),
            "aggregate": .string(type.rawValue),
            "recordId": .string(event.stream.id),
            "recordedAt": .string(event.recordedAt.iso8601),
            "source": event.metadata["source"] ?? .null,
            "metadata": .object(event.metadata),
        ]
        let whole = Self.detail(header, record: viewJSON ?? Array("null".utf8))
        var entry = PutEventsEntry(source: source, detailType: event.type, detail: whole, eventBusName: eventBusName, time: event.recordedAt)
        guard entry.size > maxEntryBytes else { return Item(event: event, entry: entry, isReference: false) }
        header["metadata"] = .object(["source": event.metadata["source"] ?? .null])
        header["reference"] = [
            "reason": .string("the event's entry is \(entry.size) bytes, over EventBridge's limit of \(maxEntryBytes)"),
            "events": .string("/v1/\(type.rawValue)/\(event.stream.id)/events"),
            "record": .string("/v1/\(type.rawValue)/\(event.stream.id)"),
        ]
        entry.detail = Self.detail(header, record: Array("null".utf8))
        return Item(event: event, entry: entry, isReference: true)
    }

    /// `header` with `"record": <record JSON>` added, without re-parsing the record's JSON.
    static func detail(_ header: JSONObject, record: [UInt8]) -> [UInt8] {
        var bytes = JSONValue.object(header).jsonBytes()
        bytes.removeLast()  // the closing brace
        bytes += Array(",\"record\":".utf8)
        bytes += record
        bytes.append(UInt8(ascii: "}"))
        return bytes
    }

    /// `items` (in position order, of a page ending at `pageEnd`) in calls of at most
    /// `maxEntries` entries and `maxBytes` bytes, never two events of one record in a call: a
    /// call's failed entries are sent again before the next call, so each record's events reach
    /// the bus in position order whatever fails.
    static func batches(_ items: [Item], pageEnd: UInt64, maxEntries: Int, maxBytes: Int) -> [Batch] {
        var batches: [Batch] = []
        var current: [Item] = []
        var bytes = 0
        var streams: Set<StreamName> = []
        for item in items {
            if !current.isEmpty,
                current.count == maxEntries || bytes + item.entry.size > maxBytes || streams.contains(item.event.stream)
            {
                batches.append(Batch(items: current, through: item.event.position - 1))
                current = []
                bytes = 0
                streams = []
            }
            current.append(item)
            bytes += item.entry.size
            streams.insert(item.event.stream)
        }
        batches.append(Batch(items: current, through: pageEnd))
        return batches
    }
}
