/// The durable, ordered log of every event: the one source of truth.
///
/// Implementations assign each event a gap-free global position at commit and a per-stream
/// version, check expected versions, and resume an appender only once its events are durable.
/// Everything above the journal (aggregates, projections, HTTP) talks to this protocol only, so
/// the storage engine can change (LMDB today) without touching them.
public protocol Journal: Sendable {
    /// Appends the events of `request` atomically: all of its stream writes commit, or none do.
    ///
    /// Returns once the events are durable. Throws `JournalError.versionConflict` when a stream's
    /// version is not the expected one.
    func append(_ request: AppendRequest) async throws(JournalError) -> AppendResult

    /// The events of `stream` with version ≥ `fromVersion`, oldest first, at most `limit`.
    func readStream(_ stream: StreamName, fromVersion: UInt64, limit: Int) async throws(JournalError) -> [RecordedEvent]

    /// The events with position > `position`, in position order, at most `limit`.
    func readAll(after position: UInt64, limit: Int) async throws(JournalError) -> [RecordedEvent]

    /// The position of the last committed event; 0 when the journal is empty.
    func lastPosition() async throws(JournalError) -> UInt64

    /// The current version of `stream`; 0 when it has no events.
    func streamVersion(_ stream: StreamName) async throws(JournalError) -> UInt64

    /// Returns once an event with position > `position` has committed, or when the task is
    /// cancelled (check `Task.isCancelled` afterwards).
    func waitForCommit(after position: UInt64) async
}

/// What the appender expects a stream's current version to be.
public enum ExpectedVersion: Sendable, Hashable {
    /// Append whatever the current version.
    case any
    /// The stream must be at exactly this version (0: the stream must not exist yet).
    case exact(UInt64)
}

/// Events for one stream within an append.
public struct StreamWrite: Sendable, Hashable {
    /// The stream to append to.
    public var stream: StreamName
    /// The version the stream must be at before this write.
    public var expectedVersion: ExpectedVersion
    /// The events, in order. Must not be empty.
    public var events: [NewEvent]

    /// A write to one stream.
    public init(stream: StreamName, expectedVersion: ExpectedVersion, events: [NewEvent]) {
        self.stream = stream
        self.expectedVersion = expectedVersion
        self.events = events
    }
}

/// One atomic append: one or more stream writes that commit together.
public struct AppendRequest: Sendable, Hashable {
    /// The writes, in the order their events take positions. A stream appears at most once.
    public var writes: [StreamWrite]

    /// An append of several stream writes.
    public init(writes: [StreamWrite]) {
        self.writes = writes
    }

    /// An append to a single stream.
    public init(stream: StreamName, expectedVersion: ExpectedVersion, events: [NewEvent]) {
        self.writes = [StreamWrite(stream: stream, expectedVersion: expectedVersion, events: events)]
    }

    /// The number of events across all writes.
    public var eventCount: Int { writes.reduce(0) { $0 + $1.events.count } }
}

/// Where an append's events landed.
public struct AppendResult: Sendable, Hashable {
    /// The position of the first event appended.
    public var firstPosition: UInt64
    /// The position of the last event appended.
    public var lastPosition: UInt64
    /// For each write, in request order, the stream's version after it.
    public var versions: [UInt64]
    /// The commit time recorded with the events (unless an event brought its own).
    public var recordedAt: Timestamp

    /// An append result.
    public init(firstPosition: UInt64, lastPosition: UInt64, versions: [UInt64], recordedAt: Timestamp) {
        self.firstPosition = firstPosition
        self.lastPosition = lastPosition
        self.versions = versions
        self.recordedAt = recordedAt
    }
}

extension Journal {
    /// Every event of `stream` from `fromVersion` on, reading in pages.
    public func readStream(_ stream: StreamName, fromVersion: UInt64 = 1) async throws(JournalError) -> [RecordedEvent] {
        var events: [RecordedEvent] = []
        var next = fromVersion
        while true {
            let page = try await readStream(stream, fromVersion: next, limit: 4096)
            events.append(contentsOf: page)
            guard page.count == 4096, let last = page.last else { return events }
            next = last.version + 1
        }
    }
}
