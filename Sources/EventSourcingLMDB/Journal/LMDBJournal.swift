import EventSourcing
import Logging

/// The durable journal: events in LMDB, written by one group-committing writer thread.
///
/// Appends are acknowledged only after the transaction holding them has committed with fsync.
/// Reads run in LMDB read transactions on the caller's task and see a consistent snapshot of the
/// committed log; they never block the writer.
public final class LMDBJournal: Journal {
    /// The LMDB environment holding the journal (shared with checkpoints and snapshots).
    public let environment: LMDBEnvironment
    let databases: JournalDatabases
    private let writer: JournalWriter
    private let commits: PositionWatch

    /// Opens (or creates) the journal in `directory` and starts its writer thread. Call `close()`
    /// to stop it.
    public init(directory: String, configuration: LMDBJournalConfiguration = .init()) throws {
        environment = try LMDBEnvironment(path: directory, configuration: configuration.lmdb)
        databases = try JournalDatabases(environment: environment)
        let last = try Self.readLastPosition(environment: environment, events: databases.events)
        commits = PositionWatch(position: last)
        writer = JournalWriter(
            environment: environment,
            databases: databases,
            commits: commits,
            maxBatchEvents: configuration.maxBatchEvents
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
    }

    /// Group-commit counters (commits, events, failed commits, time spent committing).
    public var writerStatistics: JournalWriterStatistics { writer.currentStatistics }

    // MARK: - Journal

    public func append(_ request: AppendRequest) async throws(JournalError) -> AppendResult {
        try AppendValidation.check(request)
        for write in request.writes where write.stream.description.utf8.count > JournalKeys.maxStreamNameLength {
            throw .invalidAppend("the stream name \(write.stream) is longer than \(JournalKeys.maxStreamNameLength) bytes")
        }
        return try await writer.submit(PreparedAppend(request)).get()
    }

    public func readStream(_ stream: StreamName, fromVersion: UInt64, limit: Int) async throws(JournalError) -> [RecordedEvent] {
        guard limit > 0 else { return [] }
        let prefix = JournalKeys.streamPrefix(stream)
        return try read { transaction in
            var positions: [UInt64] = []
            try transaction.withCursor(in: databases.streams) { cursor in
                var entry = try cursor.seek(atLeast: JournalKeys.stream(stream, version: max(fromVersion, 1)))
                while let (key, value) = entry, positions.count < limit,
                    key.count == prefix.count + 8, key.starts(with: prefix)
                {
                    guard let position = JournalKeys.uint64(from: value) else {
                        throw JournalError.storage("the stream index entry for \(stream) is malformed")
                    }
                    positions.append(position)
                    entry = try cursor.next()
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
        try read { transaction in
            let stored = try JournalKeys.head(stream).withUnsafeBytes { key in
                try transaction.withValue(in: databases.heads, forKey: key) { JournalKeys.uint64(from: $0) }
            }
            return stored.flatMap { $0 } ?? 0
        }
    }

    public func waitForCommit(after position: UInt64) async {
        await commits.wait(until: position + 1)
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

    /// Settings with defaults suited to CDC ingestion.
    public init(lmdb: LMDBConfiguration = .init(), maxBatchEvents: Int = 4096) {
        self.lmdb = lmdb
        self.maxBatchEvents = maxBatchEvents
    }
}
