import EventSourcing
import JSON

/// One record as a `RecordProjection` stores it: its state, the version and position of its last
/// event, and its view as the API serves it, rendered when the record last changed.
///
/// ```
/// u8 format (2) | varuint version | varuint position | varuint state length | the state
/// (RecordState binary form) | the view's JSON (empty while the record has no content)
/// ```
/// Part of the projection's stamp through ``format``: change the layout and bump it, so stored
/// read models are rebuilt rather than misread.
struct StoredRecord {
    /// The version of this encoding.
    static let format: UInt8 = 2

    var state = RecordState()
    var version: UInt64 = 0
    var position: UInt64 = 0
    /// Whether the record was read from the store (rather than seen for the first time).
    private(set) var wasStored = false

    /// A record with no events yet.
    init() {}

    /// Reads a stored record, all but its view's JSON (re-rendered whenever the record changes);
    /// throws naming `id` when the bytes do not decode.
    init(decoding bytes: [UInt8], id: String) throws {
        var reader = ByteReader(bytes)
        do {
            let (version, position, stateLength) = try Self.header(&reader, id: id)
            self.version = version
            self.position = position
            let stateEnd = reader.offset + stateLength
            state = try RecordState(decodingBinary: &reader)
            guard reader.offset == stateEnd else { throw StoredRecordError(id: id, reason: "the state's length does not match") }
        } catch let error as StoredRecordError {
            throw error
        } catch {
            throw StoredRecordError(id: id, reason: "\(error)")
        }
        wasStored = true
    }

    /// The view's JSON in a stored record, without decoding the state; `nil` when the record has
    /// no content.
    static func viewJSON(in bytes: [UInt8], id: String) throws -> [UInt8]? {
        try versionedViewJSON(in: bytes, id: id)?.json
    }

    /// The record's version and its view's JSON, without decoding the state; `nil` when the
    /// record has no content.
    static func versionedViewJSON(in bytes: [UInt8], id: String) throws -> (version: UInt64, json: [UInt8])? {
        var reader = ByteReader(bytes)
        let version: UInt64
        do {
            let (storedVersion, _, stateLength) = try header(&reader, id: id)
            version = storedVersion
            try reader.skip(count: stateLength)
        } catch let error as StoredRecordError {
            throw error
        } catch {
            throw StoredRecordError(id: id, reason: "\(error)")
        }
        return reader.isAtEnd ? nil : (version, Array(bytes[reader.offset...]))
    }

    /// The record as queries see it, through `mapping`; `nil` while it has no content.
    func view(id: String, mapping: EntityMapping) -> RecordView? {
        guard state.exists else { return nil }
        return RecordView(
            id: id,
            recordType: mapping.recordType,
            version: version,
            deleted: state.deleted,
            position: position,
            updatedAt: state.updatedAt,
            fields: mapping.domainFields(of: state)
        )
    }

    private static func header(_ reader: inout ByteReader, id: String) throws -> (version: UInt64, position: UInt64, stateLength: Int) {
        let format = try reader.readUInt8()
        guard format == Self.format else { throw StoredRecordError(id: id, reason: "unknown format \(format)") }
        let version = try reader.readVarUInt()
        let position = try reader.readVarUInt()
        let stateLength = try reader.readVarUInt()
        guard stateLength <= UInt64(reader.remainingCount) else { throw StoredRecordError(id: id, reason: "the state is cut short") }
        return (version, position, Int(stateLength))
    }

    /// Folds `event` in, as the aggregate does but without de-duplication keys.
    mutating func apply(_ event: RecordEvent, at position: EventPosition) {
        state.apply(event, at: position, keepingChangeKeys: false)
        version = position.version
        self.position = position.position
    }

    /// The stored form, with `viewJSON`, the view as `GET /v1/{aggregate}/{id}` serves it
    /// (empty without content).
    func encoded(viewJSON: [UInt8]) -> [UInt8] {
        var stateWriter = ByteWriter(capacity: 256)
        state.encodeBinary(into: &stateWriter)
        var writer = ByteWriter(capacity: stateWriter.bytes.count + viewJSON.count + 24)
        writer.writeUInt8(Self.format)
        writer.writeVarUInt(version)
        writer.writeVarUInt(position)
        writer.writeVarUInt(UInt64(stateWriter.bytes.count))
        writer.writeBytes(stateWriter.bytes)
        writer.writeBytes(viewJSON)
        return writer.bytes
    }
}

/// A stored record does not decode: the read model's storage is damaged or was written by
/// other code under the same stamp.
public struct StoredRecordError: Error, Sendable, CustomStringConvertible {
    /// The record.
    public var id: String
    /// What did not fit.
    public var reason: String

    public var description: String {
        "the stored read model of \(id) does not decode (\(reason)); rebuild the read models"
    }
}

/// The keys of a `RecordProjection`'s store. Records sort by id under prefix 1; the reference
/// index, under prefix 2, sorts by field, target id and record id, each ended by a zero byte
/// (ids and field names hold none).
enum RecordKeys {
    static let recordPrefix: [UInt8] = [1]

    /// `1 | id`.
    static func record(_ id: String) -> [UInt8] {
        recordPrefix + Array(id.utf8)
    }

    /// The id of a record key, `nil` for a key of another kind.
    static func recordID(_ key: [UInt8]) -> String? {
        guard key.first == recordPrefix[0] else { return nil }
        return String(decoding: key.dropFirst(), as: UTF8.self)
    }

    /// `2 | field | 0 | target | 0`: the prefix of the records whose `field` holds `target`.
    static func referencePrefix(field: String, target: String) -> [UInt8] {
        [2] + Array(field.utf8) + [0] + Array(target.utf8) + [0]
    }

    /// Whether `target` can be indexed: ids are short and hold no zero byte.
    static func isIndexable(_ target: String) -> Bool {
        target.utf8.count <= 64 && !target.utf8.contains(0)
    }

    /// `2 | field | 0 | target | 0 | id`, or `nil` when longer than LMDB's 511-byte keys.
    static func reference(field: String, target: String, id: String) -> [UInt8]? {
        let key = referencePrefix(field: field, target: target) + Array(id.utf8)
        return key.count <= 511 ? key : nil
    }
}
