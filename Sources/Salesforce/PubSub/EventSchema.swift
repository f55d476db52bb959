import JSON

/// The field order of a change event's Avro schema: what decoding Pub/Sub bitmaps needs.
///
/// `ChangeEventHeader` has no entry in ``nestedFieldOrder``: bitmaps never address its members.
public struct EventSchema: Sendable, Hashable {
    /// The top-level field names in schema order; field 0 is `ChangeEventHeader`.
    public let fieldOrder: [String]
    /// The nested field names of each compound field (a field whose type is, or is a union
    /// containing, an Avro record), in schema order.
    public let nestedFieldOrder: [String: [String]]

    /// A schema from known orders, taken as they are (not checked).
    public init(fieldOrder: [String], nestedFieldOrder: [String: [String]]) {
        self.fieldOrder = fieldOrder
        self.nestedFieldOrder = nestedFieldOrder
    }

    /// Reads an Avro schema as Salesforce serves it (GET /services/data/vXX.X/event/eventSchema/<id>).
    ///
    /// Named types are registered by name and fullname, so a later field may use an earlier record
    /// (`ShippingAddress` of type `["null", "Address"]`). Throws, saying where, unless the schema is
    /// a record of named, typed fields, `ChangeEventHeader` first, no name twice, no unknown type.
    public init(avroSchema: JSONValue) throws(EventSchemaError) {
        guard case .object(let root) = avroSchema else {
            throw EventSchemaError(message: "the schema is \(describe(avroSchema)), not an Avro record object")
        }
        guard root["type"]?.stringValue == "record" else {
            throw EventSchemaError(message: "the schema's \"type\" is \(describe(root["type"])), not \"record\"")
        }
        var reader = AvroReader()
        let fields = try reader.record(root, enclosing: "", at: "", depth: 0)
        try Self.checkHeaderFirst(fields.map(\.name))
        let nested = fields.dropFirst().compactMap { field in field.nested.map { (field.name, $0) } }
        self.init(fieldOrder: fields.map(\.name), nestedFieldOrder: Dictionary(nested) { first, _ in first })
    }

    /// The schema learned from a decoded Pub/Sub payload whose keys are in schema order and which
    /// carries every field (header first); nil when its first key is not ChangeEventHeader.
    /// Nested orders come from object-valued members' keys: a compound that is null gets none.
    public init?(learningFrom payload: JSONObject) {
        guard payload.members.first?.key == ChangeEventHeader.jsonKey else { return nil }
        self.init(schemaOrderedFields: JSONObject(Array(payload.members.dropFirst())))
    }

    /// The schema a payload's body implies when its members are in schema order (as in decoded
    /// Pub/Sub payloads): the header, then the body's members in order (``ChangeEvent/fields``).
    /// Nested orders come from object-valued members' keys: a compound that is null gets none.
    public init(schemaOrderedFields fields: JSONObject) {
        let nested = fields.compactMap { member in member.value.objectValue.map { (member.key, $0.keys) } }
        self.init(fieldOrder: [ChangeEventHeader.jsonKey] + fields.keys, nestedFieldOrder: Dictionary(nested) { first, _ in first })
    }

    /// The form for storage: `{"fields": [...], "nested": {"BillingAddress": [...]}}`, nested
    /// orders in field order (any not naming a field follow, sorted).
    public var json: JSONValue {
        let strings = { (names: [String]) in JSONValue.array(names.map(JSONValue.string)) }
        var nested = JSONObject()
        for name in fieldOrder { if let order = nestedFieldOrder[name] { nested[name] = strings(order) } }
        for name in nestedFieldOrder.keys.sorted() where nested[name] == nil {
            nested[name] = strings(nestedFieldOrder[name] ?? [])
        }
        return ["fields": strings(fieldOrder), "nested": .object(nested)]
    }

    /// A schema from its stored form (``json``).
    /// - Throws: when the form is malformed, or its fields do not start with `ChangeEventHeader`
    ///   or name a field twice.
    public init(json: JSONValue) throws(EventSchemaError) {
        guard case .object(let object) = json else {
            throw EventSchemaError(message: "a stored event schema is an object with \"fields\", found \(describe(json))")
        }
        let fields = try Self.names(object["fields"], at: "\"fields\"")
        try Self.checkHeaderFirst(fields)
        var seen: Set<String> = []
        for (index, name) in fields.enumerated() where !seen.insert(name).inserted {
            throw EventSchemaError(message: "\"fields\" element \(index): \(name.prefix(80)) is listed twice")
        }
        var nested: [String: [String]] = [:]
        switch object["nested"] {
        case nil, .null?: break
        case .object(let members)?:
            for member in members { nested[member.key] = try Self.names(member.value, at: "\"nested\".\(member.key)") }
        case let other?:
            throw EventSchemaError(message: "\"nested\" is \(describe(other)), not an object")
        }
        self.init(fieldOrder: fields, nestedFieldOrder: nested)
    }

    /// Decodes bitmap entries into field names with this schema (wraps
    /// ``ChangedFieldList/decodeBitmaps(_:fieldOrder:nestedFieldOrder:)``).
    public func decode(_ entries: [String]) throws(ChangeEventError) -> [String] {
        try ChangedFieldList.decodeBitmaps(entries, fieldOrder: fieldOrder, nestedFieldOrder: { nestedFieldOrder[$0] })
    }

    private static func checkHeaderFirst(_ names: [String]) throws(EventSchemaError) {
        guard let first = names.first, first == ChangeEventHeader.jsonKey else {
            throw EventSchemaError(message: names.first.map { "the schema's first field is \($0.prefix(80)), not ChangeEventHeader" }
                ?? "the schema has no fields; its first field must be ChangeEventHeader")
        }
    }

    private static func names(_ value: JSONValue?, at place: String) throws(EventSchemaError) -> [String] {
        guard case .array(let elements)? = value else {
            throw EventSchemaError(message: "\(place) is \(describe(value)), not an array of field names")
        }
        var names: [String] = []
        for (index, element) in elements.enumerated() {
            guard case .string(let name) = element else {
                throw EventSchemaError(message: "\(place) element \(index) is \(describe(element)), not a field name")
            }
            names.append(name)
        }
        return names
    }
}

/// Why an event schema could not be read: what is wrong and where.
public struct EventSchemaError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What is wrong, naming the field (index and name) or member at fault.
    public var message: String

    /// An error saying `message`.
    public init(message: String) { self.message = message }

    /// The message.
    public var description: String { message }
}

/// A short description of a JSON value found where something else was expected.
private func describe(_ value: JSONValue?) -> String {
    switch value {
    case nil: "missing"
    case .null?: "null"
    case .string(let text)?: "\"\(text.prefix(40))\""
    case .array?, .object?: "an \(value?.kindName ?? "")"
    case let other?: "a \(other.kindName)"
    }
}

/// Walks Avro types, registering named types so that later references resolve.
private struct AvroReader {
    private static let primitives: Set<String> = ["null", "boolean", "int", "long", "float", "double", "bytes", "string"]
    private static let maximumDepth = 64
    /// Named types by fullname and by name: a record's field names, or `nil` for an enum or fixed.
    private var named: [String: [String]?] = [:]
    /// The fullnames defined, which must be unique.
    private var fullnames: Set<String> = []

    /// A field's name and, for a compound field, its nested field names.
    typealias Field = (name: String, nested: [String]?)

    /// A record's fields, registering the record and the named types they define.
    mutating func record(_ object: JSONObject, enclosing: String, at place: String, depth: Int) throws(EventSchemaError) -> [Field] {
        guard case .array(let fields)? = object["fields"] else {
            throw failure(place, "a record needs a \"fields\" array, found \(describe(object["fields"]))")
        }
        var names: [String] = []
        var indexByName: [String: Int] = [:]
        for (index, field) in fields.enumerated() {
            guard case .object(let member) = field else {
                throw failure(place, "field \(index) is \(describe(field)), not an object with a name and a type")
            }
            guard case .string(let name)? = member["name"] else {
                throw failure(place, "field \(index)'s name is \(describe(member["name"])), not a string")
            }
            if let earlier = indexByName.updateValue(index, forKey: name) {
                throw failure(place, "field \(index) is named \(name.prefix(80)), like field \(earlier)")
            }
            guard member["type"] != nil else { throw failure(place, "field \(index) (\(name.prefix(80))) has no \"type\"") }
            names.append(name)
        }
        let namespace = try define(object, as: names, in: enclosing, at: place)
        var result: [Field] = []
        for (index, (field, name)) in zip(fields, names).enumerated() {
            let at = (place.isEmpty ? "" : "\(place), ") + "field \(index) (\(name.prefix(80)))"
            result.append((name, try type(field["type"] ?? .null, namespace: namespace, at: at, depth: depth + 1)))
        }
        return result
    }

    /// Reads a type, returning the field names of the record it is or, for a union, holds first.
    private mutating func type(_ type: JSONValue, namespace: String, at place: String, depth: Int) throws(EventSchemaError) -> [String]? {
        guard depth < Self.maximumDepth else { throw failure(place, "types nest deeper than \(Self.maximumDepth) levels") }
        switch type {
        case .string(let name):
            if Self.primitives.contains(name) { return nil }
            if !namespace.isEmpty, !name.contains("."), let found = named["\(namespace).\(name)"] { return found }
            if let found = named[name] { return found }
            throw failure(place, "type \"\(name.prefix(80))\" is neither primitive nor a named type defined before")
        case .array(let members):
            var nested: [String]?
            for (index, member) in members.enumerated() {
                let found = try self.type(member, namespace: namespace, at: "\(place), union member \(index)", depth: depth + 1)
                nested = nested ?? found
            }
            return nested
        case .object(let object):
            switch object["type"] {
            case .string("record")?, .string("error")?:
                return try record(object, enclosing: namespace, at: place, depth: depth).map(\.name)
            case .string("enum")?, .string("fixed")?:
                _ = try define(object, as: nil, in: namespace, at: place)
                return nil
            case .string("array")?, .string("map")?:
                let (kind, key) = object["type"] == "array" ? ("array", "items") : ("map", "values")
                guard let inner = object[key] else { throw failure(place, "an Avro \(kind) needs \"\(key)\"") }
                _ = try self.type(inner, namespace: namespace, at: "\(place), \(key)", depth: depth + 1)
                return nil
            case let inner?:
                return try self.type(inner, namespace: namespace, at: place, depth: depth + 1)
            case nil:
                throw failure(place, "a type object needs a \"type\"")
            }
        default:
            throw failure(place, "a type is a name, an object or a union array, found \(describe(type))")
        }
    }

    /// Registers a named type by fullname and (unless taken) by name; returns its namespace.
    private mutating func define(_ object: JSONObject, as fields: [String]?, in enclosing: String, at place: String) throws(EventSchemaError) -> String {
        guard case .string(let name)? = object["name"], !name.isEmpty else {
            throw failure(place, "a named type needs a non-empty string \"name\", found \(describe(object["name"]))")
        }
        var namespace = object["namespace"]?.stringValue ?? enclosing
        var shortName = name
        if let dot = name.lastIndex(of: ".") {
            namespace = String(name[..<dot])
            shortName = String(name[name.index(after: dot)...])
        }
        let fullname = namespace.isEmpty ? shortName : "\(namespace).\(shortName)"
        guard fullnames.insert(fullname).inserted else { throw failure(place, "the type \(fullname.prefix(80)) is defined twice") }
        named[fullname] = .some(fields)
        if named.index(forKey: shortName) == nil { named[shortName] = .some(fields) }
        return namespace
    }

    private func failure(_ place: String, _ message: String) -> EventSchemaError {
        EventSchemaError(message: place.isEmpty ? "the schema: \(message)" : "\(place): \(message)")
    }
}
