import CRM
import EventSourcing
import JSON

/// Remembers the answer given to each `Idempotency-Key`, so a repeated service command returns
/// the first answer without writing again.
///
/// Keys travel in the metadata of the events they caused, so the index is a projection: it is
/// rebuilt from the journal after a restart, and a request waits until the index has caught up
/// with the journal found at start-up before it may write. Concurrent requests with the same key
/// queue behind the first one.
///
/// With a `retention`, a key is forgotten once the journal's time (the `recordedAt` of the
/// newest event applied) has moved more than `retention` past the key's event, so the index
/// stays bounded on a server that runs for months. Measured in the journal's time, a rebuild
/// from the journal forgets exactly what the live index did.
public actor IdempotencyIndex: SnapshottableProjection {
    /// The answer to a service command.
    public struct Answer: Sendable, Hashable {
        /// The journal position of the command's event (or of the record's last event).
        public var position: UInt64
        /// The record's version afterwards.
        public var version: UInt64
        /// What happened: `created`, `updated`, `deleted`, `undeleted`.
        public var outcome: String

        /// An answer.
        public init(position: UInt64, version: UInt64, outcome: String) {
            self.position = position
            self.version = version
            self.outcome = outcome
        }
    }

    /// Where the key stands.
    public enum Claim: Sendable {
        /// The key was seen: answer this.
        case answered(Answer)
        /// The caller holds the key now and must call `finish` (or `abandon`) when done.
        case claimed
    }

    /// An answer and when it was given (epoch milliseconds: its event's `recordedAt`).
    private struct Remembered {
        var answer: Answer
        var time: Int64
    }

    public nonisolated let name = "idempotency-keys"
    public nonisolated let applied = PositionWatch()
    private let startupPosition: UInt64
    /// How long a key is remembered, in milliseconds of the journal's time; `nil`: forever.
    private let retention: Int64?
    private var answers: [String: Remembered] = [:]
    /// With a retention: the keys in the order they were answered, from `expiryStart` on.
    private var expiry: [(time: Int64, key: String)] = []
    private var expiryStart = 0
    /// The journal's time: the `recordedAt` of the newest event applied (or answer given).
    private var newest = Int64.min
    private var statePosition: UInt64 = 0
    private var inFlight: [String: [CheckedContinuation<Void, Never>]] = [:]

    /// An index that serves claims once it has applied `startupPosition`, and remembers each key
    /// for `retention` of the journal's time (`nil`: forever).
    public init(startupPosition: UInt64, retention: Duration? = nil) {
        self.startupPosition = startupPosition
        self.retention = retention.map { retention in
            let (milliseconds, overflow) = retention.components.seconds.multipliedReportingOverflow(by: 1000)
            let (total, overflowAgain) = milliseconds.addingReportingOverflow(retention.components.attoseconds / 1_000_000_000_000_000)
            return overflow || overflowAgain ? Int64.max : total
        }
    }

    public func apply(_ events: [RecordedEvent], through end: UInt64) {
        statePosition = max(statePosition, end)
        // By index: most events carry no key, and copying each one out of the page (a retain and a
        // release; one for each of its parts before events were boxed) cost more than looking for
        // it.
        for index in events.indices {
            // Every event moves the journal's time on, not only commands with a key.
            newest = max(newest, events[index].recordedAt.millisecondsSinceEpoch)
            guard let key = events[index].metadata["idempotencyKey"]?.stringValue else { continue }
            let event = events[index]
            guard let type = RecordType(rawValue: event.stream.category),
                let kind = RecordEventTypeName.kind(of: event.type, for: type)
            else { continue }
            let outcome = kind.rawValue.lowercased()
            remember(
                Self.scoped(key, event.stream),
                Answer(position: event.position, version: event.version, outcome: outcome),
                at: event.recordedAt.millisecondsSinceEpoch
            )
        }
        forgetExpired()
    }

    /// How many keys are remembered.
    public var count: Int { answers.count }

    private func remember(_ scopedKey: String, _ answer: Answer, at time: Int64) {
        answers[scopedKey] = Remembered(answer: answer, time: time)
        newest = max(newest, time)
        if retention != nil { expiry.append((time, scopedKey)) }
    }

    private func isExpired(_ remembered: Remembered) -> Bool {
        guard let cutoff else { return false }
        return remembered.time < cutoff
    }

    /// Keys answered before this have expired; `nil` without a retention or a journal time.
    private var cutoff: Int64? {
        guard let retention, newest > Int64.min else { return nil }
        let (cutoff, overflow) = newest.subtractingReportingOverflow(retention)
        return overflow ? Int64.min : cutoff
    }

    /// Forgets the keys answered more than `retention` before the journal's time.
    private func forgetExpired() {
        guard let cutoff else { return }
        while expiryStart < expiry.count, expiry[expiryStart].time < cutoff {
            let key = expiry[expiryStart].key
            // A key answered again since (a later entry) stays.
            if let remembered = answers[key], remembered.time < cutoff { answers[key] = nil }
            expiryStart += 1
        }
        if expiryStart >= 4096, expiryStart * 2 >= expiry.count {
            expiry.removeFirst(expiryStart)
            expiryStart = 0
        }
    }

    // MARK: - Snapshots

    public nonisolated var snapshotStamp: String { "idempotency-keys/2" }

    /// The answers of the journaled commands (claims in flight are not state): `varuint count`,
    /// per key `string scopedKey, varuint position, varuint version, string outcome, varint
    /// time` (epoch milliseconds).
    public func snapshot() -> ProjectionSnapshot {
        let answers = self.answers
        return ProjectionSnapshot(position: statePosition) {
            var writer = ByteWriter(capacity: 64 * answers.count + 8)
            writer.writeVarUInt(UInt64(answers.count))
            for (key, remembered) in answers {
                writer.writeString(key)
                writer.writeVarUInt(remembered.answer.position)
                writer.writeVarUInt(remembered.answer.version)
                writer.writeString(remembered.answer.outcome)
                writer.writeVarInt(remembered.time)
            }
            return writer.bytes
        }
    }

    public func restore(from bytes: [UInt8], position: UInt64) throws {
        var reader = ByteReader(bytes)
        var restored: [(key: String, answer: Answer, time: Int64)] = []
        for _ in 0..<min(try reader.readVarUInt(), UInt64(bytes.count)) {
            let key = try reader.readString()
            let answer = Answer(position: try reader.readVarUInt(), version: try reader.readVarUInt(), outcome: try reader.readString())
            restored.append((key, answer, try reader.readVarInt()))
        }
        guard reader.isAtEnd else { throw SnapshotFormatError("the snapshot has bytes after its answers") }
        answers = [:]
        expiry = []
        expiryStart = 0
        newest = .min
        for entry in restored.sorted(by: { $0.time < $1.time }) { remember(entry.key, entry.answer, at: entry.time) }
        forgetExpired()
        statePosition = position
        applied.advance(to: position)
    }

    /// Claims `key` for `stream`, or returns the answer already given for it.
    public func claim(_ key: String, for stream: StreamName) async -> Claim {
        await applied.wait(until: startupPosition)
        let scopedKey = Self.scoped(key, stream)
        while true {
            // An expired key still in the table (the queue frees memory in order) is absent.
            if let remembered = answers[scopedKey], !isExpired(remembered) { return .answered(remembered.answer) }
            guard inFlight[scopedKey] != nil else {
                inFlight[scopedKey] = []
                return .claimed
            }
            await withCheckedContinuation { inFlight[scopedKey, default: []].append($0) }
        }
    }

    /// Records the answer for a claimed key and wakes requests waiting on it. `recordedAt` is
    /// when the command's events were recorded (as the index will see them applied); a command
    /// that wrote nothing is remembered from the journal's time now.
    public func finish(_ key: String, for stream: StreamName, with answer: Answer, recordedAt: Timestamp? = nil) {
        let scopedKey = Self.scoped(key, stream)
        let time = recordedAt?.millisecondsSinceEpoch ?? (newest > Int64.min ? newest : Timestamp.now().millisecondsSinceEpoch)
        remember(scopedKey, answer, at: time)
        release(scopedKey)
    }

    /// Gives up a claim without an answer (the command failed); a waiting request may try.
    public func abandon(_ key: String, for stream: StreamName) {
        release(Self.scoped(key, stream))
    }

    private func release(_ scopedKey: String) {
        for waiter in inFlight.removeValue(forKey: scopedKey) ?? [] { waiter.resume() }
    }

    private static func scoped(_ key: String, _ stream: StreamName) -> String {
        "\(stream)\u{0}\(key)"
    }
}
