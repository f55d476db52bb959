import EventSourcing

/// Writes one group-commit batch inside a single LMDB write transaction (on the writer thread).
///
/// Each request's expected versions are checked against the stream heads, including versions
/// written earlier in the same batch, before any of its events are written: a request commits
/// whole or fails alone with a version conflict.
struct BatchWriter {
    let transaction: LMDBTransaction
    let databases: JournalDatabases
    /// The last position written so far.
    private(set) var position: UInt64
    let committedAt: Timestamp
    /// Stream versions changed by this batch, written to `heads` at the end.
    private var heads: [StreamName: (key: [UInt8], version: UInt64)] = [:]

    init(transaction: LMDBTransaction, databases: JournalDatabases, position: UInt64, committedAt: Timestamp) {
        self.transaction = transaction
        self.databases = databases
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
                var streamKey = write.streamPrefix
                withUnsafeBytes(of: version.bigEndian) { streamKey.append(contentsOf: $0) }
                try transaction.put(in: databases.streams, key: streamKey, value: JournalKeys.uint64(position))
            }
            heads[write.stream] = (write.headKey, version)
            versions.append(version)
        }
        return .success(AppendResult(firstPosition: first, lastPosition: position, versions: versions, recordedAt: committedAt))
    }

    func writeHeads() throws {
        for (_, head) in heads {
            try transaction.put(in: databases.heads, key: head.key, value: JournalKeys.uint64(head.version))
        }
    }

    private func version(of write: PreparedAppend.Write) throws -> UInt64 {
        if let head = heads[write.stream] { return head.version }
        let stored = try write.headKey.withUnsafeBytes { key in
            try transaction.withValue(in: databases.heads, forKey: key) { JournalKeys.uint64(from: $0) }
        }
        return stored.flatMap { $0 } ?? 0
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
