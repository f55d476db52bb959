import EventSourcing

/// One fault `verify` found, with where it is.
public struct JournalFault: Sendable, Hashable, CustomStringConvertible {
    /// The position of the event concerned, when the fault is about one.
    public var position: UInt64?
    /// The stream concerned, when known.
    public var stream: StreamName?
    /// What is wrong.
    public var message: String

    public var description: String {
        var parts: [String] = []
        if let position { parts.append("position \(position)") }
        if let stream { parts.append("stream \(stream)") }
        parts.append(message)
        return parts.joined(separator: ": ")
    }
}

/// What `verify` checked and found.
public struct JournalVerification: Sendable {
    /// Events read.
    public var events: UInt64 = 0
    /// Distinct streams seen.
    public var streams = 0
    /// The last position in the log.
    public var lastPosition: UInt64 = 0
    /// The position the on-disk stream index is complete through.
    public var indexedThrough: UInt64 = 0
    /// Index entries of later events, written by a flush still under way (or cut short by a
    /// crash): checked like the others.
    public var indexedPastThrough = 0
    /// The first faults found (at most `JournalVerifier.maxReportedFaults`).
    public var faults: [JournalFault] = []
    /// Every fault found, reported or not.
    public var faultCount = 0

    /// Whether nothing is wrong.
    public var isClean: Bool { faultCount == 0 }

    mutating func report(_ fault: JournalFault) {
        faultCount += 1
        if faults.count < JournalVerifier.maxReportedFaults { faults.append(fault) }
    }
}

/// Checks a journal directory end to end, in one read transaction (a consistent snapshot, safe
/// beside a running server):
/// - every record's checksum, format and stream name;
/// - positions 1, 2, 3, … without a gap;
/// - every stream's versions 1, 2, 3, … without a gap;
/// - the stream index: every event up to `indexed-through` has its `streams` entry pointing at
///   it (a later event may have one too, written by a flush under way, and then it must point
///   at it), no entry points elsewhere, and no stream has entries past its last indexed version
///   (the last entry is the stream's head);
/// - every aggregate snapshot decodes and stands for a version its stream has.
public enum JournalVerifier {
    /// The most faults listed in a report (all are counted).
    public static let maxReportedFaults = 100

    /// Verifies the journal in `directory`; `progress` is told (events read, events in total)
    /// every few thousand events.
    public static func verify(
        directory: String,
        progress: (UInt64, UInt64) -> Void = { _, _ in }
    ) throws -> JournalVerification {
        let environment = try LMDBEnvironment(path: directory, configuration: LMDBConfiguration(readOnly: true))
        defer { environment.close() }
        let databases = try JournalDatabases(environment: environment)
        return try environment.withReadTransaction { transaction in
            var report = JournalVerification()
            let total = UInt64(try transaction.count(in: databases.events))
            report.indexedThrough = try indexedThrough(transaction, databases) ?? .max
            // Per stream: the last version seen, and the last version at or below indexed-through.
            var versions: [StreamName: (last: UInt64, indexed: UInt64)] = [:]
            var indexedEvents = 0
            var expectedPosition: UInt64 = 1
            func inspect(key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) throws {
                guard let position = JournalKeys.position(fromEventKey: key) else {
                    report.report(JournalFault(message: "an events key is \(key.count) bytes long, not 8"))
                    return
                }
                if position != expectedPosition {
                    let missing = position > expectedPosition
                        ? "positions \(expectedPosition)…\(position - 1) are missing"
                        : "out of order after position \(expectedPosition - 1)"
                    report.report(JournalFault(position: position, message: "position gap: \(missing)"))
                }
                expectedPosition = position + 1
                report.events += 1
                report.lastPosition = position
                if report.events % 4096 == 0 { progress(report.events, total) }
                let header: EventRecordCodec.Header
                do {
                    header = try EventRecordCodec.verifiedHeader(position: position, record: value)
                } catch {
                    let stream = try? EventRecordCodec.streamAndVersion(position: position, record: value).stream
                    report.report(JournalFault(position: position, stream: stream, message: "\(error)"))
                    return
                }
                let previous = versions[header.stream] ?? (0, 0)
                if header.version != previous.last + 1 {
                    report.report(
                        JournalFault(position: position, stream: header.stream, message: "version \(header.version) follows version \(previous.last)")
                    )
                }
                var indexed = previous.indexed
                // Past indexed-through, a flush under way (or cut short by a crash) may have
                // written an entry already; one that is there must be right.
                let required = position <= report.indexedThrough
                if try checkIndexEntry(transaction, databases, header, position: position, required: required, into: &report) {
                    // Such entries run on from the stream's indexed versions (a flush writes each
                    // stream's versions in order), as start-up expects them to.
                    if !required, indexed != header.version - 1 {
                        report.report(
                            JournalFault(
                                position: position,
                                stream: header.stream,
                                message: "version \(header.version) is indexed past indexed-through, version \(indexed + 1) is not"
                            )
                        )
                    }
                    indexedEvents += 1
                    indexed = header.version
                    if !required { report.indexedPastThrough += 1 }
                }
                versions[header.stream] = (header.version, indexed)
            }
            try transaction.withCursor(in: databases.events) { cursor in
                var entry = try cursor.first()
                while let (key, value) = entry {
                    try inspect(key: key, value: value)
                    entry = try cursor.next()
                }
            }
            progress(report.events, total)
            report.streams = versions.count
            if report.indexedThrough == .max { report.indexedThrough = report.lastPosition }
            try checkIndexCounts(transaction, databases, indexedEvents: indexedEvents, versions: versions, into: &report)
            try checkSnapshots(transaction, databases, versions: versions, into: &report)
            return report
        }
    }

    static func indexedThrough(_ transaction: LMDBTransaction, _ databases: JournalDatabases) throws -> UInt64? {
        guard let meta = databases.meta, let bytes = try transaction.bytes(in: meta, forKey: JournalKeys.indexedThrough) else {
            return nil
        }
        return bytes.withUnsafeBytes { JournalKeys.uint64(from: $0) }
    }

    /// Checks the event's stream index entry, which must exist when `required`; returns whether
    /// it is there (or, missing, counts as indexed).
    private static func checkIndexEntry(
        _ transaction: LMDBTransaction,
        _ databases: JournalDatabases,
        _ header: EventRecordCodec.Header,
        position: UInt64,
        required: Bool,
        into report: inout JournalVerification
    ) throws -> Bool {
        let indexed = try transaction.bytes(in: databases.streams, forKey: JournalKeys.stream(header.stream, version: header.version))
        guard let indexed else {
            if required {
                report.report(JournalFault(position: position, stream: header.stream, message: "version \(header.version) has no stream index entry"))
            }
            return required
        }
        let target = indexed.withUnsafeBytes { JournalKeys.uint64(from: $0) }
        if target != position {
            report.report(
                JournalFault(
                    position: position,
                    stream: header.stream,
                    message: "the stream index files version \(header.version) under position \(target.map(String.init) ?? "?")"
                )
            )
        }
        return true
    }

    /// Aggregate snapshots must decode and stand for a version their stream has.
    private static func checkSnapshots(
        _ transaction: LMDBTransaction,
        _ databases: JournalDatabases,
        versions: [StreamName: (last: UInt64, indexed: UInt64)],
        into report: inout JournalVerification
    ) throws {
        guard let snapshots = databases.snapshots else { return }
        try transaction.withCursor(in: snapshots) { cursor in
            var entry = try cursor.first()
            while let (key, value) = entry {
                let name = String(decoding: key, as: UTF8.self)
                let stream = StreamName(name)
                if let snapshot = AggregateSnapshotCodec.decode(value), let stream {
                    let head = versions[stream]?.last ?? 0
                    if snapshot.version > head {
                        report.report(
                            JournalFault(stream: stream, message: "the aggregate snapshot is of version \(snapshot.version), the stream ends at \(head)")
                        )
                    }
                } else {
                    report.report(JournalFault(stream: stream, message: "the aggregate snapshot under \"\(name)\" does not decode"))
                }
                entry = try cursor.next()
            }
        }
    }

    /// Entries beyond those the events account for, and stream heads (each stream's last entry)
    /// that disagree with the events.
    private static func checkIndexCounts(
        _ transaction: LMDBTransaction,
        _ databases: JournalDatabases,
        indexedEvents: Int,
        versions: [StreamName: (last: UInt64, indexed: UInt64)],
        into report: inout JournalVerification
    ) throws {
        let entries = try transaction.count(in: databases.streams)
        if entries != indexedEvents {
            report.report(
                JournalFault(message: "the stream index has \(entries) entries for \(indexedEvents) indexed events")
            )
        }
        for (stream, version) in versions {
            let head = try databases.indexedHead(of: stream, in: transaction)
            if head != version.indexed {
                report.report(
                    JournalFault(
                        stream: stream,
                        message: "the stream index ends at version \(head), the indexed events at \(version.indexed)"
                    )
                )
            }
        }
    }
}
