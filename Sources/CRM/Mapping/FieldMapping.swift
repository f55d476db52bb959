import JSON

/// How one domain field is read from a record's Salesforce fields.
///
/// The value is the first non-null of `sources` (source paths such as `Industry`,
/// `BillingAddress.City` or its flat REST twin `BillingCity`), transformed, converted to `type`,
/// and `defaultValue` when every source is null or missing.
public struct FieldMapping: Sendable, Hashable {
    /// The domain field name, e.g. `billingCity`.
    public var name: String
    /// Source paths, tried in order.
    public var sources: [String]
    /// The domain type.
    public var type: FieldType
    /// Text transforms applied before conversion, in order.
    public var transforms: [FieldTransform]
    /// The value when every source is null.
    public var defaultValue: JSONValue?

    /// A field mapping.
    public init(
        _ name: String,
        from sources: [String],
        type: FieldType = .string,
        transforms: [FieldTransform] = [],
        defaultValue: JSONValue? = nil
    ) {
        self.name = name
        self.sources = sources
        self.type = type
        self.transforms = transforms
        self.defaultValue = defaultValue
    }

    /// The domain value for `state`, or the reason the source value does not convert.
    public func value(in state: RecordState) -> Result<JSONValue, FieldConversionError> {
        var raw: JSONValue?
        if transforms.contains(where: \.combinesSources) {
            raw = FieldTransform.combine(sources.map { state.value(at: $0) }, transforms: transforms)
        } else {
            for source in sources {
                if let value = state.value(at: source), !value.isNull {
                    raw = value
                    break
                }
            }
        }
        guard var value = raw else { return .success(defaultValue ?? .null) }
        for transform in transforms { value = transform.apply(to: value) }
        if value.isNull { return .success(defaultValue ?? .null) }
        return type.convert(value).mapError { error in
            var named = error
            named.field = name
            return named
        }
    }
}

/// A text transform applied to a source value before conversion.
public enum FieldTransform: Sendable, Hashable {
    /// Removes leading and trailing white space; an empty result is null.
    case trim
    /// Lower-cases text.
    case lowercase
    /// Upper-cases text.
    case uppercase
    /// Joins the text of every non-null source with `separator`, instead of taking the first.
    case concatenate(separator: String)

    /// The name used in mapping files.
    public var name: String {
        switch self {
        case .trim: "trim"
        case .lowercase: "lowercase"
        case .uppercase: "uppercase"
        case .concatenate: "concatenate"
        }
    }

    var combinesSources: Bool {
        if case .concatenate = self { return true }
        return false
    }

    func apply(to value: JSONValue) -> JSONValue {
        guard case .string(let text) = value else { return value }
        switch self {
        case .trim:
            let trimmed = text.trimmingWhitespace()
            return trimmed.isEmpty ? .null : .string(trimmed)
        case .lowercase: return .string(text.lowercased())
        case .uppercase: return .string(text.uppercased())
        case .concatenate: return value
        }
    }

    static func combine(_ values: [JSONValue?], transforms: [FieldTransform]) -> JSONValue? {
        guard case .concatenate(let separator) = transforms.first(where: \.combinesSources) else { return nil }
        let parts = values.compactMap { $0?.scalarText }
        return parts.isEmpty ? nil : .string(parts.joined(separator: separator))
    }
}

extension String {
    func trimmingWhitespace() -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
            let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })
        else { return "" }
        return String(scalars[first...last])
    }
}
