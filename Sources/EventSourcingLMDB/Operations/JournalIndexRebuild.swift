import EventSourcing

#if canImport(Glibc)
import Glibc
#endif

/// Rebuilds what a journal derives from its events, in place: the stream index (`streams`,
/// `indexed-through`) is written again and the aggregate snapshots are dropped (records
/// then recover from their whole streams and snapshot afresh). The events are the source of
/// truth; everything else can always be thrown away and derived again.
public enum JournalIndexRebuild {
    /// Events indexed per write transaction: each commits an index complete through its last
    /// event, so an interrupted rebuild leaves a usable journal that start-up completes.
    static let chunkSize = 65_536

    /// Rebuilds the index of the journal in `directory`, which no other process may be writing
    /// to. Every record's checksum, and that positions and versions follow on, is checked on
    /// the way; a fault stops the rebuild (run `verify`), leaving the index complete through the
    /// last chunk written before it (start-up indexes the rest in memory).
    ///
    /// - Returns: the events and streams indexed.
    public static func rebuild(directory: String, progress: (UInt64, UInt64) -> Void = { _, _ in }) throws -> (events: UInt64, streams: Int) {
        let environment = try LMDBEnvironment(path: directory)
        defer { environment.close() }
        let lock = try WriterLock(directory: directory)
        defer { lock.release() }
        let databases = try JournalDatabases(environment: environment)
        guard let meta = databases.meta else { throw LMDBError(code: EACCES, operation: "open meta") }
        let total = try environment.withWriteTransaction { transaction in
            try transaction.empty(databases.streams)
            if let snapshots = databases.snapshots { try transaction.empty(snapshots) }
            try transaction.put(in: meta, key: JournalKeys.indexedThrough, value: JournalKeys.uint64(0))
            return UInt64(try transaction.count(in: databases.events))
        }
        var indexed: UInt64 = 0
        var streams = Set<StreamName>()
        var start: UInt64 = 1
        while true {
            // The body may run again after the map grows, so it only changes its own state.
            let (count, next, seen) = try environment.withWriteTransaction { transaction in
                var expected = start
                var seen: [StreamName] = []
                var chunk: [StreamName: StreamIndexTail.Stream] = [:]
                var last: UInt64 = 0
                var count = 0
                try transaction.withCursor(in: databases.events) { cursor in
                    var entry = try cursor.seek(atLeast: JournalKeys.event(expected))
                    while let (key, value) = entry, count < chunkSize {
                        guard let position = JournalKeys.position(fromEventKey: key), position == expected else {
                            throw JournalError.corruptEvent(position: expected, reason: "missing: the log has a position gap (run verify)")
                        }
                        let header = try EventRecordCodec.verifiedHeader(position: position, record: value)
                        let previous = try chunk[header.stream].map(\.head) ?? databases.indexedHead(of: header.stream, in: transaction)
                        guard header.version == previous + 1 else {
                            throw JournalError.corruptEvent(
                                position: position,
                                reason: "version \(header.version) of \(header.stream) follows version \(previous) (run verify)"
                            )
                        }
                        if let index = chunk.index(forKey: header.stream) {
                            chunk.values[index].positions.append(position)
                        } else {
                            chunk[header.stream] = StreamIndexTail.Stream(firstVersion: header.version, positions: [position])
                            seen.append(header.stream)
                        }
                        last = position
                        expected = position + 1
                        count += 1
                        entry = try cursor.next()
                    }
                }
                if count > 0 {
                    try StreamIndexFlush.write(chunk, through: last, in: transaction, databases: databases)
                }
                return (count, expected, seen)
            }
            guard count > 0 else { break }
            indexed += UInt64(count)
            streams.formUnion(seen)
            start = next
            progress(indexed, total)
        }
        return (indexed, streams.count)
    }
}
