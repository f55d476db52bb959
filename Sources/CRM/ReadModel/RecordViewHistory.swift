import EventSourcing

/// One record's views version by version: folds its events, oldest first, exactly as a
/// `RecordProjection` does, and tells what the record looked like after each.
///
/// For readers that need a record as it was at an event rather than as it is now (the outbox
/// publisher, when the read model has already moved past the event it publishes).
public struct RecordViewHistory {
    /// The mapping the views follow.
    public let mapping: EntityMapping
    private let aggregate: SalesforceRecord
    private var record = StoredRecord()

    /// An empty history of a `mapping.recordType` record.
    public init(mapping: EntityMapping) {
        self.mapping = mapping
        self.aggregate = SalesforceRecord(type: mapping.recordType)
    }

    /// The version of the last event folded in; 0 before any.
    public var version: UInt64 { record.version }

    /// Folds `recorded` (the record's next event) in and returns the record's view after it:
    /// `nil` while the record has no content (known only from a gap event). Throws when the
    /// event does not decode.
    public mutating func apply(_ recorded: RecordedEvent) throws -> RecordView? {
        let event = try aggregate.decode(recorded)
        record.apply(event, at: EventPosition(position: recorded.position, version: recorded.version, recordedAt: recorded.recordedAt))
        return record.view(id: recorded.stream.id, mapping: mapping)
    }
}
