import JSON

/// The `ChangeEventHeader` of a Salesforce change event: what changed, where and when.
///
/// Decoded strictly from every transport (CometD, Pub/Sub via Event Relay, AppFlow), it is what
/// ingestion routes on (``entityName``, ``recordSelection()``), de-duplicates on (entity, record,
/// ``transactionKey``, ``sequenceNumber``, ``changeType``) and orders field values by
/// (``commitTimestamp``). ``commitNumber`` is diagnostic only: it is neither unique nor ordered.
public struct ChangeEventHeader: Sendable, Hashable {
    /// The object API name, such as `Account` or `Service__c`.
    public var entityName: String
    /// The record ids as received: 15- or 18-character ids, a wildcard such as `001*`, or the
    /// empty overflow id. Use ``recordSelection()`` for the validated, normalised form.
    public var recordIds: [String]
    /// What happened to the records.
    public var changeType: ChangeType
    /// `com/salesforce/api/<api>/<version>;client=<id>` for API changes; empty otherwise.
    public var changeOrigin: String
    /// The Salesforce transaction; every change of one transaction shares it.
    public var transactionKey: String
    /// The order of this change within its transaction, from 1 (may have holes).
    public var sequenceNumber: Int64
    /// When the transaction committed, in milliseconds since the Unix epoch.
    public var commitTimestamp: Int64
    /// Salesforce's commit number: diagnostic only, not unique, not ordered; absent in some feeds.
    public var commitNumber: Int64?
    /// The id of the user who made the change.
    public var commitUser: String
    /// The fields an UPDATE changed: names (`BillingAddress.Street`), or in Pub/Sub feeds bitmap
    /// entries (see ``ChangedFieldList``). Empty when absent.
    public var changedFields: [String]
    /// The fields set to null, names or bitmap entries as in ``changedFields``. Empty when absent.
    public var nulledFields: [String]
    /// The large text fields sent as a diff, names or bitmap entries. Empty when absent.
    public var diffFields: [String]

    /// A header from its parts.
    public init(
        entityName: String,
        recordIds: [String],
        changeType: ChangeType,
        changeOrigin: String = "",
        transactionKey: String,
        sequenceNumber: Int64,
        commitTimestamp: Int64,
        commitNumber: Int64? = nil,
        commitUser: String,
        changedFields: [String] = [],
        nulledFields: [String] = [],
        diffFields: [String] = []
    ) {
        self.entityName = entityName
        self.recordIds = recordIds
        self.changeType = changeType
        self.changeOrigin = changeOrigin
        self.transactionKey = transactionKey
        self.sequenceNumber = sequenceNumber
        self.commitTimestamp = commitTimestamp
        self.commitNumber = commitNumber
        self.commitUser = commitUser
        self.changedFields = changedFields
        self.nulledFields = nulledFields
        self.diffFields = diffFields
    }

    /// The header decoded from the `ChangeEventHeader` object of a change event.
    ///
    /// `entityName`, `recordIds`, `changeType`, `transactionKey`, `sequenceNumber`,
    /// `commitTimestamp` and `commitUser` are required; `changeOrigin`, `commitNumber` and the three
    /// field lists are optional and may be `null` (Pub/Sub decoders write absent optional values
    /// as `null`). Types are checked strictly — an integer must be written as one, `commitNumber`
    /// included, which is read from its exact text — and unknown keys are ignored. Errors name the
    /// member as `ChangeEventHeader.<key>`.
    public init(json: JSONObject) throws(ChangeEventError) {
        let path = Self.jsonKey
        let entityName = try json.requiredString("entityName", in: path)
        guard !entityName.isEmpty else {
            throw ChangeEventError(field: "\(path).entityName", message: "expected an object API name, found an empty string")
        }
        let rawChangeType = try json.requiredString("changeType", in: path)
        guard let changeType = ChangeType(rawValue: rawChangeType) else {
            let known = ChangeType.allCases.map(\.rawValue).joined(separator: ", ")
            throw ChangeEventError(
                field: "\(path).changeType",
                message: "expected one of \(known), found \(JSONValue.string(rawChangeType).foundDescription)"
            )
        }
        self.init(
            entityName: entityName,
            recordIds: try json.requiredStringArray("recordIds", in: path),
            changeType: changeType,
            changeOrigin: try json.optionalString("changeOrigin", in: path) ?? "",
            transactionKey: try json.requiredString("transactionKey", in: path),
            sequenceNumber: try json.requiredInt64("sequenceNumber", in: path),
            commitTimestamp: try json.requiredInt64("commitTimestamp", in: path),
            commitNumber: try json.optionalInt64("commitNumber", in: path),
            commitUser: try json.requiredString("commitUser", in: path),
            changedFields: try json.optionalStringArray("changedFields", in: path) ?? [],
            nulledFields: try json.optionalStringArray("nulledFields", in: path) ?? [],
            diffFields: try json.optionalStringArray("diffFields", in: path) ?? []
        )
    }

    /// The key under which a change event's body carries its header.
    public static let jsonKey = "ChangeEventHeader"
}
