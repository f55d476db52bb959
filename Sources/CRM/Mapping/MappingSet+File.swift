import JSON

/// A mapping file that cannot be used; `path` names the entry at fault.
public struct MappingFileError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Where in the file, e.g. `mappings[1].fields[3] (deals.stage)`.
    public var path: String
    /// What is wrong and what is allowed.
    public var message: String

    /// An error at `path`.
    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }

    public var description: String { "\(path): \(message)" }
}

extension MappingSet {
    /// The mappings of a mapping file laid over `base`: each entry replaces the mapping of the
    /// aggregate it names; aggregates it does not name keep theirs.
    ///
    /// ```json
    /// {"mappings": [{"aggregate": "deals", "object": "Opportunity", "fields": [
    ///   {"name": "amount", "source": "Amount", "type": "decimal"},
    ///   {"name": "stage", "source": "StageName", "type": "picklist", "values": {"Closed Won": "won"}, "strict": false},
    ///   {"name": "clientId", "source": "AccountId", "type": "reference", "references": "clients"},
    ///   {"name": "label", "sources": ["Name", "Code__c"], "transforms": ["trim", {"concatenate": " / "}], "default": "n/a"}
    /// ]}]}
    /// ```
    public init(file json: JSONValue, base: MappingSet = .defaults) throws(MappingFileError) {
        guard let entries = json["mappings"]?.arrayValue else {
            throw MappingFileError(path: "mappings", message: "expected an array of aggregate mappings at the top level")
        }
        var mappings = RecordType.allCases.compactMap { base[$0] }
        var seen = Set<RecordType>()
        for (index, entry) in entries.enumerated() {
            let mapping = try EntityMapping(file: entry, path: "mappings[\(index)]")
            guard seen.insert(mapping.recordType).inserted else {
                throw MappingFileError(path: "mappings[\(index)]", message: "\(mapping.recordType.rawValue) is mapped twice")
            }
            mappings.removeAll { $0.recordType == mapping.recordType }
            mappings.append(mapping)
        }
        var objects: [String: RecordType] = [:]
        for mapping in mappings {
            if let other = objects.updateValue(mapping.recordType, forKey: mapping.objectName) {
                throw MappingFileError(
                    path: "mappings",
                    message: "\(mapping.objectName) feeds both \(other.rawValue) and \(mapping.recordType.rawValue)"
                )
            }
        }
        self.init(mappings)
    }
}

extension EntityMapping {
    init(file entry: JSONValue, path: String) throws(MappingFileError) {
        guard case .object(let object) = entry else {
            throw MappingFileError(path: path, message: "expected an object with aggregate, object and fields")
        }
        try object.refuseUnknownKeys(["aggregate", "object", "fields"], path: path)
        let aggregateName = try object.requiredString("aggregate", path: path)
        guard let recordType = RecordType(rawValue: aggregateName) else {
            throw MappingFileError(
                path: "\(path).aggregate",
                message: "unknown aggregate '\(aggregateName)'; one of \(RecordType.allCases.map(\.rawValue).joined(separator: ", "))"
            )
        }
        let objectName = try object.optionalString("object", path: path) ?? recordType.defaultObjectName
        guard let fieldEntries = object["fields"]?.arrayValue, !fieldEntries.isEmpty else {
            throw MappingFileError(path: "\(path).fields", message: "expected a non-empty array of fields")
        }
        var fields: [FieldMapping] = []
        for (index, fieldEntry) in fieldEntries.enumerated() {
            let field = try FieldMapping(file: fieldEntry, path: "\(path).fields[\(index)]", recordType: recordType)
            guard !fields.contains(where: { $0.name == field.name }) else {
                throw MappingFileError(path: "\(path).fields[\(index)]", message: "the field '\(field.name)' is mapped twice")
            }
            fields.append(field)
        }
        self.init(recordType: recordType, objectName: objectName, fields: fields)
    }
}

extension FieldMapping {
    init(file entry: JSONValue, path basePath: String, recordType: RecordType) throws(MappingFileError) {
        guard case .object(let object) = entry else {
            throw MappingFileError(path: basePath, message: "expected an object with name, source(s) and type")
        }
        let name = try object.requiredString("name", path: basePath)
        let path = "\(basePath) (\(recordType.rawValue).\(name))"
        try object.refuseUnknownKeys(
            ["name", "source", "sources", "type", "values", "strict", "references", "transforms", "default"],
            path: path
        )
        var sources: [String] = []
        if let source = try object.optionalString("source", path: path) { sources.append(source) }
        if let list = object["sources"] {
            guard let items = list.arrayValue, items.allSatisfy({ $0.stringValue != nil }) else {
                throw MappingFileError(path: "\(path).sources", message: "expected an array of Salesforce field names")
            }
            sources += items.compactMap(\.stringValue)
        }
        guard !sources.isEmpty else {
            throw MappingFileError(path: path, message: "give the Salesforce field in 'source' or several in 'sources'")
        }
        let type = try FieldType(file: object, path: path)
        var transforms: [FieldTransform] = []
        for (index, transform) in (object["transforms"]?.arrayValue ?? []).enumerated() {
            transforms.append(try FieldTransform(file: transform, path: "\(path).transforms[\(index)]"))
        }
        if object["transforms"] != nil, object["transforms"]?.arrayValue == nil {
            throw MappingFileError(path: "\(path).transforms", message: "expected an array of transforms")
        }
        var defaultValue = object["default"]
        if let given = defaultValue, !given.isNull {
            switch type.convert(given) {
            case .success(let converted): defaultValue = converted
            case .failure(let error):
                throw MappingFileError(path: "\(path).default", message: "\(error)")
            }
        }
        self.init(name, from: sources, type: type, transforms: transforms, defaultValue: defaultValue)
    }
}

extension FieldType {
    static let fileNames = ["string", "integer", "decimal", "boolean", "date", "datetime", "picklist", "reference"]

    init(file object: JSONObject, path: String) throws(MappingFileError) {
        let name = try object.optionalString("type", path: path) ?? "string"
        switch name {
        case "string": self = .string
        case "integer": self = .integer
        case "decimal": self = .decimal
        case "boolean": self = .boolean
        case "date": self = .date
        case "datetime": self = .datetime
        case "picklist":
            var values: [String: String] = [:]
            if let map = object["values"] {
                guard let members = map.objectValue else {
                    throw MappingFileError(path: "\(path).values", message: "expected an object of Salesforce value → domain value")
                }
                for member in members {
                    guard let text = member.value.stringValue else {
                        throw MappingFileError(path: "\(path).values.\(member.key)", message: "expected a string")
                    }
                    values[member.key] = text
                }
            }
            if let strict = object["strict"], strict.boolValue == nil {
                throw MappingFileError(path: "\(path).strict", message: "expected true or false, found \(strict.jsonString)")
            }
            let strict = object["strict"]?.boolValue ?? false
            self = .picklist(values: values, strict: strict)
        case "reference":
            let target = try object.requiredString("references", path: path)
            guard let type = RecordType(rawValue: target) else {
                throw MappingFileError(path: "\(path).references", message: "unknown aggregate '\(target)'")
            }
            self = .reference(type)
        default:
            throw MappingFileError(
                path: "\(path).type",
                message: "unknown type '\(name)'; one of \(FieldType.fileNames.joined(separator: ", "))"
            )
        }
    }
}

extension FieldTransform {
    init(file entry: JSONValue, path: String) throws(MappingFileError) {
        switch entry {
        case .string("trim"): self = .trim
        case .string("lowercase"): self = .lowercase
        case .string("uppercase"): self = .uppercase
        case .object(let object) where object.count == 1 && object["concatenate"]?.stringValue != nil:
            self = .concatenate(separator: object["concatenate"]?.stringValue ?? "")
        default:
            throw MappingFileError(
                path: path,
                message: "unknown transform \(entry.jsonString); one of \"trim\", \"lowercase\", \"uppercase\", {\"concatenate\": \"<separator>\"}"
            )
        }
    }
}

extension JSONObject {
    fileprivate func refuseUnknownKeys(_ known: Set<String>, path: String) throws(MappingFileError) {
        if let unknown = keys.first(where: { !known.contains($0) }) {
            throw MappingFileError(
                path: "\(path).\(unknown)",
                message: "unknown key '\(unknown)'; expected one of \(known.sorted().joined(separator: ", "))"
            )
        }
    }

    fileprivate func requiredString(_ key: String, path: String) throws(MappingFileError) -> String {
        guard let value = try optionalString(key, path: path) else {
            throw MappingFileError(path: "\(path).\(key)", message: "missing")
        }
        return value
    }

    fileprivate func optionalString(_ key: String, path: String) throws(MappingFileError) -> String? {
        guard let value = self[key] else { return nil }
        guard let text = value.stringValue, !text.isEmpty else {
            throw MappingFileError(path: "\(path).\(key)", message: "expected a non-empty string, found \(value.jsonString)")
        }
        return text
    }
}
