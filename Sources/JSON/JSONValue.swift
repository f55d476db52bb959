/// A JSON document as Tributary keeps it: exact, ordered and cheap to carry.
///
/// Salesforce payloads pass through Tributary as facts, so nothing may be lost on the way:
/// numbers keep their literal text (a `commitNumber` above 2^53 or a currency amount must not
/// round through `Double`), and objects keep their members in the order they arrived (the order
/// of a Pub/Sub payload is the order of its Avro schema). The parser (`JSONValue(parsing:)`), the
/// writer (`jsonBytes()`) and the compact binary form the journal stores
/// (`encodeBinary(into:)` / `JSONValue(binary:)`) all work on this one type.
public enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case number(JSONNumber)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)
}

extension JSONValue {
    /// The string, if this is a string.
    @inlinable
    public var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    /// The boolean, if this is a boolean.
    @inlinable
    public var boolValue: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }

    /// The number, if this is a number.
    @inlinable
    public var numberValue: JSONNumber? {
        if case .number(let value) = self { return value }
        return nil
    }

    /// The number as an exact 64-bit integer, if this is a number written as one.
    @inlinable
    public var int64Value: Int64? { numberValue?.int64Value }

    /// The elements, if this is an array.
    @inlinable
    public var arrayValue: [JSONValue]? {
        if case .array(let value) = self { return value }
        return nil
    }

    /// The object, if this is an object.
    @inlinable
    public var objectValue: JSONObject? {
        if case .object(let value) = self { return value }
        return nil
    }

    /// Whether this is JSON `null`.
    @inlinable
    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// The member `key` of an object; `nil` for a missing member or a value that is not an object.
    @inlinable
    public subscript(key: String) -> JSONValue? {
        objectValue?[key]
    }

    /// The element at `index` of an array; `nil` out of range or for a value that is not an array.
    @inlinable
    public subscript(index: Int) -> JSONValue? {
        guard case .array(let elements) = self, elements.indices.contains(index) else { return nil }
        return elements[index]
    }

    /// The text of a scalar: a string as is, a number as written, `true` / `false`; `nil` for
    /// null, arrays and objects.
    public var scalarText: String? {
        switch self {
        case .string(let text): text
        case .number(let number): number.text
        case .bool(let flag): flag ? "true" : "false"
        case .null, .array, .object: nil
        }
    }

    /// A short name of this value's kind, for error messages ("string", "object", ...).
    public var kindName: String {
        switch self {
        case .null: "null"
        case .bool: "boolean"
        case .number: "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral, ExpressibleByFloatLiteral
{
    /// A string value.
    public init(stringLiteral value: String) { self = .string(value) }
    /// An integer value.
    public init(integerLiteral value: Int64) { self = .number(JSONNumber(value)) }
    /// A boolean value.
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    /// An array value.
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    /// An object value, members in the order written.
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(JSONObject(elements.map { JSONObject.Member(key: $0.0, value: $0.1) }))
    }
    /// `null`.
    public init(nilLiteral: ()) { self = .null }
    /// A number written from a `Double` literal.
    public init(floatLiteral value: Double) { self = .number(JSONNumber(value)) }
}

/// A JSON number kept as its literal text, so no digit is ever lost.
///
/// Conversions are exact or fail: `int64Value` is `nil` for `1.5` or for a value beyond Int64.
public struct JSONNumber: Sendable, Hashable, CustomStringConvertible {
    /// The number as written in JSON (for example `-12.50` or `1100670838951`).
    public let text: String

    /// A number from text already known to be a valid JSON number literal.
    @usableFromInline
    init(uncheckedText text: String) {
        self.text = text
    }

    /// A number from JSON number text; `nil` when the text is not a JSON number literal.
    public init?(text: String) {
        guard JSONNumber.isValidLiteral(text.utf8) else { return nil }
        self.text = text
    }

    /// An integer.
    public init(_ value: Int64) {
        self.text = String(value)
    }

    /// An integer.
    public init(_ value: Int) {
        self.text = String(value)
    }

    /// An unsigned integer (positions, versions).
    public init(_ value: UInt64) {
        self.text = String(value)
    }

    /// A floating-point number; non-finite values have no JSON form and become `0`.
    public init(_ value: Double) {
        self.text = value.isFinite ? "\(value)" : "0"
    }

    /// The value as an exact 64-bit integer, or `nil` when it has a fraction, an exponent or does
    /// not fit.
    @inlinable
    public var int64Value: Int64? { Int64(text) }

    /// The value as the nearest `Double` (may round: use only where that is acceptable).
    public var doubleValue: Double? { Double(text) }

    /// Whether the text has no fraction and no exponent.
    public var isInteger: Bool {
        !text.utf8.contains(where: { $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") })
    }

    public var description: String { text }

    /// Whether `bytes` is exactly one JSON number literal (RFC 8259 grammar).
    public static func isValidLiteral(_ bytes: some Collection<UInt8>) -> Bool {
        var iterator = bytes.makeIterator()
        var current = iterator.next()
        func advance() { current = iterator.next() }
        func isDigit(_ byte: UInt8?) -> Bool { byte.map { $0 >= 0x30 && $0 <= 0x39 } ?? false }

        if current == UInt8(ascii: "-") { advance() }
        guard let first = current, isDigit(first) else { return false }
        advance()
        if first != UInt8(ascii: "0") {
            while isDigit(current) { advance() }
        }
        if current == UInt8(ascii: ".") {
            advance()
            guard isDigit(current) else { return false }
            while isDigit(current) { advance() }
        }
        if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            advance()
            if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { advance() }
            guard isDigit(current) else { return false }
            while isDigit(current) { advance() }
        }
        return current == nil
    }
}
