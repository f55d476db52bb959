import EventSourcing
import JSON

/// The binary form of a record's state, for snapshots.
///
/// ```
/// u8 flags (1 exists, 2 deleted, 4 reread mark, 8 the mark is a gap)
/// varint deletionChangedAt, varint updatedAt (epoch ms)
/// [reread: string reason, varint commitTimestamp]
/// varuint field count, then per field: string path, varint committedAt, binary JSON value
/// varuint change-key count, then per key: string transactionKey, varint sequenceNumber,
///   string changeType
/// ```
/// Part of every snapshot's stamp through ``RecordState/binaryFormat``: change the layout and
/// bump it, so old snapshots are discarded rather than misread.
extension RecordState {
    /// The version of this encoding.
    public static let binaryFormat = 1

    /// Appends the state's binary form to `writer`.
    public func encodeBinary(into writer: inout ByteWriter) {
        var flags: UInt8 = 0
        if exists { flags |= 1 }
        if deleted { flags |= 2 }
        if let reread {
            flags |= 4
            if reread.isGap { flags |= 8 }
        }
        writer.writeUInt8(flags)
        writer.writeVarInt(deletionChangedAt)
        writer.writeVarInt(updatedAt.millisecondsSinceEpoch)
        if let reread {
            writer.writeString(reread.reason)
            writer.writeVarInt(reread.commitTimestamp)
        }
        writer.writeVarUInt(UInt64(fields.count))
        for (path, field) in fields {
            writer.writeString(path)
            writer.writeVarInt(field.committedAt)
            field.value.encodeBinary(into: &writer)
        }
        writer.writeVarUInt(UInt64(recordedChanges.count))
        for key in recordedChanges {
            writer.writeString(key.transactionKey)
            writer.writeVarInt(key.sequenceNumber)
            writer.writeString(key.changeType)
        }
    }

    /// Reads a state written by ``encodeBinary(into:)``.
    public init(decodingBinary reader: inout ByteReader) throws {
        self.init()
        let flags = try reader.readUInt8()
        exists = flags & 1 != 0
        deleted = flags & 2 != 0
        deletionChangedAt = try reader.readVarInt()
        updatedAt = Timestamp(millisecondsSinceEpoch: try reader.readVarInt())
        if flags & 4 != 0 {
            reread = RereadMark(reason: try reader.readString(), commitTimestamp: try reader.readVarInt(), isGap: flags & 8 != 0)
        }
        let fieldCount = Int(try reader.readVarUInt())
        guard fieldCount <= reader.remainingCount else { throw SnapshotFormatError("a state claims \(fieldCount) fields") }
        fields.reserveCapacity(fieldCount)
        for _ in 0..<fieldCount {
            let path = try reader.readString()
            let committedAt = try reader.readVarInt()
            fields[path] = Field(value: try JSONValue.decodeBinary(from: &reader), committedAt: committedAt)
        }
        let keyCount = Int(try reader.readVarUInt())
        guard keyCount <= reader.remainingCount else { throw SnapshotFormatError("a state claims \(keyCount) change keys") }
        for _ in 0..<keyCount {
            recordedChanges.insert(
                ChangeKey(transactionKey: try reader.readString(), sequenceNumber: try reader.readVarInt(), changeType: try reader.readString())
            )
        }
    }
}

extension ChangeKey {
    /// A key from its parts (for decoding).
    init(transactionKey: String, sequenceNumber: Int64, changeType: String) {
        self.transactionKey = transactionKey
        self.sequenceNumber = sequenceNumber
        self.changeType = changeType
    }
}


extension SalesforceRecord: SnapshottingAggregate {
    public var snapshotStamp: String { "record-state/\(RecordState.binaryFormat)" }

    public func encodeSnapshot(_ state: RecordState) -> [UInt8] {
        var writer = ByteWriter(capacity: 512)
        state.encodeBinary(into: &writer)
        return writer.bytes
    }

    public func decodeSnapshot(_ bytes: [UInt8]) throws -> RecordState {
        var reader = ByteReader(bytes)
        let state = try RecordState(decodingBinary: &reader)
        guard reader.isAtEnd else { throw SnapshotFormatError("a record snapshot has bytes after its state") }
        return state
    }
}
