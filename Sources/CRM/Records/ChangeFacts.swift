import JSON

/// Where a change came from.
public enum ChangeSource: String, Sendable, Hashable, CaseIterable {
    /// A Salesforce Change Data Capture event.
    case cdc
    /// A record read by a backfill from the Salesforce REST API.
    case backfill
    /// A command from another service over HTTP.
    case api
    /// A record re-read after a gap event.
    case gapFill = "gap-fill"
}

/// The facts about a change that every event keeps as metadata: its source and, for CDC, the
/// change event header's identity and timing.
///
/// The facts sit in one shared, immutable box, so copying them is a single retain: commands and
/// events carry them through the registry and the record actors, whose generic code copies them
/// several times per change, and each copy retained eleven strings before. Setting a fact makes
/// a new box: facts are built once and rarely changed.
public struct ChangeFacts: Sendable, Hashable {
    /// The facts themselves.
    @usableFromInline
    struct Values: Sendable, Hashable {
        @usableFromInline var source: ChangeSource
        @usableFromInline var entity: String
        @usableFromInline var changeType: String?
        @usableFromInline var transactionKey: String?
        @usableFromInline var sequenceNumber: Int64?
        @usableFromInline var commitTimestamp: Int64?
        @usableFromInline var commitNumber: Int64?
        @usableFromInline var commitUser: String?
        @usableFromInline var changeOrigin: String?
        @usableFromInline var replayId: String?
        @usableFromInline var schemaId: String?
        @usableFromInline var eventBridgeID: String?
        @usableFromInline var idempotencyKey: String?
        @usableFromInline var backfillJob: String?
        @usableFromInline var requestID: String?
    }

    @usableFromInline
    final class Box: Sendable {
        @usableFromInline let values: Values

        @usableFromInline
        init(_ values: Values) {
            self.values = values
        }
    }

    @usableFromInline var box: Box

    /// Sets one fact in a new box, leaving other copies' facts alone.
    private mutating func setFact<Fact>(_ fact: WritableKeyPath<Values, Fact>, _ value: Fact) {
        var values = box.values
        values[keyPath: fact] = value
        box = Box(values)
    }

    /// Where the change came from.
    public var source: ChangeSource {
        @inlinable get { box.values.source }
        set { setFact(\.source, newValue) }
    }

    /// The Salesforce object name, e.g. `Account`.
    public var entity: String {
        @inlinable get { box.values.entity }
        set { setFact(\.entity, newValue) }
    }

    /// The Salesforce change type (`CREATE`, `UPDATE`, …) when the change came from CDC.
    public var changeType: String? {
        @inlinable get { box.values.changeType }
        set { setFact(\.changeType, newValue) }
    }

    /// The Salesforce transaction the change belongs to.
    public var transactionKey: String? {
        @inlinable get { box.values.transactionKey }
        set { setFact(\.transactionKey, newValue) }
    }

    /// The change's order within its transaction.
    public var sequenceNumber: Int64? {
        @inlinable get { box.values.sequenceNumber }
        set { setFact(\.sequenceNumber, newValue) }
    }

    /// When Salesforce committed the change, epoch milliseconds. Drives convergence: an older
    /// change never overwrites a newer value.
    public var commitTimestamp: Int64? {
        @inlinable get { box.values.commitTimestamp }
        set { setFact(\.commitTimestamp, newValue) }
    }

    /// Salesforce's commit number (diagnostic only: not unique, not ordered).
    public var commitNumber: Int64? {
        @inlinable get { box.values.commitNumber }
        set { setFact(\.commitNumber, newValue) }
    }

    /// The user who made the change.
    public var commitUser: String? {
        @inlinable get { box.values.commitUser }
        set { setFact(\.commitUser, newValue) }
    }

    /// The API client that made the change, when it came through an API.
    public var changeOrigin: String? {
        @inlinable get { box.values.changeOrigin }
        set { setFact(\.changeOrigin, newValue) }
    }

    /// The CometD / Pub/Sub replay id, as received.
    public var replayId: String? {
        @inlinable get { box.values.replayId }
        set { setFact(\.replayId, newValue) }
    }

    /// The event schema id, when known.
    public var schemaId: String? {
        @inlinable get { box.values.schemaId }
        set { setFact(\.schemaId, newValue) }
    }

    /// The EventBridge event id, when the change came through EventBridge.
    public var eventBridgeID: String? {
        @inlinable get { box.values.eventBridgeID }
        set { setFact(\.eventBridgeID, newValue) }
    }

    /// The `Idempotency-Key` of the service request that made the change.
    public var idempotencyKey: String? {
        @inlinable get { box.values.idempotencyKey }
        set { setFact(\.idempotencyKey, newValue) }
    }

    /// The backfill (or re-sync) job that read the record, for a change with `source: backfill`.
    public var backfillJob: String? {
        @inlinable get { box.values.backfillJob }
        set { setFact(\.backfillJob, newValue) }
    }

    /// The HTTP request that made the change (its `X-Request-Id`, or the one the server gave it):
    /// correlates the event with the request's log lines and the caller's own records.
    public var requestID: String? {
        @inlinable get { box.values.requestID }
        set { setFact(\.requestID, newValue) }
    }

    /// Facts about a change.
    public init(
        source: ChangeSource,
        entity: String,
        changeType: String? = nil,
        transactionKey: String? = nil,
        sequenceNumber: Int64? = nil,
        commitTimestamp: Int64? = nil,
        commitNumber: Int64? = nil,
        commitUser: String? = nil,
        changeOrigin: String? = nil,
        replayId: String? = nil,
        schemaId: String? = nil,
        eventBridgeID: String? = nil,
        idempotencyKey: String? = nil,
        backfillJob: String? = nil,
        requestID: String? = nil
    ) {
        box = Box(
            Values(
                source: source,
                entity: entity,
                changeType: changeType,
                transactionKey: transactionKey,
                sequenceNumber: sequenceNumber,
                commitTimestamp: commitTimestamp,
                commitNumber: commitNumber,
                commitUser: commitUser,
                changeOrigin: changeOrigin,
                replayId: replayId,
                schemaId: schemaId,
                eventBridgeID: eventBridgeID,
                idempotencyKey: idempotencyKey,
                backfillJob: backfillJob,
                requestID: requestID
            )
        )
    }

    @usableFromInline
    init(_ values: Values) {
        box = Box(values)
    }

    public static func == (lhs: ChangeFacts, rhs: ChangeFacts) -> Bool {
        lhs.box === rhs.box || lhs.box.values == rhs.box.values
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(box.values)
    }
}

extension ChangeFacts {
    /// The facts as event metadata (absent facts are left out).
    public var metadata: JSONObject {
        var object = JSONObject()
        object.reserveCapacity(13)
        object.appendUnique(key: "source", value: .string(source.rawValue))
        object.appendUnique(key: "entity", value: .string(entity))
        func add(_ key: String, _ value: String?) {
            if let value { object.appendUnique(key: key, value: .string(value)) }
        }
        func add(_ key: String, _ value: Int64?) {
            if let value { object.appendUnique(key: key, value: .number(JSONNumber(value))) }
        }
        add("changeType", changeType)
        add("transactionKey", transactionKey)
        add("sequenceNumber", sequenceNumber)
        add("commitTimestamp", commitTimestamp)
        add("commitNumber", commitNumber)
        add("commitUser", commitUser)
        add("changeOrigin", changeOrigin)
        add("replayId", replayId)
        add("schemaId", schemaId)
        add("eventBridgeId", eventBridgeID)
        add("idempotencyKey", idempotencyKey)
        add("backfillJob", backfillJob)
        add("requestId", requestID)
        return object
    }

    /// Facts back from event metadata; `nil` when the source or entity is missing.
    ///
    /// One pass over the members (keys are unique): looking each fact up by name scanned the
    /// members once per fact, 1.3% of the server's time under CDC load, for every event a read
    /// model folds.
    public init?(metadata: JSONObject) {
        var source: ChangeSource?
        var entity: String?
        // The facts are gathered unboxed: setting each on a `ChangeFacts` would box them anew.
        var facts = Values(source: .cdc, entity: "")
        for member in metadata.members {
            let value = member.value
            switch member.key {
            case "source": source = value.stringValue.flatMap(ChangeSource.init(rawValue:))
            case "entity": entity = value.stringValue
            case "changeType": facts.changeType = value.stringValue
            case "transactionKey": facts.transactionKey = value.stringValue
            case "sequenceNumber": facts.sequenceNumber = value.int64Value
            case "commitTimestamp": facts.commitTimestamp = value.int64Value
            case "commitNumber": facts.commitNumber = value.int64Value
            case "commitUser": facts.commitUser = value.stringValue
            case "changeOrigin": facts.changeOrigin = value.stringValue
            case "replayId": facts.replayId = value.stringValue
            case "schemaId": facts.schemaId = value.stringValue
            case "eventBridgeId": facts.eventBridgeID = value.stringValue
            case "idempotencyKey": facts.idempotencyKey = value.stringValue
            case "backfillJob": facts.backfillJob = value.stringValue
            case "requestId": facts.requestID = value.stringValue
            default: break
            }
        }
        guard let source, let entity else { return nil }
        facts.source = source
        facts.entity = entity
        self.init(facts)
    }
}

extension ChangeFacts {
    /// The facts folding a record's state reads (`RecordState.apply` without change keys): its
    /// source, entity and commit time, from event metadata; `nil` when the source or entity is
    /// missing. The others are left out: a read model folding every event of a replay has no use
    /// for them, and copying their strings cost it more than reading them.
    init?(foldingMetadata metadata: JSONObject) {
        var source: ChangeSource?
        var entity: String?
        var commitTimestamp: Int64?
        // Keys are unique, so the scan stops once all three are found: the metadata this server
        // writes has them first, second and at most sixth of up to fifteen (without a commit
        // time, the scan goes to the end). The facts are boxed once, at the end.
        var found = 0
        for index in metadata.members.indices {
            switch metadata.members[index].key {
            case "source": source = metadata.members[index].value.stringValue.flatMap(ChangeSource.init(rawValue:))
            case "entity": entity = metadata.members[index].value.stringValue
            case "commitTimestamp": commitTimestamp = metadata.members[index].value.int64Value
            default: continue
            }
            found += 1
            if found == 3 { break }
        }
        guard let source, let entity else { return nil }
        self.init(source: source, entity: entity, commitTimestamp: commitTimestamp)
    }
}

/// What identifies one Salesforce change to one record: CDC has no event id, so the header's
/// transaction key, sequence number and change type stand in (entity and record id are the
/// record's own). Changes without them (commands, backfills) have no key and are never duplicates.
public struct ChangeKey: Sendable, Hashable {
    /// The Salesforce transaction.
    public var transactionKey: String
    /// The change's order within the transaction.
    public var sequenceNumber: Int64
    /// The Salesforce change type.
    public var changeType: String

    /// The key of the change `facts` describe, or `nil` when it is not a CDC change.
    public init?(_ facts: ChangeFacts) {
        guard facts.source == .cdc, let transactionKey = facts.transactionKey, let sequenceNumber = facts.sequenceNumber,
            let changeType = facts.changeType
        else { return nil }
        self.transactionKey = transactionKey
        self.sequenceNumber = sequenceNumber
        self.changeType = changeType
    }
}
