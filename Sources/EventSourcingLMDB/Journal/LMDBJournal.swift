import CoreMetrics
import EventSourcing
import Logging

/// The durable journal: events in LMDB, written by one group-committing writer thread.
///
/// Appends are acknowledged only after the transaction holding them has committed with fsync.
/// Reads run in LMDB read transactions on the caller's task and see a consistent snapshot of the
/// committed log; they never block the writer.
public final class LMDBJournal: Journal, AggregateSnapshotStore {
    /// The LMDB environment holding the journal (shared with checkpoints and snapshots).
    public let environment: LMDBEnvironment
    let databases: JournalDatabases
    private let writer: JournalWriter
    private let commits: PositionWatch
    private let tail: StreamIndexTail
    /// Held by a writable journal: one writing process per directory.
    private let writerLock: WriterLock?
    /// Names this history of events (hex): a directory filled by `import` or `restore --to` has
    /// its own, so derived data kept outside LMDB (read-model snapshots) can tell histories apart.
    public let journalID: String

    /// Opens (or creates) the journal in `directory` and starts its writer thread. Call `close()`
    /// to stop it. Commit times, batch sizes and failures are reported to `metrics` (swift-metrics;
    /// nowhere by default).
    public init(directory: String, configuration: LMDBJournalConfiguration = .init(), metrics: any MetricsFactory = NOOPMetricsHandler.instance) throws {
        environment = try LMDBEnvironment(path: directory, configuration: configuration.lmdb)
        writerLock = configuration.lmdb.readOnly ? nil : try WriterLock(directory: directory)
        databases = try JournalDatabases(environment: environment)
        let last = try Self.readLastPosition(environment: environment, events: databases.events)
        commits = PositionWatch(position: last)
        if !configuration.lmdb.readOnly {
            try Self.stampIndexFormat(environment: environment, databases: databases, lastPosition: last)
        }
        journalID = try Self.readJournalID(environment: environment, databases: databases)
        tail = try Self.rebuildTail(environment: environment, databases: databases, lastPosition: last)
        writer = JournalWriter(
            environment: environment,
            databases: databases,
            commits: commits,
            tail: tail,
            maxBatchEvents: configuration.maxBatchEvents,
            indexFlushEvents: configuration.indexFlushEvents,
            indexFlushChunk: configuration.indexFlushChunk,
            metrics: JournalWriterMetrics(factory: metrics)
        )
        if configuration.lmdb.readOnly {
            writer.finishWithoutStarting()
        } else {
            writer.start(lastPosition: last)
        }
    }

    /// Stops taking appends, commits what is queued, and closes the environment.
    public func close() async {
        await writer.stop()
        environment.close()
        writerLock?.release()
    }

    /// Closes like ``close()`` but leaves the in-memory stream index unwritten, as a crash would:
    /// the next open rebuilds it from the events. For tests of that recovery.
    func closeAsAfterCrash() async {
        await writer.stop(flushingIndex: false)
        environment.close()
        writerLock?.release()
    }

    /// Group-commit counters (commits, events, failed commits, time spent committing).
    public var writerStatistics: JournalWriterStatistics { writer.currentStatistics }
    /// Appends waiting for the next commit (the writer's queue depth).
    public var queuedAppends: Int { writer.queuedAppends }

    // MARK: - Journal

    public func append(_ request: AppendRequest) async throws(JournalError) -> AppendResult {
        try AppendValidation.check(request)
        for write in request.writes where write.stream.storedFormCount > JournalKeys.maxStreamNameLength {
            throw .invalidAppend("the stream name \(write.stream) is longer than \(JournalKeys.maxStreamNameLength) bytes")
        }
        return try await writer.submit(PreparedAppend(request)).get()
    }

    public func readStream(_ stream: StreamName, fromVersion: UInt64, limit: Int) async throws(JournalError) -> [RecordedEvent] {
        guard limit > 0 else { return [] }
        let prefix = JournalKeys.streamPrefix(stream)
        let fromVersion = max(fromVersion, 1)
        // The tail first: LMDB, read afterwards, holds at least every version below the tail's.
        let recent = tail.stream(stream)
        let indexedBelow = recent?.firstVersion ?? .max
        return try read { transaction in
            var positions: [UInt64] = []
            if fromVersion < indexedBelow {
                try transaction.withCursor(in: databases.streams) { cursor in
                    var entry = try cursor.seek(atLeast: JournalKeys.stream(stream, version: fromVersion))
                    while let (key, value) = entry, positions.count < limit,
                        key.count == prefix.count + 8, key.starts(with: prefix),
                        fromVersion + UInt64(positions.count) < indexedBelow
                    {
                        guard let position = JournalKeys.uint64(from: value) else {
                            throw JournalError.storage("the stream index entry for \(stream) is malformed")
                        }
                        positions.append(position)
                        entry = try cursor.next()
                    }
                }
            }
            if let recent, positions.count < limit {
                let start = Int(max(fromVersion, recent.firstVersion) - recent.firstVersion)
                if start < recent.positions.count {
                    positions += recent.positions[start..<min(recent.positions.count, start + limit - positions.count)]
                }
            }
            return try positions.map { position in
                try JournalKeys.event(position).withUnsafeBytes { key in
                    guard let event = try transaction.withValue(in: databases.events, forKey: key, {
                        try EventRecordCodec.decode(position: position, record: $0)
                    }) else {
                        throw JournalError.corruptEvent(position: position, reason: "indexed for \(stream) but missing")
                    }
                    return event
                }
            }
        }
    }

    public func readAll(after position: UInt64, limit: Int) async throws(JournalError) -> [RecordedEvent] {
        guard limit > 0, position < UInt64.max else { return [] }
        return try read { transaction in
            var events: [RecordedEvent] = []
            try transaction.withCursor(in: databases.events) { cursor in
                var entry = try cursor.seek(atLeast: JournalKeys.event(position + 1))
                while let (key, value) = entry, events.count < limit {
                    guard let eventPosition = JournalKeys.position(fromEventKey: key) else {
                        throw JournalError.storage("an events key is not 8 bytes long")
                    }
                    events.append(try EventRecordCodec.decode(position: eventPosition, record: value))
                    entry = try cursor.next()
                }
            }
            return events
        }
    }

    public func lastPosition() async throws(JournalError) -> UInt64 {
        commits.position
    }

    public func streamVersion(_ stream: StreamName) async throws(JournalError) -> UInt64 {
        if let head = tail.head(of: stream) { return head }
        return try read { transaction in try databases.indexedHead(of: stream, in: transaction) }
    }

    public func waitForCommit(after position: UInt64) async {
        // No position follows the last one: wait (until cancelled) rather than overflow.
        await commits.wait(until: position == .max ? .max : position + 1)
    }

    // MARK: - AggregateSnapshotStore

    public func snapshot(of stream: StreamName) async throws(JournalError) -> AggregateSnapshot? {
        guard let database = databases.snapshots else { return nil }
        return try read { transaction in
            try JournalKeys.name(stream).withUnsafeBytes { key in
                try transaction.withValue(in: database, forKey: key) { AggregateSnapshotCodec.decode($0) }
            }.flatMap { $0 }
        }
    }

    public func save(_ snapshot: AggregateSnapshot, of stream: StreamName) {
        writer.submit(snapshot: snapshot, of: stream)
    }

    // MARK: - Reading

    private func read<T>(_ body: (LMDBTransaction) throws -> T) throws(JournalError) -> T {
        do {
            return try environment.withReadTransaction(body)
        } catch let error as JournalError {
            throw error
        } catch {
            throw .storage("\(error)")
        }
    }

    /// The in-memory stream index of the events committed after the last index flush, rebuilt
    /// from the events themselves (after a crash; a clean close flushes, leaving nothing to scan).
    private static func rebuildTail(environment: LMDBEnvironment, databases: JournalDatabases, lastPosition: UInt64) throws -> StreamIndexTail {
        try environment.withReadTransaction { transaction in
            let stored = try databases.meta.flatMap { meta in
                try transaction.bytes(in: meta, forKey: JournalKeys.indexedThrough)
            }
            // Journals from before the tail indexed every commit: complete through the end. Open
            // stamps the key (see `stampIndexFormat`), so only those lack it.
            let indexedThrough = min(stored.flatMap { bytes in bytes.withUnsafeBytes { JournalKeys.uint64(from: $0) } } ?? lastPosition, lastPosition)
            let tail = StreamIndexTail()
            guard indexedThrough < lastPosition else { return tail }
            var entries: [StreamIndexTail.Entry] = []
            var heads: [StreamName: UInt64] = [:]
            var expected = indexedThrough + 1
            try transaction.withCursor(in: databases.events) { cursor in
                var entry = try cursor.seek(atLeast: JournalKeys.event(indexedThrough + 1))
                while let (key, value) = entry {
                    guard let position = JournalKeys.position(fromEventKey: key), position == expected else {
                        throw JournalError.corruptEvent(position: expected, reason: "missing: the log has a position gap (run tributary verify)")
                    }
                    let (stream, version) = try EventRecordCodec.streamAndVersion(position: position, record: value)
                    // The tail maps versions by counting: a version that does not follow on would
                    // shift every later one, so refuse to start rather than index it wrong.
                    let previous = try heads[stream] ?? Self.writtenHead(before: version, at: position, of: stream, transaction, databases)
                    guard version == previous + 1 else {
                        throw JournalError.corruptEvent(
                            position: position,
                            reason: "version \(version) of \(stream) follows version \(previous) (run tributary verify)"
                        )
                    }
                    heads[stream] = version
                    entries.append((stream, version, position))
                    expected = position + 1
                    entry = try cursor.next()
                }
            }
            tail.add(entries)
            return tail
        }
    }

    /// The version before a stream's first event after `indexed-through` (version `version`, at
    /// `position`), as the written index has it. A flush the crash interrupted may have written
    /// entries past `indexed-through` (see `StreamIndexFlush`): then that event is indexed
    /// already, and must be indexed at its own position.
    private static func writtenHead(
        before version: UInt64,
        at position: UInt64,
        of stream: StreamName,
        _ transaction: LMDBTransaction,
        _ databases: JournalDatabases
    ) throws -> UInt64 {
        let written = try databases.indexedHead(of: stream, in: transaction)
        guard version <= written, version > 0 else { return written }
        let filed = try transaction.bytes(in: databases.streams, forKey: JournalKeys.stream(stream, version: version))
            .flatMap { bytes in bytes.withUnsafeBytes { JournalKeys.uint64(from: $0) } }
        guard filed == position else {
            throw JournalError.corruptEvent(
                position: position,
                reason: "the stream index files version \(version) of \(stream) under position \(filed.map(String.init) ?? "none") (run tributary verify)"
            )
        }
        return version - 1
    }

    /// Records, in a journal that has no `indexed-through` key yet (a new one, or one from
    /// before the tail, whose index is complete), that the index is complete through the end.
    /// Also gives a journal without a `journal-id` (a new one, or an older one) its id.
    private static func stampIndexFormat(environment: LMDBEnvironment, databases: JournalDatabases, lastPosition: UInt64) throws {
        guard let meta = databases.meta else { return }
        try environment.withWriteTransaction { transaction in
            if try transaction.bytes(in: meta, forKey: JournalKeys.indexedThrough) == nil {
                try transaction.put(in: meta, key: JournalKeys.indexedThrough, value: JournalKeys.uint64(lastPosition))
            }
            if try transaction.bytes(in: meta, forKey: JournalKeys.journalID) == nil {
                var generator = SystemRandomNumberGenerator()
                let id = (0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) }
                try transaction.put(in: meta, key: JournalKeys.journalID, value: id)
            }
        }
    }

    private static func readJournalID(environment: LMDBEnvironment, databases: JournalDatabases) throws -> String {
        let id = try environment.withReadTransaction { transaction in
            try databases.meta.flatMap { try transaction.bytes(in: $0, forKey: JournalKeys.journalID) }
        }
        guard let id else { return "unknown" }
        return id.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }

    private static func readLastPosition(environment: LMDBEnvironment, events: LMDBDatabase) throws -> UInt64 {
        try environment.withReadTransaction { transaction in
            try transaction.withCursor(in: events) { cursor in
                guard let (key, _) = try cursor.last() else { return 0 }
                return JournalKeys.position(fromEventKey: key) ?? 0
            }
        }
    }
}

/// How the LMDB journal is opened and how it batches.
public struct LMDBJournalConfiguration: Sendable, Hashable {
    /// The LMDB environment settings.
    public var lmdb: LMDBConfiguration
    /// The most events one group commit writes; more wait for the next commit.
    public var maxBatchEvents: Int
    /// How many events' stream index entries are kept in memory before they are written to
    /// LMDB. Larger values write fewer index pages per event, and a restart after a crash scans
    /// up to about twice this many events.
    public var indexFlushEvents: Int
    /// The fewest index entries each commit writes while a flush is under way (it writes at
    /// least twice its own events, so a flush ends before the next one is due). Smaller chunks
    /// add less to each commit's time; the pages written in all are about the same.
    public var indexFlushChunk: Int

    /// Settings with defaults suited to CDC ingestion. The chunk defaults to 256 entries, or an
    /// eighth of a small `indexFlushEvents`.
    public init(
        lmdb: LMDBConfiguration = .init(),
        maxBatchEvents: Int = 4096,
        indexFlushEvents: Int = 65_536,
        indexFlushChunk: Int? = nil
    ) {
        self.lmdb = lmdb
        self.maxBatchEvents = maxBatchEvents
        self.indexFlushEvents = max(1, indexFlushEvents)
        self.indexFlushChunk = max(1, indexFlushChunk ?? min(256, indexFlushEvents / 8))
    }
}
