import EventSourcing

/// The stored form of aggregate snapshots in the `snapshots` database.
enum AggregateSnapshotCodec {
    static func encode(_ snapshot: AggregateSnapshot) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(24 + snapshot.stamp.utf8.count + snapshot.state.count)
        withUnsafeBytes(of: snapshot.version.bigEndian) { bytes.append(contentsOf: $0) }
        withUnsafeBytes(of: snapshot.position.bigEndian) { bytes.append(contentsOf: $0) }
        var length = UInt64(snapshot.stamp.utf8.count)
        while length >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: length) | 0x80)
            length >>= 7
        }
        bytes.append(UInt8(length))
        bytes.append(contentsOf: snapshot.stamp.utf8)
        bytes.append(contentsOf: snapshot.state)
        return bytes
    }

    /// The version stored in `bytes`, without decoding the rest.
    static func version(_ bytes: UnsafeRawBufferPointer) -> UInt64? {
        guard bytes.count >= 16 else { return nil }
        return UInt64(bigEndian: bytes.loadUnaligned(as: UInt64.self))
    }

    static func decode(_ bytes: UnsafeRawBufferPointer) -> AggregateSnapshot? {
        guard bytes.count >= 17 else { return nil }
        let version = UInt64(bigEndian: bytes.loadUnaligned(as: UInt64.self))
        let position = UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
        var offset = 16
        var length: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard offset < bytes.count, shift < 63 else { return nil }
            let byte = bytes[offset]
            offset += 1
            length |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { break }
            shift += 7
        }
        guard length <= UInt64(bytes.count - offset),
            let stamp = String(validating: UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + Int(length)]), as: UTF8.self)
        else { return nil }
        let state = Array(bytes[(offset + Int(length))...])
        return AggregateSnapshot(version: version, position: position, stamp: stamp, state: state)
    }

    /// Writes `snapshots` in `transaction`, each only if newer than the one stored.
    static func write(_ snapshots: [StreamName: AggregateSnapshot], in transaction: LMDBTransaction, databases: JournalDatabases) throws {
        guard let database = databases.snapshots, !snapshots.isEmpty else { return }
        for (stream, snapshot) in snapshots {
            let key = JournalKeys.head(stream)
            let stored = try key.withUnsafeBytes { key in
                try transaction.withValue(in: database, forKey: key) { version($0) }
            }
            if let stored = stored.flatMap({ $0 }), stored > snapshot.version { continue }
            try transaction.put(in: database, key: key, value: encode(snapshot))
        }
    }
}
