import JSON

/// The NDJSON form of events that `tributary export` writes and `tributary import` reads: one
/// JSON object per line,
///
/// ```
/// {"position":1,"stream":"client/001…","version":1,"type":"ClientCreated",
///  "recordedAt":"2026-11-27T05:25:37.123Z","metadata":{…},"data":{…}}
/// ```
///
/// Metadata and data are written exactly as stored (member order, number text), so an imported
/// event is stored with the same bytes as the exported one.
extension RecordedEvent {
    /// The event as one NDJSON line, newline included.
    public var ndjsonLine: [UInt8] {
        let object: JSONObject = [
            "position": .number(JSONNumber(position)),
            "stream": .string(stream.description),
            "version": .number(JSONNumber(version)),
            "type": .string(type),
            "recordedAt": .string(recordedAt.iso8601),
            "metadata": .object(metadata),
            "data": data,
        ]
        var line = JSONValue.object(object).jsonBytes()
        line.append(UInt8(ascii: "\n"))
        return line
    }

    /// The event on one NDJSON line (without its newline).
    public init(ndjsonLine line: some Collection<UInt8>) throws(EventLineError) {
        let value: JSONValue
        do {
            value = try JSONValue(parsing: line, limits: .init(maxDepth: 128, maxStringLength: 64 << 20))
        } catch {
            throw EventLineError("is not valid JSON: \(error)")
        }
        guard case .object(let object) = value else { throw EventLineError("is a \(value.kindName), not an event object") }
        guard let position = object["position"]?.numberValue.flatMap({ UInt64($0.text) }), position > 0 else {
            throw EventLineError("needs \"position\", a positive integer")
        }
        guard let streamText = object["stream"]?.stringValue, let stream = StreamName(streamText) else {
            throw EventLineError("needs \"stream\", a stream name such as \"client/001…\"")
        }
        guard let version = object["version"]?.numberValue.flatMap({ UInt64($0.text) }), version > 0 else {
            throw EventLineError("needs \"version\", a positive integer")
        }
        guard let type = object["type"]?.stringValue, !type.isEmpty else { throw EventLineError("needs \"type\", a non-empty string") }
        guard let timeText = object["recordedAt"]?.stringValue, let recordedAt = Timestamp(iso8601: timeText) else {
            throw EventLineError("needs \"recordedAt\", an ISO-8601 time")
        }
        guard case .object(let metadata)? = object["metadata"] else { throw EventLineError("needs \"metadata\", an object") }
        guard let data = object["data"] else { throw EventLineError("needs \"data\"") }
        self.init(position: position, stream: stream, version: version, type: type, recordedAt: recordedAt, metadata: metadata, data: data)
    }
}

/// Why an NDJSON line is not an event.
public struct EventLineError: Error, Sendable, CustomStringConvertible {
    /// What is wrong, phrased to follow "line N ".
    public var message: String

    init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}

/// Appends recorded events (from an export, or another journal) to a journal so that they keep
/// their positions, versions and record times: the log continues exactly where it ended.
///
/// Events are batched into large appends; consecutive events of one stream share a write. Each
/// event must be the next position of the journal and the next version of its stream: an import
/// continues a journal, it never reorders or merges one.
public struct JournalImporter {
    private let journal: any Journal
    let batchSize: Int
    var nextPosition: UInt64
    private var writes: [StreamWrite] = []
    private var streamsInBatch: Set<StreamName> = []
    /// The version each stream of the queued batch has reached (journal plus queued events).
    private var versions: [StreamName: UInt64] = [:]
    private var batchEvents = 0
    /// Events appended so far.
    public private(set) var imported: UInt64 = 0

    /// An importer continuing `journal` after its current last position.
    public init(journal: any Journal, batchSize: Int = 2048) async throws(JournalError) {
        self.journal = journal
        self.batchSize = batchSize
        self.nextPosition = try await journal.lastPosition() + 1
    }

    /// Queues `event`, appending the queue when it is full.
    public mutating func add(_ event: RecordedEvent) async throws(JournalImportError) {
        guard event.position == nextPosition else {
            throw .outOfSequence(position: event.position, expected: nextPosition)
        }
        if writes.last?.stream != event.stream, streamsInBatch.contains(event.stream) {
            // One append writes each stream once: a stream coming back starts the next append.
            try await flush()
        }
        let current: UInt64
        if let queued = versions[event.stream] {
            current = queued
        } else {
            do {
                current = try await journal.streamVersion(event.stream)
            } catch {
                throw .journal(error, firstPosition: event.position)
            }
        }
        guard event.version == current + 1 else {
            // Everything queued before this event is good: keep it, then stop here.
            try await flush()
            throw .versionOutOfSequence(position: event.position, stream: event.stream, version: event.version, expected: current + 1)
        }
        versions[event.stream] = event.version
        let newEvent = NewEvent(type: event.type, metadata: event.metadata, data: event.data, recordedAt: event.recordedAt)
        if let last = writes.last, last.stream == event.stream {
            writes[writes.count - 1].events.append(newEvent)
        } else {
            writes.append(StreamWrite(stream: event.stream, expectedVersion: .exact(event.version - 1), events: [newEvent]))
            streamsInBatch.insert(event.stream)
        }
        nextPosition += 1
        batchEvents += 1
        if batchEvents >= batchSize { try await flush() }
    }

    /// Appends whatever is queued. Call once after the last event.
    public mutating func flush() async throws(JournalImportError) {
        guard !writes.isEmpty else { return }
        let first = nextPosition - UInt64(batchEvents)
        let result: AppendResult
        do {
            result = try await journal.append(AppendRequest(writes: writes))
        } catch {
            throw .journal(error, firstPosition: first)
        }
        guard result.firstPosition == first else {
            // Someone else appended meanwhile: the positions no longer match the source.
            throw .outOfSequence(position: first, expected: result.firstPosition)
        }
        imported += UInt64(batchEvents)
        writes.removeAll(keepingCapacity: true)
        streamsInBatch.removeAll(keepingCapacity: true)
        versions.removeAll(keepingCapacity: true)
        batchEvents = 0
    }
}

/// Why an import stopped. Everything appended before it stays.
public enum JournalImportError: Error, Sendable, CustomStringConvertible {
    /// The event is not the journal's next position.
    case outOfSequence(position: UInt64, expected: UInt64)
    /// The event is not the next version of its stream.
    case versionOutOfSequence(position: UInt64, stream: StreamName, version: UInt64, expected: UInt64)
    /// The journal refused or failed an append (e.g. a version that does not follow its stream).
    case journal(JournalError, firstPosition: UInt64)

    public var description: String {
        switch self {
        case .outOfSequence(let position, let expected):
            "event at position \(position) does not continue the journal, which expects position \(expected) next"
        case .versionOutOfSequence(let position, let stream, let version, let expected):
            "event at position \(position) is version \(version) of \(stream), which expects version \(expected) next"
        case .journal(let error, let first):
            "the append of the events from position \(first) failed: \(error)"
        }
    }
}

/// Where a point-in-time copy stops.
public enum LogCut: Sendable, Hashable {
    /// Keep events up to and including this position.
    case position(UInt64)
    /// Keep events recorded at or before this time: the log up to the first event recorded
    /// later (commit times follow positions, so this is a prefix of the log, a state that
    /// really existed).
    case time(Timestamp)

    /// Whether `event` lies beyond the cut.
    public func excludes(_ event: RecordedEvent) -> Bool {
        switch self {
        case .position(let last): event.position > last
        case .time(let last): event.recordedAt > last
        }
    }
}

extension JournalImporter {
    /// Copies `source`'s events after the importer's journal's end, up to `cut` (everything when
    /// `nil`), and flushes. `progress` is told the last position copied.
    public mutating func copy(
        from source: any Journal,
        until cut: LogCut? = nil,
        progress: (UInt64) -> Void = { _ in }
    ) async throws(JournalImportError) {
        var after = nextPosition - 1
        while true {
            let page: [RecordedEvent]
            do {
                page = try await source.readAll(after: after, limit: batchSize)
            } catch {
                throw .journal(error, firstPosition: after + 1)
            }
            guard let last = page.last else { break }
            for event in page {
                if let cut, cut.excludes(event) {
                    try await flush()
                    progress(nextPosition - 1)
                    return
                }
                try await add(event)
            }
            after = last.position
            progress(after)
        }
        try await flush()
    }
}
