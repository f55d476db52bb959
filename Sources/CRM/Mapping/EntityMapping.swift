import JSON

/// How one record type is fed: its Salesforce object and its domain fields.
public struct EntityMapping: Sendable, Hashable {
    /// The record type.
    public var recordType: RecordType
    /// The Salesforce object API name, e.g. `Account`.
    public var objectName: String
    /// The domain fields, in the order views list them.
    public var fields: [FieldMapping]

    /// A mapping.
    public init(recordType: RecordType, objectName: String, fields: [FieldMapping]) {
        self.recordType = recordType
        self.objectName = objectName
        self.fields = fields
    }

    /// The domain fields of `state`. A value that does not convert to its type is shown as null.
    public func domainFields(of state: RecordState) -> JSONObject {
        var object = JSONObject()
        object.reserveCapacity(fields.count)
        for field in fields {
            let value = (try? field.value(in: state).get()) ?? .null
            object.appendUnique(key: field.name, value: value)
        }
        return object
    }

    /// The mapping of the domain field `name`, if mapped.
    public func field(named name: String) -> FieldMapping? {
        fields.first { $0.name == name }
    }
}

/// The mappings in force: which Salesforce object feeds which record type.
public struct MappingSet: Sendable, Hashable {
    /// The mappings by record type.
    public private(set) var byType: [RecordType: EntityMapping]
    private var byObject: [String: RecordType]

    /// A set of mappings; a later mapping for the same type or object replaces an earlier one.
    public init(_ mappings: [EntityMapping]) {
        byType = [:]
        byObject = [:]
        for mapping in mappings {
            byType[mapping.recordType] = mapping
        }
        for mapping in byType.values {
            byObject[mapping.objectName] = mapping.recordType
        }
    }

    /// The record type fed by Salesforce object `objectName`, if mapped.
    public func recordType(forObject objectName: String) -> RecordType? {
        byObject[objectName]
    }

    /// The mapping of `type`, if mapped.
    public subscript(type: RecordType) -> EntityMapping? {
        byType[type]
    }

    /// The mapped record types.
    public var recordTypes: [RecordType] {
        RecordType.allCases.filter { byType[$0] != nil }
    }
}

extension EntityMapping {
    /// A text that is the same for equal mappings in every process (dictionaries sorted), for
    /// snapshot stamps: a read-model snapshot is only loaded under the mapping it was built with.
    public var canonicalText: String {
        var text = "\(recordType.rawValue) \(objectName)"
        for field in fields {
            text += "\n\(field.name) \(field.sources) \(field.type.canonicalText) \(field.transforms)"
            if let value = field.defaultValue { text += " default \(value.jsonString)" }
        }
        return text
    }
}

extension FieldType {
    /// The type as text, picklist values in order.
    var canonicalText: String {
        guard case .picklist(let values, let strict) = self else { return String(describing: self) }
        let pairs = values.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        return "picklist(\(pairs), strict: \(strict))"
    }
}
