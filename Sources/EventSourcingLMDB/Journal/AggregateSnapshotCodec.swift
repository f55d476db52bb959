import EventSourcing
import JSON

/// The stored form of aggregate snapshots in the `snapshots` database.
enum AggregateSnapshotCodec {
    static func encode(_ snapshot: AggregateSnapshot) -> [UInt8] {
        var writer = ByteWriter(capacity: 24 + snapshot.stamp.utf8.count + snapshot.state.count)
        writer.writeUInt64BE(snapshot.version)
        writer.writeUInt64BE(snapshot.position)
        writer.writeString(snapshot.stamp)
        writer.writeBytes(snapshot.state)
        return writer.bytes
    }

    /// The version stored in `bytes`, without decoding the rest.
    static func version(_ bytes: UnsafeRawBufferPointer) -> UInt64? {
        guard bytes.count >= 16 else { return nil }
        return UInt64(bigEndian: bytes.loadUnaligned(as: UInt64.self))
    }

    static func decode(_ bytes: UnsafeRawBufferPointer) -> AggregateSnapshot? {
        var reader = ByteReader(Array(bytes))
        guard let version = try? reader.readUInt64BE(),
            let position = try? reader.readUInt64BE(),
            let stamp = try? reader.readString(),
            let state = try? reader.readBytes(count: reader.remainingCount)
        else { return nil }
        return AggregateSnapshot(version: version, position: position, stamp: stamp, state: state)
    }

    /// Writes `snapshots` in `transaction`, each only if newer than the one stored.
    static func write(_ snapshots: [StreamName: AggregateSnapshot], in transaction: LMDBTransaction, databases: JournalDatabases) throws {
        guard let database = databases.snapshots, !snapshots.isEmpty else { return }
        for (stream, snapshot) in snapshots {
            let key = JournalKeys.name(stream)
            let stored = try key.withUnsafeBytes { key in
                try transaction.withValue(in: database, forKey: key) { version($0) }
            }
            if let stored = stored.flatMap({ $0 }), stored > snapshot.version { continue }
            try transaction.put(in: database, key: key, value: encode(snapshot))
        }
    }
}
