import EventSourcing

/// The aggregate behind every CRM record type: one Salesforce record, mirrored.
///
/// The six record types share this behaviour and differ only in their type (which names their
/// events); what their fields mean lives in the field mapping, applied by views. `decide` turns a
/// command into the matching event (a CDC change is a fact and is never refused); `evolve` folds
/// events with per-field commit times so that any delivery order converges. A CDC change the
/// record has already recorded (same transaction, sequence number and change type) decides no
/// events: CDC is delivered at least once.
public struct SalesforceRecord: Aggregate {
    /// The record type this aggregate serves.
    public let type: RecordType
    /// Applies large-text diffs; without it a diff cannot be applied and marks the record for a
    /// re-read.
    public let largeText: (any LargeTextPatching)?

    /// The aggregate for records of `type`.
    public init(type: RecordType, largeText: (any LargeTextPatching)? = nil) {
        self.type = type
        self.largeText = largeText
    }

    public var initialState: RecordState { RecordState() }

    public func decide(_ command: RecordCommand, state: RecordState) throws(RecordRejection) -> [RecordEvent] {
        if command.facts.source == .api, command.operation == .delete || command.operation == .undelete, !state.exists {
            throw .recordNotFound
        }
        if let key = ChangeKey(command.facts), state.recordedChanges.contains(key) {
            // A re-delivered change: already recorded, nothing to write.
            return []
        }
        var kind = RecordEventKind(command.operation, recordExists: state.exists)
        if command.operation == .upsert, state.deleted, command.facts.source == .backfill || command.facts.source == .gapFill {
            // Salesforce returned the record as live: read after its undelete, so it is one.
            kind = .undeleted
        }
        var event = RecordEvent(kind: kind, body: command.body, facts: command.facts, rereadReason: command.rereadReason)
        if kind != .deleted, kind != .gapReported {
            resolveLargeTextDiffs(in: &event, state: state)
        }
        if Self.changesNothing(event, in: state) { return [] }
        return [event]
    }

    /// Whether a record read from Salesforce (a backfill or a re-read) would leave `state` as it
    /// is: every field already holds that value from that commit time or a newer one, and the
    /// deletion flag agrees. Such a read is a duplicate and writes nothing, so a backfill over a
    /// mirror that is already current, or a page read again after a restart, adds no events. A
    /// re-read that would clear a mark always writes.
    static func changesNothing(_ event: RecordEvent, in state: RecordState) -> Bool {
        guard event.facts.source == .backfill || event.facts.source == .gapFill, state.exists else { return false }
        var trial = state
        trial.apply(event, at: EventPosition(position: 0, version: 0, recordedAt: state.updatedAt), keepingChangeKeys: false)
        return trial.fields == state.fields && trial.deleted == state.deleted && trial.reread == state.reread
    }

    public func evolve(_ state: inout RecordState, with event: RecordEvent, at position: EventPosition) {
        state.apply(event, at: position)
    }

    public func encode(_ event: RecordEvent) -> NewEvent {
        event.encoded(as: type)
    }

    public func decode(_ event: RecordedEvent) throws(EventDecodingError) -> RecordEvent {
        try RecordEvent(decoding: event, as: type)
    }
}
