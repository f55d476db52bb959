import CRM
import EventSourcing
import Ingestion
import JSON
import PropertyBased
import Testing

/// Whatever order Salesforce's changes arrive in, and however often, the mirror ends up the same
/// as when they arrive once each, in commit order.
@Suite("Convergence under reordering and duplicates", .timeLimit(.minutes(5)))
struct ConvergencePropertyTests {
    @Test func anyDeliveryOrderWithDuplicatesConvergesToInOrderDelivery() async throws {
        await propertyCheck(count: 12, input: Gen.int(in: 0...1_000_000).array(of: 6...28), Gen.uint64()) { steps, orderSeed in
            let history = History(steps: steps)
            do {
                let expected = try await Mirror.deliver(history.changes.map { [$0] })
                #expect(expected.eventCount == history.distinctRecordChanges)
                var random = SplitMix(seed: orderSeed)
                for _ in 0..<200 {
                    let delivery = history.shuffledWithDuplicates(using: &random)
                    let actual = try await Mirror.deliver(delivery)
                    #expect(actual.views == expected.views, "delivery \(delivery.map { $0.map(History.label) })")
                    #expect(actual.sourceValues == expected.sourceValues)
                    #expect(actual.eventCount == history.distinctRecordChanges, "each distinct change is journaled once")
                    if actual.views != expected.views || actual.eventCount != expected.eventCount { return }
                }
            } catch {
                Issue.record("delivery failed: \(error)")
            }
        }
    }
}

/// One run of Tributary's ingestion over an in-memory journal, and what it ended with.
private struct Mirror {
    /// Domain views by record id (the read model).
    var views: [String: JSONValue]
    /// The aggregate state's source values by record id and path.
    var sourceValues: [String: [String: JSONValue]]
    /// Events journaled.
    var eventCount: UInt64

    /// Delivers `requests` (each a batch for `POST /v1/cdc`) in order.
    static func deliver(_ requests: [[JSONValue]]) async throws -> Mirror {
        let journal = InMemoryJournal()
        let registry = AggregateRegistry(journal: journal, aggregates: ["clients": SalesforceRecord(type: .clients)])
        let ingestor = ChangeIngestor(
            registry: registry,
            mappings: .defaults,
            journal: journal,
            gaps: GapIndex(),
            schemas: SchemaRegistry(journal: journal)
        )
        for request in requests {
            _ = try await ingestor.ingest(try ingestor.validate(request))
        }
        let projection = RecordProjection(mapping: .defaultClient)
        try await projection.apply(try await journal.readAll(after: 0, limit: 100_000))
        var views: [String: JSONValue] = [:]
        var sourceValues: [String: [String: JSONValue]] = [:]
        for id in History.recordIDs {
            if let view = try await projection.view(id: id) {
                views[id] = ["deleted": .bool(view.deleted), "fields": .object(view.fields)]
            }
            let state = try await registry.current(StreamName(category: "clients", id: id)).state
            var values: [String: JSONValue] = ["deleted": .bool(state.deleted)]
            for path in History.sourcePaths { values[path] = state.value(at: path) ?? .null }
            sourceValues[id] = values
        }
        return Mirror(views: views, sourceValues: sourceValues, eventCount: try await journal.lastPosition())
    }
}

/// A realistic history of Salesforce changes to three Accounts, built from a list of step numbers
/// (so the property library can shrink a failing history to a short one). Commit times strictly
/// increase: no ties, by construction.
private struct History {
    static let recordIDs = ["001T1000001nI4jIAE", "0015f00002JUXA8AAP", "001ZM000001n4n5YAA"]
    static let scalarFields = ["Name", "Phone", "Industry"]
    static let addressComponents = ["Street", "City", "Country"]
    static let sourcePaths = scalarFields + addressComponents.map { "BillingAddress.\($0)" }

    /// The changes in commit order, as bare CDC payloads.
    private(set) var changes: [JSONValue] = []
    /// How many (change, record) pairs the history holds: the events a mirror journals.
    private(set) var distinctRecordChanges: UInt64 = 0

    private enum Status { case unseen, live, deleted }
    private var status: [Status] = Array(repeating: .unseen, count: 3)
    /// The in-order values, for UNDELETE bodies (which carry the record's non-empty fields).
    private var current: [[String: JSONValue]] = Array(repeating: [:], count: 3)

    init(steps: [Int]) {
        for (index, step) in steps.enumerated() {
            add(step: step, time: 1_714_000_000_000 + Int64(index) * 1_000, transaction: index)
        }
    }

    private mutating func add(step: Int, time: Int64, transaction: Int) {
        let record = step % 3
        let choice = (step / 3) % 10
        let pubSub = (step / 30) % 2 == 1
        let value = step / 60
        switch status[record] {
        case .unseen where choice < 8:
            create(record, value: value, time: time, transaction: transaction, pubSub: pubSub)
        case .unseen, .live where choice < 6:
            // An UPDATE for a record not seen yet makes a partial record.
            update([record], variant: choice, value: value, time: time, transaction: transaction, pubSub: pubSub)
        case .live where choice < 8:
            let other = (record + 1 + value % 2) % 3
            let records = status[other] == .live ? [record, other] : [record]
            update(records, variant: value % 6, value: value, time: time, transaction: transaction, pubSub: pubSub)
        case .live:
            emit("DELETE", [record], fields: [:], time: time, transaction: transaction)
            status[record] = .deleted
        case .deleted where choice < 7:
            var fields = JSONObject()
            for (key, value) in current[record].sorted(by: { $0.key < $1.key }) where !value.isNull { fields[key] = value }
            emit("UNDELETE", [record], fields: nest(fields), time: time, transaction: transaction)
            status[record] = .live
        case .deleted:
            break
        }
    }

    private mutating func create(_ record: Int, value: Int, time: Int64, transaction: Int, pubSub: Bool) {
        var fields = JSONObject()
        fields["Name"] = .string("Acme \(value)")
        if value % 2 == 0 { fields["Phone"] = .string("+1 555 \(value)") }
        if value % 3 == 0 { fields["Industry"] = "Energy" }
        fields["BillingAddress.Street"] = .string("\(value) Mission Street")
        if value % 4 != 0 { fields["BillingAddress.City"] = "San Francisco" }
        for member in fields { current[record][member.key] = member.value }
        status[record] = .live
        if pubSub {
            emit("CREATE", [record], fields: pubSubBody(fields), time: time, transaction: transaction)
        } else {
            emit("CREATE", [record], fields: nest(fields), time: time, transaction: transaction)
        }
    }

    /// Variants: 0 set a scalar, 1 null a scalar, 2 set one address component, 3 null one
    /// component, 4 clear the whole address, 5 several fields at once.
    private mutating func update(_ records: [Int], variant: Int, value: Int, time: Int64, transaction: Int, pubSub: Bool) {
        var changed = JSONObject()
        let scalar = Self.scalarFields[value % 3]
        let component = "BillingAddress." + Self.addressComponents[value % 3]
        switch variant {
        case 0: changed[scalar] = .string("\(scalar) \(value)")
        case 1: changed[scalar] = .null
        case 2: changed[component] = .string("\(component) \(value)")
        case 3: changed[component] = .null
        case 4: for name in Self.addressComponents { changed["BillingAddress." + name] = .null }
        default:
            changed[scalar] = .string("\(scalar) \(value)")
            changed[component] = .string("\(component) \(value)")
        }
        for record in records {
            for member in changed { current[record][member.key] = member.value }
            status[record] = .live
        }
        let names = changed.keys
        let nulled = changed.filter(\.value.isNull).map(\.key)
        if pubSub {
            emit(
                "UPDATE", records, fields: pubSubBody(changed, nullUnchanged: true), time: time, transaction: transaction,
                changedFields: bitmaps(names.filter { !nulled.contains($0) } + ["LastModifiedDate"]), nulledFields: bitmaps(nulled)
            )
        } else {
            var body = nest(changed)
            if variant == 4 { body["BillingAddress"] = .null }
            emit("UPDATE", records, fields: body, time: time, transaction: transaction, changedFields: names + ["LastModifiedDate"])
        }
    }

    /// Flat `BillingAddress.City` keys nested the way CDC sends compound fields.
    private func nest(_ flat: JSONObject) -> JSONObject {
        var body = JSONObject()
        for member in flat {
            let parts = member.key.split(separator: ".", maxSplits: 1).map(String.init)
            if parts.count == 2 {
                var address = body[parts[0]]?.objectValue ?? JSONObject()
                address[parts[1]] = member.value
                body[parts[0]] = .object(address)
            } else {
                body[member.key] = member.value
            }
        }
        return body
    }

    /// A Pub/Sub body: every schema field present, in schema order; unset ones `null`.
    private func pubSubBody(_ flat: JSONObject, nullUnchanged: Bool = false) -> JSONObject {
        var body = JSONObject()
        for name in Self.scalarFields { body[name] = flat[name] ?? .null }
        let components = Self.addressComponents.map { ($0, flat["BillingAddress." + $0]) }
        if components.allSatisfy({ $0.1 == nil }) {
            body["BillingAddress"] = .null
        } else {
            body["BillingAddress"] = .object(JSONObject(components.map { .init(key: $0.0, value: $0.1 ?? .null) }))
        }
        body["LastModifiedDate"] = .null
        return body
    }

    /// Pub/Sub bitmaps over the schema [header, Name, Phone, Industry, BillingAddress, LastModifiedDate].
    private func bitmaps(_ names: [String]) -> [String] {
        var topLevel = 0
        var nested = 0
        for name in names {
            if name.hasPrefix("BillingAddress.") {
                nested |= 1 << (Self.addressComponents.firstIndex(of: String(name.dropFirst(15))) ?? 0)
            } else if let index = (Self.scalarFields + ["BillingAddress", "LastModifiedDate"]).firstIndex(of: name) {
                topLevel |= 1 << (index + 1)
            }
        }
        var entries: [String] = []
        if topLevel != 0 { entries.append("0x" + String(topLevel, radix: 16)) }
        if nested != 0 { entries.append("4-0x" + String(nested, radix: 16)) }
        return entries
    }

    private mutating func emit(
        _ changeType: String, _ records: [Int], fields: JSONObject, time: Int64, transaction: Int,
        changedFields: [String] = [], nulledFields: [String] = []
    ) {
        var payload: JSONObject = [
            "ChangeEventHeader": [
                "entityName": "Account",
                "recordIds": .array(records.map { .string(Self.recordIDs[$0]) }),
                "changeType": .string(changeType),
                "changeOrigin": "",
                "transactionKey": .string("tx-\(transaction)"),
                "sequenceNumber": 1,
                "commitTimestamp": .number(JSONNumber(time)),
                "commitNumber": .number(JSONNumber(time / 1_000)),
                "commitUser": "0055f000005mc66AAA",
                "changedFields": .array(changedFields.map(JSONValue.string)),
                "nulledFields": .array(nulledFields.map(JSONValue.string)),
                "diffFields": [],
            ]
        ]
        for member in fields { payload[member.key] = member.value }
        if changeType != "DELETE", fields["LastModifiedDate"] != nil || changeType == "UPDATE" {
            payload["LastModifiedDate"] = .number(JSONNumber(time))
        }
        changes.append(.object(payload))
        distinctRecordChanges += UInt64(records.count)
    }

    /// The changes shuffled, with about one in four delivered twice, in requests of 1–4 changes.
    func shuffledWithDuplicates(using random: inout SplitMix) -> [[JSONValue]] {
        var items = changes
        for change in changes where random.next() % 4 == 0 { items.append(change) }
        items.shuffle(using: &random)
        var requests: [[JSONValue]] = []
        var index = 0
        while index < items.count {
            let size = Int(random.next() % 4) + 1
            requests.append(Array(items[index..<min(index + size, items.count)]))
            index += size
        }
        return requests
    }

    /// A short label for a change in failure messages: `UPDATE@3`.
    static func label(_ change: JSONValue) -> String {
        let header = change["ChangeEventHeader"]
        return "\(header?["changeType"]?.stringValue ?? "?")@\(header?["transactionKey"]?.stringValue ?? "?")"
    }
}

/// A small seeded generator, so a failing delivery order can be replayed from its seed.
private struct SplitMix: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
