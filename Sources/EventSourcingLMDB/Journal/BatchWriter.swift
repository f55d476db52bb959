import EventSourcing

/// Writes one group-commit batch inside a single LMDB write transaction (on the writer thread).
///
/// Each request's expected versions are checked against the stream heads, including versions
/// written earlier in the same batch, before any of its events are written: a request commits
/// whole or fails alone with a version conflict.
///
/// Only the events are written here. Their stream index entries are collected in `indexed`, for
/// the writer to add to the in-memory `StreamIndexTail` once the transaction has committed.
struct BatchWriter {
    let transaction: LMDBTransaction
    let databases: JournalDatabases
    let tail: StreamIndexTail
    /// The last position written so far.
    private(set) var position: UInt64
    let committedAt: Timestamp
    /// Stream versions changed by this batch.
    private var heads: [StreamName: UInt64] = [:]
    /// The stream index entries of the events written, in position order.
    private(set) var indexed: [StreamIndexTail.Entry] = []

    init(transaction: LMDBTransaction, databases: JournalDatabases, tail: StreamIndexTail, position: UInt64, committedAt: Timestamp) {
        self.transaction = transaction
        self.databases = databases
        self.tail = tail
        self.position = position
        self.committedAt = committedAt
    }

    mutating func write(_ append: PreparedAppend) throws -> Result<AppendResult, JournalError> {
        var currentVersions: [UInt64] = []
        currentVersions.reserveCapacity(append.writes.count)
        for write in append.writes {
            let current = try version(of: write)
            if case .exact(let expected) = write.expectedVersion, expected != current {
                return .failure(.versionConflict(stream: write.stream, expected: expected, actual: current))
            }
            currentVersions.append(current)
        }
        let first = position + 1
        var versions: [UInt64] = []
        versions.reserveCapacity(append.writes.count)
        for (write, current) in zip(append.writes, currentVersions) {
            var version = current
            for body in write.bodies {
                position += 1
                version += 1
                try writeEvent(body, version: version)
                indexed.append((write.stream, version, position))
            }
            heads[write.stream] = version
            versions.append(version)
        }
        return .success(AppendResult(firstPosition: first, lastPosition: position, versions: versions, recordedAt: committedAt))
    }

    private func version(of write: PreparedAppend.Write) throws -> UInt64 {
        if let head = heads[write.stream] { return head }
        if let head = tail.head(of: write.stream) { return head }
        return try databases.indexedHead(end: write.indexEnd, in: transaction)
    }

    private func writeEvent(_ body: EventRecordCodec.EncodedBody, version: UInt64) throws {
        let key = JournalKeys.event(position)
        let recordedAt = body.recordedAt ?? committedAt
        let position = position
        try key.withUnsafeBytes { (keyBytes) throws in
            try transaction.reserve(
                in: databases.events,
                key: keyBytes,
                count: EventRecordCodec.headerSize + body.bytes.count,
                flags: .append
            ) { record in
                EventRecordCodec.writeHeader(
                    into: UnsafeMutableRawBufferPointer(rebasing: record[..<EventRecordCodec.headerSize]),
                    body: body,
                    position: position,
                    version: version,
                    recordedAt: recordedAt
                )
                body.bytes.withUnsafeBytes { bytes in
                    UnsafeMutableRawBufferPointer(rebasing: record[EventRecordCodec.headerSize...]).copyMemory(from: bytes)
                }
            }
        }
    }
}
