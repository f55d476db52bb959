/// Deterministic, realistic Salesforce CDC traffic for the six record types: creates, partial
/// updates, nulling, compound components, deletes, undeletes, merged multi-record changes,
/// re-deliveries and late (out-of-order) deliveries, in the three envelopes Tributary accepts.
///
/// Every change gets a distinct commit timestamp, so the expected final state is well defined
/// whatever order the changes arrive in. The generator keeps that expected state for a sample of
/// records (one in ``Options/sampleEvery``) so a run can check the read model afterwards.
public struct CDCTraffic: Sendable {
    /// The mix of the traffic. Rates are probabilities per generated change.
    public struct Options: Sendable {
        public var seed: UInt64 = 42
        /// Re-send an already sent change verbatim.
        public var duplicateRate = 0.02
        /// Hold a change back and send it a few hundred changes later.
        public var outOfOrderRate = 0.05
        /// An update applied to two or three records at once (one event, several recordIds).
        public var multiRecordRate = 0.02
        public var deleteRate = 0.03
        public var undeleteRate = 0.01
        /// Of the remaining changes, the share that create new records (the rest update).
        public var createShare = 0.3
        /// One record in this many is tracked for the final check.
        public var sampleEvery = 16

        /// The default mix.
        public init() {}
    }

    /// The expected state of a tracked record.
    public struct ExpectedRecord: Sendable {
        public var aggregate: String
        public var id: String
        var fields: [String: (value: FieldValue.Expected, committedAt: Int64)] = [:]
        var deleted: (value: Bool, committedAt: Int64) = (false, .min)

        /// Whether the record should be deleted.
        public var isDeleted: Bool { deleted.value }
    }

    private var options: Options
    private var random: SplitMix64
    private var clock: Int64 = 1_767_225_600_000  // 2026-01-01T00:00:00Z
    private var transactions = 0
    private var created: [Int] = Array(repeating: 0, count: RecordKind.all.count)
    private var deleted: [Set<Int>] = Array(repeating: [], count: RecordKind.all.count)
    /// Deleted records in deletion order, so undeletes pick deterministically (set order is not).
    private var deletionOrder: [[Int]] = Array(repeating: [], count: RecordKind.all.count)
    private var recent: [[UInt8]] = []
    private var held: [(releaseAt: Int, bytes: [UInt8])] = []
    private var generated = 0
    /// Tracked records by id.
    public private(set) var expected: [String: ExpectedRecord] = [:]
    /// Distinct changes generated (re-deliveries not counted), per record they touch.
    public private(set) var recordChanges = 0

    /// A generator; the same options give the same traffic.
    public init(options: Options = .init()) {
        self.options = options
        self.random = SplitMix64(seed: options.seed)
    }

    /// The next `size` changes as the JSON array body of one `POST /v1/cdc`.
    public mutating func nextBatch(size: Int) -> [UInt8] {
        var body: [UInt8] = [UInt8(ascii: "[")]
        body.reserveCapacity(size * 420)
        for index in 0..<size {
            if index > 0 { body.append(UInt8(ascii: ",")) }
            body += nextChange()
        }
        body.append(UInt8(ascii: "]"))
        return body
    }

    /// The next change, as one JSON object.
    public mutating func nextChange() -> [UInt8] {
        generated += 1
        if let first = held.first, first.releaseAt <= generated {
            held.removeFirst()
            return first.bytes
        }
        if !recent.isEmpty, chance(options.duplicateRate) {
            return recent[Int(random.next() % UInt64(recent.count))]
        }
        let bytes = freshChange()
        if recent.count < 4096 { recent.append(bytes) } else { recent[Int(random.next() % 4096)] = bytes }
        if chance(options.outOfOrderRate) {
            held.append((generated + 50 + Int(random.next() % 400), bytes))
            return freshChange()
        }
        return bytes
    }

    /// The ids of every record of kind `kindIndex` created so far (deleted ones included).
    func createdIDs(kind kindIndex: Int) -> [String] {
        (0..<created[kindIndex]).map { recordID(kindIndex, $0) }
    }

    /// The changes still held back for late delivery, to send before the final check.
    public mutating func flush() -> [[UInt8]] {
        defer { held = [] }
        return held.map(\.bytes)
    }

    // MARK: - Changes

    private mutating func freshChange() -> [UInt8] {
        clock += 1 + Int64(random.next() % 3)
        transactions += 1
        let kindIndex = Int(random.next() % UInt64(RecordKind.all.count))
        let roll = Double(random.next() % 1_000_000) / 1_000_000
        let live = created[kindIndex] - deleted[kindIndex].count
        if created[kindIndex] < 4 || live < 2 || roll < options.createShare {
            return create(kindIndex)
        }
        if roll < options.createShare + options.deleteRate {
            return delete(kindIndex)
        }
        if roll < options.createShare + options.deleteRate + options.undeleteRate, let number = deletionOrder[kindIndex].popLast() {
            deleted[kindIndex].remove(number)
            let id = recordID(kindIndex, number)
            let now = clock
            track(id, kindIndex) { $0.setDeleted(false, at: now) }
            return change(kindIndex, "UNDELETE", ids: [id], fields: [], changed: [])
        }
        let count = chance(options.multiRecordRate) ? 2 + Int(random.next() % 2) : 1
        return update(kindIndex, records: (0..<count).map { _ in liveRecord(kindIndex) })
    }

    private mutating func create(_ kindIndex: Int) -> [UInt8] {
        let number = created[kindIndex]
        created[kindIndex] += 1
        let id = recordID(kindIndex, number)
        var fields: [(FieldSpec, FieldValue)] = []
        for spec in RecordKind.all[kindIndex].fields {
            fields.append((spec, value(for: spec)))
        }
        let now = clock
        track(id, kindIndex) { record in
            for (spec, value) in fields { record.set(spec.domain, value.expected, at: now) }
        }
        return change(kindIndex, "CREATE", ids: [id], fields: fields, changed: [])
    }

    private mutating func delete(_ kindIndex: Int) -> [UInt8] {
        let number = liveNumber(kindIndex)
        deleted[kindIndex].insert(number)
        deletionOrder[kindIndex].append(number)
        let id = recordID(kindIndex, number)
        let now = clock
        track(id, kindIndex) { $0.setDeleted(true, at: now) }
        return change(kindIndex, "DELETE", ids: [id], fields: [], changed: [])
    }

    private mutating func update(_ kindIndex: Int, records ids: [String]) -> [UInt8] {
        let specs = RecordKind.all[kindIndex].fields
        let count = 1 + Int(random.next() % 2)
        var fields: [(FieldSpec, FieldValue)] = []
        for _ in 0..<count {
            let spec = specs[Int(random.next() % UInt64(specs.count))]
            guard !fields.contains(where: { $0.0.source == spec.source }) else { continue }
            let value = spec.nullable && chance(0.1) ? FieldValue.null : value(for: spec)
            fields.append((spec, value))
        }
        let now = clock
        let changes = fields
        for id in Set(ids) {
            track(id, kindIndex) { record in
                for (spec, value) in changes { record.set(spec.domain, value.expected, at: now) }
            }
        }
        return change(kindIndex, "UPDATE", ids: Array(Set(ids)).sorted(), fields: fields, changed: fields.map(\.0.source) + ["LastModifiedDate"])
    }

    private mutating func value(for spec: FieldSpec) -> FieldValue {
        let related = spec.references.map { liveRecord($0) }
        return spec.make(random.next(), related)
    }

    // MARK: - Records

    private mutating func liveNumber(_ kindIndex: Int) -> Int {
        while true {
            let number = Int(random.next() % UInt64(created[kindIndex]))
            if !deleted[kindIndex].contains(number) { return number }
        }
    }

    private mutating func liveRecord(_ kindIndex: Int) -> String {
        guard created[kindIndex] - deleted[kindIndex].count > 0 else { return recordID(kindIndex, 0) }
        return recordID(kindIndex, liveNumber(kindIndex))
    }

    private func recordID(_ kindIndex: Int, _ number: Int) -> String {
        SalesforceIDs.make(prefix: RecordKind.all[kindIndex].keyPrefix, number: number)
    }

    private mutating func track(_ id: String, _ kindIndex: Int, _ update: (inout ExpectedRecord) -> Void) {
        guard id.utf8.reduce(0, { $0 &+ Int($1) }) % options.sampleEvery == 0 else { return }
        var record = expected[id] ?? ExpectedRecord(aggregate: RecordKind.all[kindIndex].aggregate, id: id)
        update(&record)
        expected[id] = record
    }

    private mutating func chance(_ probability: Double) -> Bool {
        Double(random.next() % 1_000_000) / 1_000_000 < probability
    }

    // MARK: - JSON

    private mutating func change(
        _ kindIndex: Int, _ changeType: String, ids: [String], fields: [(FieldSpec, FieldValue)], changed: [String]
    ) -> [UInt8] {
        recordChanges += ids.count
        let kind = RecordKind.all[kindIndex]
        var header = "{\"entityName\":\"\(kind.object)\",\"recordIds\":[\(ids.map { "\"\($0)\"" }.joined(separator: ","))],"
        header += "\"changeType\":\"\(changeType)\",\"changeOrigin\":\"com/salesforce/api/rest/62.0;client=tributary-sim\","
        header += "\"transactionKey\":\"0000\(String(transactions, radix: 16))-sim\",\"sequenceNumber\":1,"
        header += "\"commitTimestamp\":\(clock),\"commitNumber\":\(11_000_000_000_000 + Int64(transactions)),"
        header += "\"commitUser\":\"0055f000005mc66AAA\",\"changedFields\":[\(changed.map { "\"\($0)\"" }.joined(separator: ","))]}"
        var payload = "{\"ChangeEventHeader\":\(header)"
        var address: [String] = []
        for (spec, value) in fields {
            if spec.source.hasPrefix("BillingAddress.") {
                address.append("\"\(spec.source.dropFirst(15))\":\(value.json)")
            } else {
                payload += ",\"\(spec.source)\":\(value.json)"
            }
        }
        if !address.isEmpty { payload += ",\"BillingAddress\":{\(address.joined(separator: ","))}" }
        if changeType != "DELETE" { payload += ",\"LastModifiedDate\":\"\(Self.iso8601(clock))\"" }
        payload += "}"
        switch transactions % 10 {
        case 0:
            return Array(
                "{\"channel\":\"/data/ChangeEvents\",\"data\":{\"schema\":\"W1ayyXPqg5d0qk9GkQKqgA\",\"payload\":\(payload),\"event\":{\"replayId\":\(transactions)}}}".utf8
            )
        case 1:
            let envelope =
                "{\"version\":\"0\",\"id\":\"5c42b99e-e005-43b3-c744-\(String(100_000_000_000 + transactions))\",\"detail-type\":\"\(kind.object)ChangeEvent\","
                + "\"source\":\"aws.partner/salesforce.com/00D5f000000J5zzEAC/0YL5f000000001aGAA\",\"account\":\"123456789012\","
                + "\"time\":\"\(Self.iso8601(clock).dropLast(5))Z\",\"region\":\"us-east-1\",\"resources\":[],"
                + "\"detail\":{\"payload\":\(payload),\"schemaId\":\"W1ayyXPqg5d0qk9GkQKqgA\",\"replayId\":\"\(transactions)\"}}"
            return Array(envelope.utf8)
        default:
            return Array(payload.utf8)
        }
    }

    /// `2026-01-01T00:00:00.000Z` for epoch milliseconds.
    static func iso8601(_ milliseconds: Int64) -> String {
        let days = Int(milliseconds / 86_400_000)
        let rest = Int(milliseconds % 86_400_000)
        // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
        let z = days + 719_468
        let era = z / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let millis = rest % 1000
        return "\(year)-\(two(month))-\(two(day))T\(two(rest / 3_600_000)):\(two(rest / 60_000 % 60)):\(two(rest / 1000 % 60))."
            + "\(millis < 100 ? "0" : "")\(two(millis))Z"
    }
}

extension CDCTraffic.ExpectedRecord {
    mutating func set(_ field: String, _ value: FieldValue.Expected, at time: Int64) {
        if let existing = fields[field], existing.committedAt > time { return }
        fields[field] = (value, time)
    }

    mutating func setDeleted(_ value: Bool, at time: Int64) {
        if deleted.committedAt > time { return }
        deleted = (value, time)
    }

    /// The expected domain fields.
    public var expectedFields: [String: FieldValue.Expected] {
        fields.mapValues(\.value)
    }
}

/// A small, fast, seeded generator.
struct SplitMix64: RandomNumberGenerator, Sendable {
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
