import EventSourcing
import JSON

/// The type of a mapped domain field, and how a Salesforce value converts to it.
public enum FieldType: Sendable, Hashable {
    /// Text. Numbers and booleans are taken as their text.
    case string
    /// A whole number (exact, 64-bit).
    case integer
    /// An exact decimal, kept as written (never through `Double`).
    case decimal
    /// `true` / `false` (also from the strings `"true"` / `"false"`).
    case boolean
    /// A calendar date, `YYYY-MM-DD`.
    case date
    /// An instant, written as RFC 3339 UTC with milliseconds; accepts ISO strings and epoch ms.
    case datetime
    /// One of a set of values, renamed through `values` (Salesforce value → domain value).
    /// Unknown values are kept as they are unless `strict`, in which case they fail to convert.
    case picklist(values: [String: String], strict: Bool)
    /// The id of a record of another type (a relationship).
    case reference(RecordType)

    /// The name used in mapping files.
    public var name: String {
        switch self {
        case .string: "string"
        case .integer: "integer"
        case .decimal: "decimal"
        case .boolean: "boolean"
        case .date: "date"
        case .datetime: "datetime"
        case .picklist: "picklist"
        case .reference: "reference"
        }
    }

    /// Converts a (non-null) Salesforce value to this type.
    public func convert(_ value: JSONValue) -> Result<JSONValue, FieldConversionError> {
        switch (self, value) {
        case (.string, .string), (.reference, .string):
            return .success(value)
        case (.string, .number(let number)):
            return .success(.string(number.text))
        case (.string, .bool(let flag)):
            return .success(.string(flag ? "true" : "false"))
        case (.integer, .number(let number)) where number.int64Value != nil:
            return .success(value)
        case (.integer, .string(let text)) where Int64(text) != nil:
            return .success(.number(JSONNumber(Int64(text) ?? 0)))
        case (.decimal, .number):
            return .success(value)
        case (.decimal, .string(let text)):
            guard let number = JSONNumber(text: text) else { break }
            return .success(.number(number))
        case (.boolean, .bool):
            return .success(value)
        case (.boolean, .string(let text)) where text == "true" || text == "false":
            return .success(.bool(text == "true"))
        case (.datetime, .string(let text)):
            guard let timestamp = Timestamp(iso8601: text) else { break }
            return .success(.string(timestamp.iso8601))
        case (.datetime, .number(let number)):
            guard let millis = number.int64Value, FieldType.supportedMilliseconds.contains(millis) else { break }
            return .success(.string(Timestamp(millisecondsSinceEpoch: millis).iso8601))
        case (.date, .string(let text)):
            if let date = FieldType.calendarDate(text) { return .success(.string(date)) }
        case (.date, .number(let number)):
            // Pub/Sub (Avro) sends dates as days since the epoch.
            guard let days = number.int64Value, FieldType.supportedDays.contains(days) else { break }
            let day = Timestamp(millisecondsSinceEpoch: days * 86_400_000).iso8601
            return .success(.string(String(day.prefix(10))))
        case (.picklist(let values, let strict), .string(let text)):
            if let mapped = values[text] { return .success(.string(mapped)) }
            if !strict { return .success(value) }
            return .failure(FieldConversionError(value: value, expected: "one of \(values.keys.sorted().joined(separator: ", "))"))
        default:
            break
        }
        return .failure(FieldConversionError(value: value, expected: name))
    }

    /// Days since the epoch of 0001-01-01 through 9999-12-31: the dates Salesforce can hold, and
    /// a range whose arithmetic cannot overflow.
    static let supportedDays: ClosedRange<Int64> = -719_162...2_932_896
    /// Epoch milliseconds of the same range.
    static let supportedMilliseconds: ClosedRange<Int64> = (-719_162 * 86_400_000)...(2_932_897 * 86_400_000 - 1)

    /// `YYYY-MM-DD` (or the date part of a date-time) when it names a real day.
    private static func calendarDate(_ text: String) -> String? {
        let datePart = String(text.prefix(10))
        guard datePart.utf8.count == 10, let timestamp = Timestamp(iso8601: datePart + "T00:00:00Z") else { return nil }
        guard timestamp.iso8601.hasPrefix(datePart) else { return nil }
        if text.utf8.count > 10, Timestamp(iso8601: text) == nil { return nil }
        return datePart
    }
}

/// A Salesforce value that does not convert to its field's type.
public struct FieldConversionError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The value received.
    public var value: JSONValue
    /// What was expected instead.
    public var expected: String
    /// The domain field being converted, once known.
    public var field: String?

    public var description: String {
        let subject = field.map { "\($0): " } ?? ""
        return "\(subject)\(value.jsonString) is not a valid \(expected)"
    }
}
