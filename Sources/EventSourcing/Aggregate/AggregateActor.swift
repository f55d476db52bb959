import DequeModule

/// Hosts one record's aggregate state in memory and runs its commands one at a time.
///
/// Every command goes decide → durable append → evolve → reply before the next one starts. Swift
/// actors are re-entrant across `await`, so the actor keeps an explicit FIFO: a command arriving
/// while another is suspended in the journal append waits its turn instead of deciding against
/// state that is about to change. On first use the actor recovers its state from the journal, in
/// that same FIFO, so commands queued behind the recovery see the recovered state. The journal's
/// expected-version check stays as a backstop should two actors for one record ever exist.
public actor AggregateActor<A: Aggregate> {
    /// The stream (record) this actor hosts.
    public nonisolated let stream: StreamName
    /// What this actor shares with every other actor of its record type.
    private let host: AggregateHost<A>
    /// The version of the last snapshot saved or loaded.
    private var snapshotVersion: UInt64 = 0

    private var state: A.State
    private var version: UInt64 = 0
    private var position: UInt64 = 0
    private var recovered = false

    private var busy = false
    private var waiting: Deque<CheckedContinuation<Void, Never>> = []

    private var aggregate: A { host.aggregate }
    private var journal: any Journal { host.journal }
    private var snapshots: (any AggregateSnapshotStore)? { host.snapshots }
    private var codec: SnapshotCodec<A.State>? { host.codec }
    private var snapshotEvery: UInt64 { host.snapshotEvery }
    private var snapshotStamp: String { host.snapshotStamp }

    /// An actor for `stream`; its state is recovered from `journal` on first use, starting from
    /// its snapshot in `snapshots` when there is a usable one.
    ///
    /// - Parameters:
    ///   - snapshotEvery: save a snapshot after this many events since the last one.
    ///   - buildIdentity: part of every snapshot's stamp: snapshots of another build are ignored.
    public init(
        stream: StreamName,
        aggregate: A,
        journal: any Journal,
        snapshots: (any AggregateSnapshotStore)? = nil,
        snapshotEvery: UInt64 = 100,
        buildIdentity: String = "unversioned"
    ) {
        self.init(
            stream: stream,
            host: AggregateHost(aggregate: aggregate, journal: journal, snapshots: snapshots, snapshotEvery: snapshotEvery, buildIdentity: buildIdentity)
        )
    }

    /// An actor for `stream` sharing `host` with the other actors of its record type.
    init(stream: StreamName, host: AggregateHost<A>) {
        self.stream = stream
        self.host = host
        self.state = host.aggregate.initialState
    }

    /// Runs `command` to completion: decides, appends durably, evolves, and returns the receipt.
    ///
    /// - Parameter expectedVersion: when given, the command is refused with `versionConflict`
    ///   unless the record is at exactly this version.
    public func handle(_ command: A.Command, expectedVersion: UInt64? = nil) async throws(CommandError<A.Rejection>)
        -> CommandReceipt
    {
        let pending = try await begin([Request(command: command, expectedVersion: expectedVersion)]).get()
        let outcome = pending.outcomes[0]
        guard case .success(let count) = outcome, count > 0 else {
            abandon(stale: false)
            return try outcome.map { _ in CommandReceipt(appended: 0, version: version, position: position) }.get()
        }
        let result: AppendResult
        do {
            result = try await journal.append(AppendRequest(writes: [pending.write(for: stream)]))
        } catch {
            abandon(stale: error.isVersionConflict)
            throw .journal(error)
        }
        commit(pending, firstPosition: result.firstPosition, recordedAt: result.recordedAt)
        return CommandReceipt(appended: count, version: version, position: position, recordedAt: result.recordedAt)
    }

    // MARK: - Two-phase use, for writes spanning several records

    /// A command for ``begin(_:)``, with the version the record must be at (`nil`: any).
    struct Request: Sendable {
        /// The command to decide.
        var command: A.Command
        /// The version the record must be at for the command to run (`nil`: any).
        var expectedVersion: UInt64?
    }

    /// Commands decided against the actor's state but not yet journaled. The actor's turn stays
    /// taken until ``commit(_:firstPosition:recordedAt:)`` or ``abandon(stale:)``.
    struct PendingWrite: Sendable {
        /// Per command, in order: how many events it decided, or why it was refused.
        var outcomes: [Result<Int, CommandError<A.Rejection>>]
        /// Every decided event, in order.
        var events: [A.Event]
        /// The events' stored form.
        var encoded: [NewEvent]
        /// The record's version before these events.
        var baseVersion: UInt64
        /// The journal position of the record's last event before these events.
        var basePosition: UInt64

        /// The journal write that makes these events durable.
        func write(for stream: StreamName) -> StreamWrite {
            StreamWrite(stream: stream, expectedVersion: .exact(baseVersion), events: encoded)
        }
    }

    /// Takes the actor's turn, recovers if needed, and decides `commands` in order, each against
    /// the state the previous ones leave. A refused command (rejection or expected-version
    /// mismatch) decides nothing and does not stop the others. On failure the turn is released.
    ///
    /// Its loops go by index, like the registry's: this generic code is not specialised for the
    /// aggregate, and generic iterators looked up type metadata on every step.
    func begin(_ commands: [Request]) async
        -> Result<PendingWrite, CommandError<A.Rejection>>
    {
        await acquire()
        do {
            try await recoverIfNeeded()
        } catch {
            release()
            return .failure(error)
        }
        var pending = PendingWrite(outcomes: [], events: [], encoded: [], baseVersion: version, basePosition: position)
        pending.outcomes.reserveCapacity(commands.count)
        // Later commands of the same record decide against the state the earlier ones leave; the
        // provisional positions are replaced by the real ones on commit.
        var scratch: A.State?
        let provisionalTime = Timestamp.now()
        for index in commands.indices {
            let item = commands[index]
            let currentVersion = version + UInt64(pending.events.count)
            if let expected = item.expectedVersion, expected != currentVersion {
                pending.outcomes.append(.failure(.versionConflict(expected: expected, actual: currentVersion)))
                continue
            }
            let events: [A.Event]
            do {
                events = try aggregate.decide(item.command, state: scratch ?? state)
            } catch {
                pending.outcomes.append(.failure(.rejected(error)))
                continue
            }
            pending.outcomes.append(.success(events.count))
            guard !events.isEmpty else { continue }
            if index < commands.count - 1 {
                var next = scratch ?? state
                for offset in events.indices {
                    let eventVersion = currentVersion + 1 + UInt64(offset)
                    aggregate.evolve(&next, with: events[offset], at: EventPosition(position: 0, version: eventVersion, recordedAt: provisionalTime))
                }
                scratch = next
            }
            pending.events.append(contentsOf: events)
        }
        pending.encoded.reserveCapacity(pending.events.count)
        for index in pending.events.indices {
            pending.encoded.append(aggregate.encode(pending.events[index]))
        }
        return .success(pending)
    }

    /// Folds the journaled events of `pending` into the state and releases the turn.
    ///
    /// - Parameters:
    ///   - firstPosition: the journal position of the first of these events.
    ///   - recordedAt: the commit time the journal gave them.
    func commit(_ pending: PendingWrite, firstPosition: UInt64, recordedAt: Timestamp) {
        for offset in pending.events.indices {
            let eventPosition = EventPosition(
                position: firstPosition + UInt64(offset),
                version: pending.baseVersion + 1 + UInt64(offset),
                recordedAt: recordedAt
            )
            aggregate.evolve(&state, with: pending.events[offset], at: eventPosition)
        }
        if !pending.events.isEmpty {
            version = pending.baseVersion + UInt64(pending.events.count)
            position = firstPosition + UInt64(pending.events.count) - 1
            if version - snapshotVersion >= snapshotEvery { saveSnapshot() }
        }
        release()
    }

    // MARK: - Snapshots

    /// Saves a snapshot if the state has moved since the last one: called when the record is
    /// passivated, so its next activation folds fewer events.
    public func snapshotBeforePassivation() {
        // A stream shorter than `snapshotLookupLength` is recovered by folding it, so its
        // snapshot would never be read: writing it (tens of thousands at once when the cap
        // evicts) would only stall the journal's writer.
        guard recovered, version > snapshotVersion, version >= snapshotLookupLength else { return }
        saveSnapshot()
    }

    /// Saves a snapshot now if the state has moved since the last one and the stream is long
    /// enough for recovery to read it (`POST /v1/admin/snapshot`). Returns whether it did.
    public func snapshotNow() -> Bool {
        guard recovered, version > snapshotVersion, version >= snapshotLookupLength, snapshots != nil, codec != nil else { return false }
        saveSnapshot()
        return true
    }

    /// The stream length from which recovery looks for a snapshot instead of folding the stream.
    private var snapshotLookupLength: UInt64 { max(2, snapshotEvery / 4) }

    private func saveSnapshot() {
        guard let snapshots, let codec else { return }
        snapshots.save(AggregateSnapshot(version: version, position: position, stamp: snapshotStamp, state: codec.encode(state)), of: stream)
        snapshotVersion = version
    }

    /// The usable snapshot to recover from, if any: same stamp, decodable, and of a version the
    /// stream has at the same position (a snapshot is derived data; when in doubt, fold the
    /// whole stream).
    private func loadSnapshot() async -> (state: A.State, version: UInt64, position: UInt64)? {
        guard let snapshots, let codec,
            let snapshot = try? await snapshots.snapshot(of: stream), snapshot.stamp == snapshotStamp,
            // The stream must have that version at that position: the snapshot is of this history.
            let event = try? await journal.readStream(stream, fromVersion: snapshot.version, limit: 1).first,
            event.version == snapshot.version, event.position == snapshot.position,
            let state = try? codec.decode(snapshot.state)
        else { return nil }
        return (state, snapshot.version, snapshot.position)
    }

    /// Releases the turn without changing the state.
    ///
    /// - Parameter stale: the journal reported that someone else wrote this stream, so the state
    ///   is read again on next use.
    func abandon(stale: Bool) {
        if stale { recovered = false }
        release()
    }

    /// The current state, version and last position, recovering first if needed.
    public func current() async throws(CommandError<A.Rejection>) -> (state: A.State, version: UInt64, position: UInt64) {
        await acquire()
        defer { release() }
        try await recoverIfNeeded()
        return (state, version, position)
    }

    // MARK: - Recovery

    private func recoverIfNeeded() async throws(CommandError<A.Rejection>) {
        guard !recovered else { return }
        var recoveredState = aggregate.initialState
        var recoveredVersion: UInt64 = 0
        var recoveredPosition: UInt64 = 0
        if snapshots != nil {
            // Most activations are of records with no events, or a few: ask for the head first
            // (often answered from memory), and look a snapshot up only when it can save folding.
            let head: UInt64
            do {
                head = try await journal.streamVersion(stream)
            } catch {
                throw .journal(error)
            }
            if head == 0 {
                state = recoveredState
                version = 0
                position = 0
                recovered = true
                return
            }
            if head >= snapshotLookupLength, let snapshot = await loadSnapshot() {
                (recoveredState, recoveredVersion, recoveredPosition) = snapshot
                snapshotVersion = snapshot.version
            }
        }
        var nextVersion: UInt64 = recoveredVersion + 1
        while true {
            let page: [RecordedEvent]
            do {
                page = try await journal.readStream(stream, fromVersion: nextVersion, limit: 1024)
            } catch {
                throw .journal(error)
            }
            for recordedEvent in page {
                let event: A.Event
                do {
                    event = try aggregate.decode(recordedEvent)
                } catch {
                    throw .recovery(error)
                }
                let eventPosition = EventPosition(
                    position: recordedEvent.position,
                    version: recordedEvent.version,
                    recordedAt: recordedEvent.recordedAt
                )
                aggregate.evolve(&recoveredState, with: event, at: eventPosition)
                recoveredVersion = recordedEvent.version
                recoveredPosition = recordedEvent.position
            }
            guard page.count == 1024 else { break }
            nextVersion = recoveredVersion + 1
        }
        state = recoveredState
        version = recoveredVersion
        position = recoveredPosition
        recovered = true
    }

    // MARK: - FIFO

    private func acquire() async {
        guard busy else {
            busy = true
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    private func release() {
        if let next = waiting.popFirst() {
            // The lock passes straight to the next command: `busy` stays true.
            next.resume()
        } else {
            busy = false
        }
    }
}

/// What every actor of one record type shares: the aggregate, the journal, the snapshot settings.
/// Held once per type by the registry rather than copied into each actor, where these fields
/// (and a stamp string built per actor) made up about a fifth of a resident record's heap.
final class AggregateHost<A: Aggregate>: Sendable {
    /// The aggregate definition: decide, evolve, the events' stored form.
    let aggregate: A
    /// Where the records' events are appended and read back from.
    let journal: any Journal
    /// Where snapshots go; `nil` without a store or when the state has no snapshot codec.
    let snapshots: (any AggregateSnapshotStore)?
    /// How the state is encoded in snapshots; `nil` when nothing is snapshotted.
    let codec: SnapshotCodec<A.State>?
    /// A snapshot is saved after this many events since the last one (at least 1).
    let snapshotEvery: UInt64
    /// The stamp snapshots are saved and loaded with: the build and the state's encoding.
    let snapshotStamp: String

    /// What the actors of `aggregate`'s records share; `buildIdentity` goes into the snapshot
    /// stamp, so snapshots of another build are ignored.
    init(aggregate: A, journal: any Journal, snapshots: (any AggregateSnapshotStore)?, snapshotEvery: UInt64, buildIdentity: String) {
        self.aggregate = aggregate
        self.journal = journal
        let codec = snapshots == nil ? nil : SnapshotCodec.of(aggregate)
        self.codec = codec
        self.snapshots = codec == nil ? nil : snapshots
        self.snapshotEvery = max(1, snapshotEvery)
        self.snapshotStamp = "build \(buildIdentity); \(codec?.stamp ?? "")"
    }
}
