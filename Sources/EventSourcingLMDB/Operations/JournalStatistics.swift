import EventSourcing

#if canImport(Glibc)
import Glibc
#endif

/// What a journal directory holds: `tributary stats`.
public struct JournalStatistics: Sendable {
    /// Events in the log.
    public var events: UInt64 = 0
    /// Distinct streams (records and other streams).
    public var streams = 0
    /// The last position.
    public var lastPosition: UInt64 = 0
    /// Events per stored type, e.g. `ClientUpdated`.
    public var eventsByType: [String: UInt64] = [:]
    /// Streams per category, e.g. `client`.
    public var streamsByCategory: [String: Int] = [:]
    /// The commit times of the first and last events.
    public var firstRecordedAt: Timestamp?
    public var lastRecordedAt: Timestamp?
    /// The size of `data.mdb` on disk, and the part of it LMDB uses.
    public var fileBytes = 0
    public var usedBytes = 0

    /// Reads every record header of the journal in `directory` (one read transaction, safe
    /// beside a running server); `progress` is told (events read, events in total).
    public static func collect(directory: String, progress: (UInt64, UInt64) -> Void = { _, _ in }) throws -> JournalStatistics {
        let environment = try LMDBEnvironment(path: directory, configuration: LMDBConfiguration(readOnly: true))
        defer { environment.close() }
        let databases = try JournalDatabases(environment: environment)
        var statistics = JournalStatistics()
        var fileStatus = stat()
        if stat(directory + "/data.mdb", &fileStatus) == 0 { statistics.fileBytes = Int(fileStatus.st_size) }
        statistics.usedBytes = environment.usedBytes
        var streams = Set<StreamName>()
        try environment.withReadTransaction { transaction in
            let total = UInt64(try transaction.count(in: databases.events))
            try transaction.withCursor(in: databases.events) { cursor in
                var entry = try cursor.first()
                while let (key, value) = entry {
                    let position = JournalKeys.position(fromEventKey: key) ?? 0
                    let header = try EventRecordCodec.verifiedHeader(position: position, record: value)
                    statistics.events += 1
                    statistics.lastPosition = position
                    statistics.eventsByType[header.type, default: 0] += 1
                    if streams.insert(header.stream).inserted {
                        statistics.streamsByCategory[header.stream.category, default: 0] += 1
                    }
                    if statistics.firstRecordedAt == nil { statistics.firstRecordedAt = header.recordedAt }
                    statistics.lastRecordedAt = header.recordedAt
                    if statistics.events % 4096 == 0 { progress(statistics.events, total) }
                    entry = try cursor.next()
                }
            }
            progress(statistics.events, total)
        }
        statistics.streams = streams.count
        return statistics
    }
}
