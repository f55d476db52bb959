import EventSourcing
import JSON

/// A record as queries see it: its mapped domain fields and where it stands in the log.
public struct RecordView: Sendable, Hashable {
    /// The Salesforce id (18 characters).
    public var id: String
    /// The record type.
    public var recordType: RecordType
    /// The record's stream version.
    public var version: UInt64
    /// Whether the record is deleted (in Salesforce's recycle bin).
    public var deleted: Bool
    /// The journal position of the record's last event.
    public var position: UInt64
    /// When the record's last event was recorded.
    public var updatedAt: Timestamp
    /// The domain fields, per the mapping in force.
    public var fields: JSONObject

    /// The JSON form served by the API (`GET /v1/{aggregate}/{id}`).
    public var json: JSONValue {
        [
            "id": .string(id),
            "aggregate": .string(recordType.rawValue),
            "version": .number(JSONNumber(Int64(version))),
            "deleted": .bool(deleted),
            "position": .number(JSONNumber(Int64(position))),
            "updatedAt": .string(updatedAt.iso8601),
            "fields": .object(fields),
        ]
    }

    /// The bytes of ``json``, written straight out rather than through a `JSONValue` tree: the
    /// read models render one with every change they fold in.
    public func jsonBytes() -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(128 + 32 * fields.count)
        bytes.append(contentsOf: #"{"id":"#.utf8)
        JSONValue.string(id).write(to: &bytes)
        bytes.append(contentsOf: #","aggregate":"#.utf8)
        JSONValue.string(recordType.rawValue).write(to: &bytes)
        bytes.append(contentsOf: #","version":"#.utf8)
        bytes.append(contentsOf: String(version).utf8)
        bytes.append(contentsOf: #","deleted":"#.utf8)
        bytes.append(contentsOf: (deleted ? "true" : "false").utf8)
        bytes.append(contentsOf: #","position":"#.utf8)
        bytes.append(contentsOf: String(position).utf8)
        bytes.append(contentsOf: #","updatedAt":"#.utf8)
        JSONValue.string(updatedAt.iso8601).write(to: &bytes)
        bytes.append(contentsOf: #","fields":"#.utf8)
        JSONValue.object(fields).write(to: &bytes)
        bytes.append(UInt8(ascii: "}"))
        return bytes
    }
}
