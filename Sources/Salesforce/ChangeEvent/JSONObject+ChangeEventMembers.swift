import JSON

// Strict, path-naming readers for the members of change events: each failure says which member,
// what was expected and what was found, so a client can fix the event it sent.
extension JSONObject {
    /// The member `key`, which must be a string.
    func requiredString(_ key: String, in path: String) throws(ChangeEventError) -> String {
        guard let value = try optionalString(key, in: path, nullAllowed: false) else {
            throw .missing(key, in: path, expected: "a string")
        }
        return value
    }

    /// The member `key`, a string when present; `nil` when absent (or `null`, if allowed).
    func optionalString(_ key: String, in path: String, nullAllowed: Bool = true) throws(ChangeEventError) -> String? {
        switch self[key] {
        case nil: return nil
        case .null? where nullAllowed: return nil
        case .string(let value)?: return value
        case let value?: throw .wrongType(key, in: path, expected: "a string", found: value)
        }
    }

    /// The member `key`, which must be an integer number that fits in 64 bits.
    func requiredInt64(_ key: String, in path: String) throws(ChangeEventError) -> Int64 {
        guard let value = try optionalInt64(key, in: path, nullAllowed: false) else {
            throw .missing(key, in: path, expected: ChangeEventError.integerExpectation)
        }
        return value
    }

    /// The member `key`, an exact 64-bit integer when present; `nil` when absent (or `null`, if
    /// allowed). Read from the number's text, never through `Double`.
    func optionalInt64(_ key: String, in path: String, nullAllowed: Bool = true) throws(ChangeEventError) -> Int64? {
        switch self[key] {
        case nil: return nil
        case .null? where nullAllowed: return nil
        case .number(let number)?:
            guard let value = number.int64Value else {
                throw .wrongType(key, in: path, expected: ChangeEventError.integerExpectation, found: .number(number))
            }
            return value
        case let value?:
            throw .wrongType(key, in: path, expected: ChangeEventError.integerExpectation, found: value)
        }
    }

    /// The member `key`, which must be an array of strings.
    func requiredStringArray(_ key: String, in path: String) throws(ChangeEventError) -> [String] {
        guard let value = try optionalStringArray(key, in: path, nullAllowed: false) else {
            throw .missing(key, in: path, expected: "an array of strings")
        }
        return value
    }

    /// The member `key`, an array of strings when present; `nil` when absent (or `null`, if
    /// allowed).
    func optionalStringArray(
        _ key: String,
        in path: String,
        nullAllowed: Bool = true
    ) throws(ChangeEventError) -> [String]? {
        switch self[key] {
        case nil: return nil
        case .null? where nullAllowed: return nil
        case .array(let elements)?:
            var strings: [String] = []
            strings.reserveCapacity(elements.count)
            for (index, element) in elements.enumerated() {
                guard case .string(let string) = element else {
                    throw ChangeEventError(
                        field: "\(path).\(key)[\(index)]",
                        message: "expected a string, found \(element.foundDescription)"
                    )
                }
                strings.append(string)
            }
            return strings
        case let value?:
            throw .wrongType(key, in: path, expected: "an array of strings", found: value)
        }
    }

    /// The member `key`, an object when present; `nil` when absent or `null`.
    func optionalObject(_ key: String, in path: String) throws(ChangeEventError) -> JSONObject? {
        switch self[key] {
        case nil, .null?: return nil
        case .object(let object)?: return object
        case let value?: throw .wrongType(key, in: path, expected: "an object", found: value)
        }
    }

    /// The member `key` as opaque text: a string as it is, a number as its literal text; `nil`
    /// when absent or `null`. Used for replay ids, which are opaque tokens.
    func optionalOpaqueText(_ key: String, in path: String) throws(ChangeEventError) -> String? {
        switch self[key] {
        case nil, .null?: return nil
        case .string(let value)?: return value
        case .number(let number)?: return number.text
        case let value?: throw .wrongType(key, in: path, expected: "a number or a string", found: value)
        }
    }
}

extension ChangeEventError {
    /// The expectation stated for integer members.
    static let integerExpectation = "an integer (no fraction or exponent, within 64 bits)"

    /// A required member is absent.
    static func missing(_ key: String, in path: String, expected: String) -> ChangeEventError {
        ChangeEventError(field: joined(path, key), message: "expected \(expected), found nothing (the member is missing)")
    }

    /// A member has the wrong type.
    static func wrongType(_ key: String, in path: String, expected: String, found: JSONValue) -> ChangeEventError {
        ChangeEventError(field: joined(path, key), message: "expected \(expected), found \(found.foundDescription)")
    }

    /// `path.key`, or `key` alone at the top level.
    static func joined(_ path: String, _ key: String) -> String {
        path.isEmpty ? key : "\(path).\(key)"
    }
}

extension JSONValue {
    /// This value described for an error message: its kind, and for scalars a short rendering.
    var foundDescription: String {
        switch self {
        case .null: return "null"
        case .bool(let value): return "boolean \(value)"
        case .number(let number): return "number \(number.text.prefix(40))"
        case .string(let string):
            let shown = string.count > 40 ? String(string.prefix(40)) + "…" : string
            return "string \"\(shown)\""
        case .array(let elements): return "an array of \(elements.count) element\(elements.count == 1 ? "" : "s")"
        case .object: return "an object"
        }
    }
}
