import CLMDB
import EventSourcing

#if canImport(Glibc)
import Glibc
#endif

/// The key layouts of the journal's LMDB databases.
///
/// - `events`: position (8 bytes big-endian, so keys sort in log order) → event record.
/// - `streams`: stream name (2-byte big-endian length + UTF-8) + version (8 bytes big-endian)
///   → position. One stream's events are one contiguous key range.
/// - `snapshots`: stream name (UTF-8) → the record's latest aggregate snapshot: version and
///   position (8 bytes big-endian each), stamp (varuint length + UTF-8), encoded state.
/// - `meta`: `indexed-through` → the last position whose `streams` entries are written (8 bytes
///   big-endian); newer events are indexed in memory (`StreamIndexTail`). Missing in journals
///   written before the tail existed, whose index is always complete.
///   `journal-id` → 16 random bytes naming this history of events: a new directory filled by
///   `import` or `restore --to` gets its own, so snapshots of another history are never loaded.
///
/// A stream's head (its newest indexed version) is the last `streams` key under its prefix.
/// Journals written before 2026-11-28 also kept it in a `heads` database (stream name → version),
/// which doubled the pages each index flush wrote. Every writable open retires it
/// (`LMDBEnvironment.retireDatabase`): deleted, with a plain `heads` key left in the main
/// database, so an older build, which would read every head as 0 from a new empty `heads`,
/// fails to open the journal instead.
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

    /// The first key after every version of `stream` in `streams` (its prefix, then eight 0xFF
    /// bytes: no version is that large), from which a cursor steps back to the stream's head.
    static func streamEnd(_ stream: StreamName) -> [UInt8] {
        var key = streamPrefix(stream)
        key.append(contentsOf: repeatElement(0xFF, count: 8))
        return key
    }

    /// The stream name alone (UTF-8): the key of its aggregate snapshot.
    static func name(_ stream: StreamName) -> [UInt8] {
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
    /// `nil` only when a read-only environment predates it.
    let meta: LMDBDatabase?
    /// `nil` only when a read-only environment predates it.
    let snapshots: LMDBDatabase?

    init(environment: LMDBEnvironment) throws {
        events = try environment.openDatabase("events")
        streams = try environment.openDatabase("streams")
        if environment.configuration.readOnly {
            // Older journals lack these; any other failure is real and reported.
            meta = try Self.openIfPresent("meta", in: environment)
            snapshots = try Self.openIfPresent("snapshots", in: environment)
        } else {
            meta = try environment.openDatabase("meta")
            snapshots = try environment.openDatabase("snapshots")
            // Heads now come from `streams` (see `JournalKeys`); an older journal's copy would
            // go stale with the first append, and an older build must not open this journal.
            _ = try environment.retireDatabase("heads", marker: Array("retired 2026-11-28: stream heads are the last streams keys".utf8))
        }
    }
}

extension JournalDatabases {
    /// The newest version the written index holds for the stream whose `JournalKeys.streamEnd`
    /// is `end`; 0 when it has none. Newer versions may be in the in-memory tail.
    func indexedHead(end: [UInt8], in transaction: LMDBTransaction) throws -> UInt64 {
        try transaction.withCursor(in: streams) { cursor in
            let entry = try cursor.seek(atLeast: end) != nil ? cursor.previous() : cursor.last()
            guard let key = entry?.key, key.count == end.count, let keyBytes = key.baseAddress else { return 0 }
            let prefixLength = end.count - 8
            let samePrefix = end.withUnsafeBytes { memcmp(keyBytes, $0.baseAddress!, prefixLength) == 0 }
            return samePrefix ? JournalKeys.uint64(from: UnsafeRawBufferPointer(rebasing: key[prefixLength...])) ?? 0 : 0
        }
    }

    /// The newest version the written index holds for `stream`; 0 when it has none.
    func indexedHead(of stream: StreamName, in transaction: LMDBTransaction) throws -> UInt64 {
        try indexedHead(end: JournalKeys.streamEnd(stream), in: transaction)
    }
}
