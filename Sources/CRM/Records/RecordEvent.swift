import EventSourcing
import JSON

/// What happened to a record: created, updated, deleted or undeleted, or Salesforce reported a
/// gap (it could not send the change, so the record must be read again).
public enum RecordEventKind: String, Sendable, Hashable, CaseIterable {
    case created = "Created"
    case updated = "Updated"
    case deleted = "Deleted"
    case undeleted = "Undeleted"
    case gapReported = "GapReported"

    init(_ operation: RecordOperation, recordExists: Bool) {
        switch operation {
        case .create: self = .created
        case .update: self = .updated
        case .delete: self = .deleted
        case .undelete: self = .undeleted
        case .upsert: self = recordExists ? .updated : .created
        case .reportGap: self = .gapReported
        }
    }
}

/// A domain event of any record type (`ClientCreated`, `DealUpdated`, …).
///
/// It keeps the source's facts: the Salesforce fields as received and the header facts. The field
/// mapping is applied only when state and views are built, so a mapping change needs no data
/// migration.
public struct RecordEvent: Sendable, Hashable {
    /// What happened.
    public var kind: RecordEventKind
    /// The Salesforce data of the change.
    public var body: ChangeBody
    /// Where the change came from and when Salesforce committed it.
    public var facts: ChangeFacts
    /// Why the record must be read again from Salesforce after this event (a gap, nulled fields
    /// that could not be decoded, a large-text diff that did not apply), or `nil`.
    public var rereadReason: String?

    /// An event.
    public init(kind: RecordEventKind, body: ChangeBody, facts: ChangeFacts, rereadReason: String? = nil) {
        self.kind = kind
        self.body = body
        self.facts = facts
        self.rereadReason = rereadReason
    }
}

/// The table of stored event type names: `<Type><Kind>`, e.g. `ClientCreated`. These strings are
/// the stored format; never derive them from Swift type names.
public enum RecordEventTypeName {
    /// The stored name of `kind` for `type`.
    public static func name(_ type: RecordType, _ kind: RecordEventKind) -> String {
        table[row(type)][column(kind)]
    }

    /// The kind a stored name denotes for `type`, or `nil` when it is not one of its names.
    ///
    /// Compares the name with the type's five (every event a read model folds asks): looking it
    /// up in dictionaries keyed by type and name hashed both strings, 0.9% of a full replay's
    /// `perf` samples.
    public static func kind(of name: String, for type: RecordType) -> RecordEventKind? {
        let names = table[row(type)]
        for index in names.indices where names[index] == name {
            return kinds[index]
        }
        return nil
    }

    /// Every kind, in the order of the table's columns.
    private static let kinds = RecordEventKind.allCases

    /// The names by type (rows) and kind (columns), in the order of `allCases`, which `row(_:)`
    /// and `column(_:)` must follow: checked once, when the table is built, so a case added or
    /// moved without them stops the server at its first event instead of writing wrong names.
    private static let table: [[String]] = {
        let types = RecordType.allCases
        precondition(types.indices.allSatisfy { row(types[$0]) == $0 }, "RecordEventTypeName.row(_:) does not follow RecordType.allCases")
        precondition(kinds.indices.allSatisfy { column(kinds[$0]) == $0 }, "RecordEventTypeName.column(_:) does not follow RecordEventKind.allCases")
        return types.map { type in kinds.map { type.eventPrefix + $0.rawValue } }
    }()

    private static func row(_ type: RecordType) -> Int {
        switch type {
        case .clients: 0
        case .platforms: 1
        case .contracts: 2
        case .deals: 3
        case .services: 4
        case .subservices: 5
        }
    }

    private static func column(_ kind: RecordEventKind) -> Int {
        switch kind {
        case .created: 0
        case .updated: 1
        case .deleted: 2
        case .undeleted: 3
        case .gapReported: 4
        }
    }
}

extension RecordEvent {
    /// The stored form: type name, the facts as metadata, the body as data.
    func encoded(as type: RecordType) -> NewEvent {
        var data = JSONObject()
        data.reserveCapacity(4)
        data.appendUnique(key: "fields", value: .object(body.fields))
        if !body.changedFields.isEmpty { data.appendUnique(key: "changedFields", value: .array(body.changedFields.map(JSONValue.string))) }
        if !body.nulledFields.isEmpty { data.appendUnique(key: "nulledFields", value: .array(body.nulledFields.map(JSONValue.string))) }
        if !body.diffFields.isEmpty { data.appendUnique(key: "diffFields", value: .array(body.diffFields.map(JSONValue.string))) }
        if let rereadReason { data.appendUnique(key: "rereadReason", value: .string(rereadReason)) }
        return NewEvent(type: RecordEventTypeName.name(type, kind), metadata: facts.metadata, data: .object(data))
    }

    /// An event back from its stored form. With `forFolding`, its facts hold only what folding
    /// a read model's state reads (see `ChangeFacts.init(foldingMetadata:)`).
    init(decoding recorded: RecordedEvent, as type: RecordType, forFolding: Bool = false) throws(EventDecodingError) {
        guard let kind = RecordEventTypeName.kind(of: recorded.type, for: type) else {
            throw EventDecodingError(position: recorded.position, message: "\(recorded.type) is not an event of \(type.rawValue)")
        }
        guard let facts = forFolding ? ChangeFacts(foldingMetadata: recorded.metadata) : ChangeFacts(metadata: recorded.metadata) else {
            throw EventDecodingError(position: recorded.position, message: "the metadata lacks source or entity")
        }
        guard let fields = recorded.data["fields"]?.objectValue else {
            throw EventDecodingError(position: recorded.position, message: "the data has no fields object")
        }
        func list(_ key: String) -> [String] {
            recorded.data[key]?.arrayValue?.compactMap(\.stringValue) ?? []
        }
        self.init(
            kind: kind,
            body: ChangeBody(
                fields: fields,
                changedFields: list("changedFields"),
                nulledFields: list("nulledFields"),
                diffFields: list("diffFields")
            ),
            facts: facts,
            rereadReason: recorded.data["rereadReason"]?.stringValue
        )
    }
}
