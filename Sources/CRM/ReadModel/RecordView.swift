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
}
