import JSON

/// The Salesforce data a change carries, exactly as received.
///
/// `fields` holds source field names and values (compound fields nested, as CDC sends them, or
/// flat, as the REST API does). The field lists come from the change event header and say which
/// of those fields changed; they may be Pub/Sub bitmaps (`0x…`) rather than names.
public struct ChangeBody: Sendable, Hashable {
    /// The Salesforce fields as received.
    public var fields: JSONObject
    /// The header's `changedFields` (empty when absent).
    public var changedFields: [String]
    /// The header's `nulledFields` (empty when absent).
    public var nulledFields: [String]
    /// The header's `diffFields` (empty when absent).
    public var diffFields: [String]

    /// A change body.
    public init(fields: JSONObject, changedFields: [String] = [], nulledFields: [String] = [], diffFields: [String] = []) {
        self.fields = fields
        self.changedFields = changedFields
        self.nulledFields = nulledFields
        self.diffFields = diffFields
    }
}

extension ChangeBody {
    /// Whether a field-list entry is a Pub/Sub bitmap (`0x…`, `4-0x…`) rather than a field name:
    /// field names start with a letter, bitmaps with a digit. A byte test, since it runs for every
    /// entry of every change. Ingestion validates that such entries are well-formed bitmaps.
    public static func isBitmapEntry(_ entry: String) -> Bool {
        guard let first = entry.utf8.first else { return false }
        return first >= UInt8(ascii: "0") && first <= UInt8(ascii: "9")
    }
}

/// What a command asks of a record.
public enum RecordOperation: String, Sendable, Hashable, CaseIterable {
    case create, update, delete, undelete
    /// Create the record if it has no events yet, otherwise update it (commands from services).
    case upsert
    /// Record that Salesforce could not send a change (a `GAP_*` event): the record must be read
    /// again, and older changes arriving meanwhile must not win over that re-read.
    case reportGap
}

/// A command for one record: the data of a CDC change, a backfilled record or a service's
/// request, already translated out of its transport.
public struct RecordCommand: Sendable, Hashable {
    /// What to do.
    public var operation: RecordOperation
    /// The Salesforce data.
    public var body: ChangeBody
    /// Where it came from and when Salesforce committed it.
    public var facts: ChangeFacts
    /// Why the record must be read again once this change is recorded, when the sender already
    /// knows (a gap; Pub/Sub nulled fields that could not be decoded).
    public var rereadReason: String?

    /// A command.
    public init(operation: RecordOperation, body: ChangeBody, facts: ChangeFacts, rereadReason: String? = nil) {
        self.operation = operation
        self.body = body
        self.facts = facts
        self.rereadReason = rereadReason
    }
}

/// Why a record refused a command.
public enum RecordRejection: Error, Hashable, Sendable {
    /// A service asked to delete or undelete a record Tributary has never seen.
    case recordNotFound
}
