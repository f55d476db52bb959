import Foundation
import Synchronization

/// A simulated Salesforce org: records of the six mapped objects, changed on demand, read back
/// through a REST API shaped like Salesforce's (see `SalesforceOrgServer`), and told to fail
/// the ways a real org fails.
///
/// Records hold REST field names (`BillingCity`, not `BillingAddress.City`) as JSON texts, with
/// `Id`, `CreatedDate`, `LastModifiedDate`, `SystemModstamp` and `IsDeleted`. Every change it is
/// asked to make also yields the matching CDC event (a bare payload), so a scenario can mix a
/// backfill with live changes. The clock starts at 2026-01-01 and moves a second per change.
public final class SalesforceOrg: Sendable {
    /// A way the org fails the next data call.
    public enum Failure: Sendable, Hashable {
        /// `503 SERVER_UNAVAILABLE`.
        case unavailable
        /// `403 REQUEST_LIMIT_EXCEEDED`.
        case limitExceeded
        /// A `200` whose body is cut off mid-JSON.
        case malformedJSON
        /// Answers normally after this long.
        case slow(Duration)
    }

    struct Record: Sendable {
        var object: String
        var id: String
        /// REST field name → JSON text.
        var fields: [String: String]
        var createdDate: Int64
        var lastModified: Int64
        var systemModstamp: Int64
        var deleted = false
    }

    struct State {
        var records: [String: [String: Record]] = [:]
        var created: [Int] = Array(repeating: 0, count: RecordKind.all.count)
        var clock: Int64 = 1_767_225_600_000
        var transactions = 0
        var tokens: Set<String> = []
        var apiUsed = 0
        var failures: [Failure] = []
        var changes: [[UInt8]] = []
        var random: SplitMix64
        var queries = 0
        var tokenRequests = 0
        /// Bumped by `expireQueryCursors()`: cursors of an older generation are gone.
        var cursorGeneration = 0
    }

    /// The connected app's consumer key the token endpoint accepts.
    public let clientID: String
    /// Its secret.
    public let clientSecret: String
    /// The daily API allowance reported in `Sforce-Limit-Info`; calls past it get
    /// `REQUEST_LIMIT_EXCEEDED`.
    public let apiLimit: Int
    let state: Mutex<State>

    /// An empty org.
    public init(clientID: String = "sim-client", clientSecret: String = "sim-secret", apiLimit: Int = 10_000_000, seed: UInt64 = 7) {
        self.clientID = clientID
        self.clientSecret = clientSecret
        self.apiLimit = apiLimit
        self.state = Mutex(State(random: SplitMix64(seed: seed)))
    }

    // MARK: - Changing records

    /// Creates `count` records of `object` (one of the six mapped objects), a few per second
    /// of the org's clock (bulk loads share timestamps); returns their ids. No CDC events: they
    /// predate the mirror.
    @discardableResult
    public func populate(_ object: String, count: Int, perSecond: Int = 10) -> [String] {
        guard let kindIndex = RecordKind.all.firstIndex(where: { $0.object == object }) else { return [] }
        return state.withLock { state in
            (0..<count).map { offset in
                if offset > 0, offset % max(1, perSecond) == 0 { state.clock += 1000 }
                return Self.create(kindIndex, in: &state).id
            }
        }
    }

    /// Creates one record of `object` and returns its id; the CDC `CREATE` joins `drainChanges()`.
    @discardableResult
    public func create(_ object: String) -> String? {
        guard let kindIndex = RecordKind.all.firstIndex(where: { $0.object == object }) else { return nil }
        return state.withLock { state in
            state.clock += 1000
            let record = Self.create(kindIndex, in: &state)
            state.changes.append(Self.changeEvent(record, type: "CREATE", fields: record.fields, state: &state))
            return record.id
        }
    }

    /// Sets REST fields (JSON texts) of record `id`; the CDC `UPDATE` joins `drainChanges()`.
    /// With `emitting: false` no event is produced, as when Salesforce cannot send one (a gap).
    /// Returns the change's commit time (epoch ms).
    @discardableResult
    public func update(_ id: String, _ fields: [String: String], emitting: Bool = true) -> Int64 {
        state.withLock { state in
            guard let object = Self.object(of: id, in: state) else { return state.clock }
            state.clock += 1000
            var record = state.records[object]![id]!
            for (name, value) in fields { record.fields[name] = value }
            record.lastModified = state.clock
            record.systemModstamp = state.clock
            state.records[object]![id] = record
            if emitting { state.changes.append(Self.changeEvent(record, type: "UPDATE", fields: fields, state: &state)) }
            return state.clock
        }
    }

    /// Moves record `id` to the recycle bin (`IsDeleted`); with `emitting`, the CDC `DELETE` joins
    /// `drainChanges()`.
    public func delete(_ id: String, emitting: Bool = true) {
        state.withLock { state in
            guard let object = Self.object(of: id, in: state) else { return }
            state.clock += 1000
            state.records[object]![id]!.deleted = true
            state.records[object]![id]!.systemModstamp = state.clock
            if emitting {
                let record = state.records[object]![id]!
                state.changes.append(Self.changeEvent(record, type: "DELETE", fields: [:], state: &state))
            }
        }
    }

    /// Removes record `id` for good (emptied from the recycle bin): `queryAll` no longer sees it.
    public func purge(_ id: String) {
        state.withLock { state in
            guard let object = Self.object(of: id, in: state) else { return }
            state.records[object]![id] = nil
        }
    }

    /// The CDC events of the changes made since the last call, oldest first, each a bare payload.
    public func drainChanges() -> [[UInt8]] {
        state.withLock { state in
            defer { state.changes = [] }
            return state.changes
        }
    }

    /// The REST fields (JSON texts) of record `id`, and whether it is deleted; `nil` when unknown.
    public func record(_ id: String) -> (fields: [String: String], deleted: Bool)? {
        state.withLock { state in
            guard let object = Self.object(of: id, in: state), let record = state.records[object]?[id] else { return nil }
            return (record.fields, record.deleted)
        }
    }

    /// The ids of `object`'s records (deleted ones too), sorted.
    public func ids(of object: String) -> [String] {
        state.withLock { $0.records[object].map { $0.keys.sorted() } ?? [] }
    }

    // MARK: - Failures

    /// Queues failures: each of the next data calls fails the next way in the list.
    public func fail(_ failures: Failure...) {
        state.withLock { $0.failures += failures }
    }

    /// Revokes every access token: the next data call answers `401 INVALID_SESSION_ID`.
    public func expireSessions() {
        state.withLock { $0.tokens = [] }
    }

    /// Expires every open query cursor, as Salesforce does after about 15 minutes: their
    /// `nextRecordsUrl` answers `INVALID_QUERY_LOCATOR`.
    public func expireQueryCursors() {
        state.withLock { $0.cursorGeneration += 1 }
    }

    /// Sets the calls used of the daily allowance.
    public func setAPIUsage(_ used: Int) {
        state.withLock { $0.apiUsed = used }
    }

    /// Data calls and token requests answered so far.
    public var counters: (queries: Int, tokenRequests: Int, apiUsed: Int) {
        state.withLock { ($0.queries, $0.tokenRequests, $0.apiUsed) }
    }

    // MARK: - Expected views

    /// What Tributary's built-in mapping should show for each record of `object` (every record,
    /// or those `sample` keeps), for the simulations' final checks.
    public func expected(_ object: String, sample: (String) -> Bool = { _ in true }) -> [String: CDCTraffic.ExpectedRecord] {
        guard let kind = RecordKind.all.first(where: { $0.object == object }) else { return [:] }
        return state.withLock { state in
            var expected: [String: CDCTraffic.ExpectedRecord] = [:]
            for record in (state.records[object] ?? [:]).values where sample(record.id) {
                var view = CDCTraffic.ExpectedRecord(aggregate: kind.aggregate, id: record.id)
                for spec in kind.fields {
                    let text = record.fields[Self.restName(spec.source)] ?? "null"
                    view.set(spec.domain, Self.expectedValue(text), at: record.lastModified)
                }
                view.setDeleted(record.deleted, at: record.systemModstamp)
                expected[record.id] = view
            }
            return expected
        }
    }

    /// The fields each object has besides the generated ones (null unless set), so queries for
    /// them succeed as they would in a real org: the built-in mapping's other sources and a few
    /// common standard fields. Any other field is `INVALID_FIELD`.
    static let standardFields: [String: Set<String>] = [
        "Account": ["AnnualRevenue", "BillingCountry", "BillingStreet", "BillingState", "BillingPostalCode", "OwnerId", "Type", "Description", "ShippingCity"],
        "Platform__c": ["Client__c", "Environment__c", "LaunchDate__c", "OwnerId", "Status__c"],
        "Contract": ["AccountId", "ContractNumber", "ContractTerm", "Contract_Value__c", "EndDate", "OwnerId", "StartDate", "Status", "BillingCity"],
        "Opportunity": ["AccountId", "Amount", "CloseDate", "IsClosed", "IsWon", "OwnerId", "Probability", "StageName"],
        "Service__c": ["Client__c", "Contract__c", "Monthly_Fee__c", "Start_Date__c", "Status__c"],
        "Subservice__c": ["Quantity__c", "Service__c", "Status__c", "Unit_Price__c"],
    ]

    // MARK: - Internals

    /// The REST name of a mapped source: `BillingAddress.City` → `BillingCity`.
    static func restName(_ source: String) -> String {
        guard let dot = source.firstIndex(of: "."), source[..<dot].hasSuffix("Address") else { return source }
        return String(source[..<dot].dropLast("Address".count)) + source[source.index(after: dot)...]
    }

    private static func expectedValue(_ json: String) -> FieldValue.Expected {
        if json == "null" { return .null }
        if json.hasPrefix("\"") { return .string(String(json.dropFirst().dropLast())) }
        return Double(json).map(FieldValue.Expected.number) ?? .null
    }

    private static func object(of id: String, in state: State) -> String? {
        state.records.first { $0.value[id] != nil }?.key
    }

    private static func create(_ kindIndex: Int, in state: inout State) -> Record {
        let kind = RecordKind.all[kindIndex]
        let number = state.created[kindIndex]
        state.created[kindIndex] += 1
        let id = SalesforceIDs.make(prefix: kind.keyPrefix, number: number)
        var fields: [String: String] = [:]
        for spec in kind.fields {
            let related = spec.references.map { SalesforceIDs.make(prefix: RecordKind.all[$0].keyPrefix, number: 0) }
            fields[restName(spec.source)] = spec.make(state.random.next(), related).json
        }
        let record = Record(
            object: kind.object, id: id, fields: fields,
            createdDate: state.clock, lastModified: state.clock, systemModstamp: state.clock
        )
        state.records[kind.object, default: [:]][id] = record
        return record
    }

    /// A bare CDC payload for a change to `record` setting `fields` (REST names; address
    /// components are nested under their compound field, as CDC sends them).
    private static func changeEvent(_ record: Record, type: String, fields: [String: String], state: inout State) -> [UInt8] {
        state.transactions += 1
        var compound: [String: [String]] = [:]
        var flat: [String] = []
        var changed: [String] = []
        for (name, value) in fields.sorted(by: { $0.key < $1.key }) {
            if let (parent, component) = compoundParts(name) {
                compound[parent, default: []].append("\"\(component)\":\(value)")
                changed.append("\(parent).\(component)")
            } else {
                flat.append("\"\(name)\":\(value)")
                changed.append(name)
            }
        }
        var header = "{\"entityName\":\"\(record.object)\",\"recordIds\":[\"\(record.id)\"],\"changeType\":\"\(type)\","
        header += "\"changeOrigin\":\"com/salesforce/api/rest/60.0;client=salesforce-org-sim\","
        header += "\"transactionKey\":\"org-\(state.transactions)\",\"sequenceNumber\":1,\"commitTimestamp\":\(state.clock),"
        header += "\"commitNumber\":\(state.transactions),\"commitUser\":\"0055f000005mc66AAA\","
        header += "\"changedFields\":[\(type == "UPDATE" ? changed.map { "\"\($0)\"" }.joined(separator: ",") : "")]}"
        var payload = "{\"ChangeEventHeader\":\(header)"
        for member in flat { payload += "," + member }
        for (parent, members) in compound.sorted(by: { $0.key < $1.key }) {
            payload += ",\"\(parent)\":{\(members.joined(separator: ","))}"
        }
        if type != "DELETE" { payload += ",\"LastModifiedDate\":\"\(OrgTime.format(state.clock))\"" }
        payload += "}"
        return Array(payload.utf8)
    }

    /// `BillingCity` → (`BillingAddress`, `City`) for the address compounds.
    static func compoundParts(_ name: String) -> (String, String)? {
        for prefix in ["Billing", "Shipping", "Mailing", "Other"] where name.hasPrefix(prefix) {
            let component = String(name.dropFirst(prefix.count))
            if ["Street", "City", "State", "PostalCode", "Country", "StateCode", "CountryCode", "Latitude", "Longitude", "GeocodeAccuracy"]
                .contains(component)
            {
                return (prefix + "Address", component)
            }
        }
        return nil
    }
}
