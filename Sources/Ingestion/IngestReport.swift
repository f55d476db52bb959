/// What happened to each record a CDC request touched.
public struct IngestReport: Sendable, Hashable {
    /// The journal position of the last event the request made durable (or the log's last
    /// position when it wrote nothing), for read-your-writes.
    public var position: UInt64
    /// One result per record affected, in request order.
    public var results: [IngestResult]

    /// A report.
    public init(position: UInt64, results: [IngestResult]) {
        self.position = position
        self.results = results
    }
}

/// The outcome of one change for one record.
public struct IngestResult: Sendable, Hashable {
    /// The index of the change in the request (0 for a single change).
    public var index: Int
    /// The Salesforce object, e.g. `Account`.
    public var entity: String
    /// The record (18-character id); `nil` for entity-wide outcomes.
    public var recordID: String?
    /// The record type, when the entity is mapped.
    public var aggregate: String?
    /// What happened.
    public var outcome: IngestOutcome
    /// The record's version afterwards, when it was applied.
    public var version: UInt64?

    /// A result.
    public init(index: Int, entity: String, recordID: String?, aggregate: String?, outcome: IngestOutcome, version: UInt64?) {
        self.index = index
        self.entity = entity
        self.recordID = recordID
        self.aggregate = aggregate
        self.outcome = outcome
        self.version = version
    }
}

/// The outcomes API.md names for `POST /v1/cdc`.
public enum IngestOutcome: String, Sendable, Hashable {
    /// Journaled.
    case applied
    /// Already journaled earlier; nothing written.
    case duplicate
    /// The entity is not mapped; nothing written.
    case ignored
    /// A gap event: the record is marked for a re-read.
    case gapPending = "gap-pending"
    /// An overflow or wildcard event: the entity is scheduled for a full re-sync.
    case resyncScheduled = "resync-scheduled"
}

/// A change in a request that cannot be accepted; the whole request is refused.
public struct IngestItemError: Error, Sendable, Hashable {
    /// The index of the item in the request.
    public var index: Int
    /// The field at fault, when one is (e.g. `ChangeEventHeader.changeType`).
    public var field: String?
    /// What is wrong, for a person.
    public var message: String

    /// An item error.
    public init(index: Int, field: String?, message: String) {
        self.index = index
        self.field = field
        self.message = message
    }
}

/// A request with invalid items: every problem, by item index. Nothing was written.
public struct IngestValidationError: Error, Sendable, Hashable {
    /// The problems, in item order.
    public var errors: [IngestItemError]

    /// A validation failure.
    public init(errors: [IngestItemError]) {
        self.errors = errors
    }
}
