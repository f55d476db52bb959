import CRM
import EventSourcing
import JSON
import Salesforce

/// How records read from Salesforce's REST API become record commands, and the SOQL that reads
/// them.
///
/// REST answers with flat address fields (`BillingCity`) where CDC sends compounds
/// (`BillingAddress.City`); they are nested back under their compound, so a backfilled value and
/// a CDC value of the same field land on the same path and converge by commit time. A record's
/// `LastModifiedDate` acts as its commit time, less a millisecond so that a live change stamped
/// with the same (whole) second wins the tie: a value a live change set later survives the
/// backfill.
public enum SalesforceRecordReading {
    /// The fields every read selects besides the mapped ones.
    static let bookkeepingFields = ["Id", "LastModifiedDate", "SystemModstamp"]

    /// The REST fields to select for `mapping`: `Id`, the timestamps, and every mapped source,
    /// compound components by their flat REST names.
    public static func fields(for mapping: EntityMapping, includeDeleted: Bool) -> [String] {
        var fields = bookkeepingFields
        for field in mapping.fields {
            for source in field.sources {
                let name = restName(source)
                if !name.contains("."), !fields.contains(name) { fields.append(name) }
            }
        }
        if includeDeleted { fields.append("IsDeleted") }
        return fields
    }

    /// A backfill's SOQL: `mapping`'s object, records changed since `since`, after `watermark`
    /// (the last record of the last page applied), in `SystemModstamp`, `Id` order so that a
    /// resumed job continues exactly where it stopped.
    public static func backfillQuery(
        for mapping: EntityMapping, includeDeleted: Bool, since: Timestamp?, after watermark: BackfillWatermark?
    ) -> String {
        var conditions: [String] = []
        if let since { conditions.append("SystemModstamp >= \(literal(since))") }
        if let watermark {
            let time = literal(Timestamp(millisecondsSinceEpoch: watermark.systemModstamp))
            conditions.append("(SystemModstamp > \(time) OR (SystemModstamp = \(time) AND Id > '\(watermark.id)'))")
        }
        var soql = "SELECT \(fields(for: mapping, includeDeleted: includeDeleted).joined(separator: ", ")) FROM \(mapping.objectName)"
        if !conditions.isEmpty { soql += " WHERE " + conditions.joined(separator: " AND ") }
        return soql + " ORDER BY SystemModstamp ASC, Id ASC"
    }

    /// SOQL reading records `ids` (18-character, validated) of `mapping`'s object, deleted ones too.
    public static func rereadQuery(for mapping: EntityMapping, ids: [String]) -> String {
        let list = ids.map { "'\($0)'" }.joined(separator: ", ")
        return "SELECT \(fields(for: mapping, includeDeleted: true).joined(separator: ", ")) FROM \(mapping.objectName) WHERE Id IN (\(list))"
    }

    /// A SOQL date-time literal (seconds: `SystemModstamp` has no finer precision).
    static func literal(_ time: Timestamp) -> String {
        let millis = time.millisecondsSinceEpoch
        let seconds = millis - ((millis % 1000) + 1000) % 1000
        return String(Timestamp(millisecondsSinceEpoch: seconds).iso8601.prefix(19)) + "Z"
    }

    /// One REST record read for `entity`, as a record command.
    public struct ReadRecord: Sendable {
        /// The record's 18-character id.
        public var id: String
        /// Its `SystemModstamp` (epoch ms), for the watermark.
        public var systemModstamp: Int64
        /// Its `LastModifiedDate` (epoch ms).
        public var lastModified: Int64
        /// The command: an upsert of the fields read, or a delete when `IsDeleted`.
        public var command: RecordCommand
    }

    /// Translates REST `record` of `entity`; `nil` (with the reason) when it lacks an `Id` or a
    /// `LastModifiedDate`.
    ///
    /// - Parameters:
    ///   - source: `.backfill` or `.gapFill`.
    ///   - notBefore: the least commit time to give the change (a re-read answers a gap at least
    ///     that recent).
    public static func read(
        _ record: JSONObject, entity: String, source: ChangeSource, job: String?, notBefore: Int64 = .min
    ) -> Result<ReadRecord, ReadError> {
        guard let rawID = record["Id"]?.stringValue, let id = SalesforceID.normalize(rawID) else {
            return .failure(ReadError(reason: "a record has no valid Id"))
        }
        guard let lastModified = record["LastModifiedDate"]?.stringValue.flatMap(Timestamp.init(iso8601:)) else {
            return .failure(ReadError(reason: "record \(id) has no LastModifiedDate"))
        }
        let modstamp = record["SystemModstamp"]?.stringValue.flatMap(Timestamp.init(iso8601:)) ?? lastModified
        var body = JSONObject()
        var compounds: [(String, JSONObject)] = []
        for member in record where !["attributes", "Id", "IsDeleted", "SystemModstamp"].contains(member.key) {
            if ["LastModifiedDate", "CreatedDate"].contains(member.key), let time = member.value.stringValue.flatMap(Timestamp.init(iso8601:)) {
                // As CometD sends them (REST writes `+0000`), so an unchanged record reads as unchanged.
                body.appendUnique(key: member.key, value: .string(time.iso8601))
            } else if let (parent, component) = compoundParts(member.key) {
                if let index = compounds.firstIndex(where: { $0.0 == parent }) {
                    compounds[index].1.appendUnique(key: component, value: member.value)
                } else {
                    var object = JSONObject()
                    object.appendUnique(key: component, value: member.value)
                    compounds.append((parent, object))
                }
            } else {
                body.appendUnique(key: member.key, value: member.value)
            }
        }
        for (parent, components) in compounds where body[parent] == nil {
            body.appendUnique(key: parent, value: .object(components))
        }
        let deleted = record["IsDeleted"]?.boolValue == true
        let command = RecordCommand(
            operation: deleted ? .delete : .upsert,
            body: ChangeBody(fields: deleted ? [:] : body),
            facts: ChangeFacts(
                source: source,
                entity: entity,
                // A millisecond before LastModifiedDate: a live change committed in the same
                // (whole) second, which the read may not reflect, wins the tie.
                commitTimestamp: max(lastModified.millisecondsSinceEpoch - 1, notBefore),
                backfillJob: job
            )
        )
        return .success(ReadRecord(id: id, systemModstamp: modstamp.millisecondsSinceEpoch, lastModified: lastModified.millisecondsSinceEpoch, command: command))
    }

    /// Why a REST record could not be used.
    public struct ReadError: Error, Sendable, Hashable {
        /// What is missing.
        public var reason: String
    }

    /// The REST name of a mapped source: `BillingAddress.City` → `BillingCity`.
    static func restName(_ source: String) -> String {
        guard let dot = source.firstIndex(of: "."), source[..<dot].hasSuffix("Address") else { return source }
        return String(source[..<dot].dropLast("Address".count)) + source[source.index(after: dot)...]
    }

    /// `BillingCity` → (`BillingAddress`, `City`): the address compounds' flat REST fields.
    static func compoundParts(_ name: String) -> (String, String)? {
        for prefix in ["Billing", "Shipping", "Mailing", "Other"] where name.hasPrefix(prefix) {
            let component = String(name.dropFirst(prefix.count))
            if addressComponents.contains(component) { return (prefix + "Address", component) }
        }
        return nil
    }

    static let addressComponents: Set<String> = [
        "Street", "City", "State", "PostalCode", "Country", "StateCode", "CountryCode", "Latitude", "Longitude", "GeocodeAccuracy",
    ]
}

/// Where a backfill stands: the `SystemModstamp` and `Id` of the last record of the last page
/// applied.
public struct BackfillWatermark: Sendable, Hashable {
    /// Epoch milliseconds.
    public var systemModstamp: Int64
    /// The record's id.
    public var id: String

    /// A watermark.
    public init(systemModstamp: Int64, id: String) {
        self.systemModstamp = systemModstamp
        self.id = id
    }
}
