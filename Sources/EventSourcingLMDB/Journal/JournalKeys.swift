import CLMDB
import EventSourcing

/// The key layouts of the journal's LMDB databases.
///
/// - `events`: position (8 bytes big-endian, so keys sort in log order) → event record.
/// - `streams`: stream name (2-byte big-endian length + UTF-8) + version (8 bytes big-endian)
///   → position. One stream's events are one contiguous key range.
/// - `heads`: stream name (UTF-8) → the stream's current version (8 bytes big-endian).
/// - `snapshots`: stream name (UTF-8) → the record's latest aggregate snapshot: version and
///   position (8 bytes big-endian each), stamp (varuint length + UTF-8), encoded state.
/// - `meta`: `indexed-through` → the last position whose `streams` and `heads` entries are
///   written (8 bytes big-endian); newer events are indexed in memory (`StreamIndexTail`).
///   Missing in journals written before the tail existed, whose index is always complete.
///   `journal-id` → 16 random bytes naming this history of events: a new directory filled by
///   `import` or `restore --to` gets its own, so snapshots of another history are never loaded.
enum JournalKeys {
    static let indexedThrough = Array("indexed-through".utf8)
    static let journalID = Array("journal-id".utf8)

    /// The longest stream name a key can hold (LMDB keys are at most 511 bytes).
    static let maxStreamNameLength = 400

    static func event(_ position: UInt64) -> [UInt8] {
        withUnsafeBytes(of: position.bigEndian) { Array($0) }
    }

    static func position(fromEventKey key: UnsafeRawBufferPointer) -> UInt64? {
        guard key.count == 8 else { return nil }
        return UInt64(bigEndian: key.loadUnaligned(as: UInt64.self))
    }

    static func streamPrefix(_ stream: StreamName) -> [UInt8] {
        let count = stream.storedFormCount
        var key: [UInt8] = []
        key.reserveCapacity(count + 10)
        key.append(UInt8(truncatingIfNeeded: count >> 8))
        key.append(UInt8(truncatingIfNeeded: count))
        stream.appendStoredForm(to: &key)
        return key
    }

    static func stream(_ stream: StreamName, version: UInt64) -> [UInt8] {
        var key = streamPrefix(stream)
        withUnsafeBytes(of: version.bigEndian) { key.append(contentsOf: $0) }
        return key
    }

    static func head(_ stream: StreamName) -> [UInt8] {
        var key: [UInt8] = []
        key.reserveCapacity(stream.storedFormCount)
        stream.appendStoredForm(to: &key)
        return key
    }

    static func uint64(_ value: UInt64) -> [UInt8] {
        withUnsafeBytes(of: value.bigEndian) { Array($0) }
    }

    static func uint64(from bytes: UnsafeRawBufferPointer) -> UInt64? {
        guard bytes.count == 8 else { return nil }
        return UInt64(bigEndian: bytes.loadUnaligned(as: UInt64.self))
    }
}

/// The named databases the journal keeps in its environment.
struct JournalDatabases: Sendable {
    private static func openIfPresent(_ name: String, in environment: LMDBEnvironment) throws -> LMDBDatabase? {
        do {
            return try environment.openDatabase(name)
        } catch let error as LMDBError where error.code == MDB_NOTFOUND {
            return nil
        }
    }

    let events: LMDBDatabase
    let streams: LMDBDatabase
    let heads: LMDBDatabase
    /// `nil` only when a read-only environment predates it.
    let meta: LMDBDatabase?
    /// `nil` only when a read-only environment predates it.
    let snapshots: LMDBDatabase?

    init(environment: LMDBEnvironment) throws {
        events = try environment.openDatabase("events")
        streams = try environment.openDatabase("streams")
        heads = try environment.openDatabase("heads")
        if environment.configuration.readOnly {
            // Older journals lack these; any other failure is real and reported.
            meta = try Self.openIfPresent("meta", in: environment)
            snapshots = try Self.openIfPresent("snapshots", in: environment)
        } else {
            meta = try environment.openDatabase("meta")
            snapshots = try environment.openDatabase("snapshots")
        }
    }
}

extension JournalDatabases {
    /// The version the written index (`heads`) holds for the stream whose head key is `key`
    /// (`JournalKeys.head`); 0 when it has none. Newer versions may be in the in-memory tail.
    func indexedHead(key: [UInt8], in transaction: LMDBTransaction) throws -> UInt64 {
        let stored = try key.withUnsafeBytes { key in
            try transaction.withValue(in: heads, forKey: key) { JournalKeys.uint64(from: $0) }
        }
        return stored.flatMap { $0 } ?? 0
    }

    /// The version the written index holds for `stream`; 0 when it has none.
    func indexedHead(of stream: StreamName, in transaction: LMDBTransaction) throws -> UInt64 {
        try indexedHead(key: JournalKeys.head(stream), in: transaction)
    }
}
