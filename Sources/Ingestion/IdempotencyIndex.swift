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

    public nonisolated let name = "idempotency-keys"
    public nonisolated let applied = PositionWatch()
    private let startupPosition: UInt64
    private var answers: [String: Answer] = [:]
    private var statePosition: UInt64 = 0
    private var inFlight: [String: [CheckedContinuation<Void, Never>]] = [:]

    /// An index that serves claims once it has applied `startupPosition`.
    public init(startupPosition: UInt64) {
        self.startupPosition = startupPosition
    }

    public func apply(_ events: [RecordedEvent], through end: UInt64) {
        statePosition = max(statePosition, end)
        for event in events {
            guard let key = event.metadata["idempotencyKey"]?.stringValue else { continue }
            guard let type = RecordType(rawValue: event.stream.category),
                let kind = RecordEventTypeName.kind(of: event.type, for: type)
            else { continue }
            let outcome = kind.rawValue.lowercased()
            answers[Self.scoped(key, event.stream)] = Answer(position: event.position, version: event.version, outcome: outcome)
        }
    }

    // MARK: - Snapshots

    public nonisolated var snapshotStamp: String { "idempotency-keys/1" }

    /// The answers of the journaled commands (claims in flight are not state): `varuint count`,
    /// per key `string scopedKey, varuint position, varuint version, string outcome`.
    public func snapshot() -> ProjectionSnapshot {
        let answers = self.answers
        return ProjectionSnapshot(position: statePosition) {
            var writer = ByteWriter(capacity: 64 * answers.count + 8)
            writer.writeVarUInt(UInt64(answers.count))
            for (key, answer) in answers {
                writer.writeString(key)
                writer.writeVarUInt(answer.position)
                writer.writeVarUInt(answer.version)
                writer.writeString(answer.outcome)
            }
            return writer.bytes
        }
    }

    public func restore(from bytes: [UInt8], position: UInt64) throws {
        var reader = ByteReader(bytes)
        var restored: [String: Answer] = [:]
        for _ in 0..<min(try reader.readVarUInt(), UInt64(bytes.count)) {
            let key = try reader.readString()
            restored[key] = Answer(position: try reader.readVarUInt(), version: try reader.readVarUInt(), outcome: try reader.readString())
        }
        guard reader.isAtEnd else { throw SnapshotFormatError("the snapshot has bytes after its answers") }
        answers = restored
        statePosition = position
        applied.advance(to: position)
    }

    /// Claims `key` for `stream`, or returns the answer already given for it.
    public func claim(_ key: String, for stream: StreamName) async -> Claim {
        await applied.wait(until: startupPosition)
        let scopedKey = Self.scoped(key, stream)
        while true {
            if let answer = answers[scopedKey] { return .answered(answer) }
            guard inFlight[scopedKey] != nil else {
                inFlight[scopedKey] = []
                return .claimed
            }
            await withCheckedContinuation { inFlight[scopedKey, default: []].append($0) }
        }
    }

    /// Records the answer for a claimed key and wakes requests waiting on it.
    public func finish(_ key: String, for stream: StreamName, with answer: Answer) {
        let scopedKey = Self.scoped(key, stream)
        answers[scopedKey] = answer
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
