import Synchronization

/// Routes commands to the actor hosting each record, activating records on demand and
/// passivating idle ones.
///
/// Lookup is synchronous under a mutex, so concurrent first requests for a record create exactly
/// one actor; that actor recovers its state inside its own command FIFO, so the recovery also
/// happens once and every early command waits for it. Each entry counts the commands in flight:
/// passivation removes only idle entries with none, so no caller ever holds an actor that has been
/// replaced by a newer one for the same record.
public final class AggregateRegistry<A: Aggregate>: Sendable {
    private struct Entry {
        let actor: AggregateActor<A>
        var inFlight: Int
        var lastUsed: ContinuousClock.Instant
    }

    private struct State {
        var entries: [StreamName: Entry] = [:]
        /// Whether an eviction past the resident cap is under way (one at a time).
        var evicting = false
        var activations: UInt64 = 0
        var passivations: UInt64 = 0
    }

    private let journal: any Journal
    private let snapshots: (any AggregateSnapshotStore)?
    /// Per category: what its records' actors share.
    private let hosts: [String: AggregateHost<A>]
    /// The settings this registry runs with.
    public let configuration: RegistryConfiguration
    private let state = Mutex(State())

    /// A registry serving the categories in `aggregates` (category → aggregate definition),
    /// recovering records from `snapshots` (when given) plus the tail of their streams.
    public init(
        journal: any Journal,
        aggregates: [String: A],
        configuration: RegistryConfiguration = .init(),
        snapshots: (any AggregateSnapshotStore)? = nil
    ) {
        self.hosts = aggregates.mapValues { aggregate in
            AggregateHost(
                aggregate: aggregate,
                journal: journal,
                snapshots: snapshots,
                snapshotEvery: configuration.snapshotEvery,
                buildIdentity: configuration.buildIdentity
            )
        }
        self.journal = journal
        self.configuration = configuration
        self.snapshots = snapshots
    }

    /// Runs `command` on the record `stream`, activating it first if it is not resident.
    public func handle(_ command: A.Command, on stream: StreamName, expectedVersion: UInt64? = nil)
        async throws(RegistryError<A.Rejection>) -> CommandReceipt
    {
        let actor = try checkOut(stream)
        defer { checkIn(stream) }
        do {
            return try await actor.handle(command, expectedVersion: expectedVersion)
        } catch {
            throw .command(error)
        }
    }

    /// One command of an atomic batch: the record it is for, and the version the record must be
    /// at (`nil`: any).
    public typealias BatchCommand = (stream: StreamName, command: A.Command, expectedVersion: UInt64?)

    /// Runs commands for several records as one unit: every event they decide is journaled in a
    /// single atomic append, or none is.
    ///
    /// Commands for one record run in the order given, each deciding against the state the
    /// previous ones leave. The records' turns are taken in stream-name order, so two batches
    /// sharing records cannot deadlock, and are held until the append has committed: no other
    /// command on these records interleaves. A command refused by its record (a rejection or a
    /// version mismatch) fails alone; a journal failure fails the whole batch with nothing
    /// written.
    ///
    /// - Returns: one result per command, in the order given.
    public func handleAtomically(_ commands: [BatchCommand]) async throws(RegistryError<A.Rejection>)
        -> [Result<CommandReceipt, CommandError<A.Rejection>>]
    {
        try await handleAtomically(commands, alsoWriting: []).results
    }

    /// Like ``handleAtomically(_:)``, with `extraWrites` (streams no aggregate hosts, such as
    /// requests for other services) journaled in the same append, after the records' events.
    /// When only the extra writes have events, they are still appended.
    ///
    /// - Returns: one result per command, and the position of the append's last event (`nil`
    ///   when nothing was written).
    public func handleAtomically(_ commands: [BatchCommand], alsoWriting extraWrites: [StreamWrite]) async throws(RegistryError<A.Rejection>)
        -> (results: [Result<CommandReceipt, CommandError<A.Rejection>>], lastPosition: UInt64?)
    {
        try await handleAtomically(commands) { _ in extraWrites }
    }

    /// Like ``handleAtomically(_:alsoWriting:)``, with the extra writes made once the records
    /// have decided: `extraWrites` is told how many events each command decided (in command
    /// order; 0 for one that was rejected or changes nothing), so an extra event can count what
    /// the append really holds.
    public func handleAtomically(
        _ commands: [BatchCommand],
        alsoWriting extraWrites: ([Int]) -> [StreamWrite]
    ) async throws(RegistryError<A.Rejection>)
        -> (results: [Result<CommandReceipt, CommandError<A.Rejection>>], lastPosition: UInt64?)
    {
        // Loops here go by index: this code is not specialised for the aggregate (it lives in
        // another module), and `enumerated()`, `zip` and `map` over its generic elements looked
        // up their type metadata on every step, 7% of the server's time under CDC load (`perf`).
        var slots: [StreamName: [Int]] = [:]
        for index in commands.indices {
            slots[commands[index].stream, default: []].append(index)
        }
        let streams = slots.keys.sorted()
        var actors: [AggregateActor<A>] = []
        actors.reserveCapacity(streams.count)
        defer {
            for index in actors.indices { checkIn(actors[index].stream) }
        }
        for stream in streams {
            actors.append(try checkOut(stream))
        }

        // Phase 1: take every record's turn, in stream order, and decide.
        var pending: [AggregateActor<A>.PendingWrite] = []
        pending.reserveCapacity(streams.count)
        for streamIndex in streams.indices {
            let actor = actors[streamIndex]
            let indices = slots[streams[streamIndex]] ?? []
            var batch: [AggregateActor<A>.Request] = []
            batch.reserveCapacity(indices.count)
            for index in indices {
                batch.append(AggregateActor<A>.Request(command: commands[index].command, expectedVersion: commands[index].expectedVersion))
            }
            switch await actor.begin(batch) {
            case .success(let write):
                pending.append(write)
            case .failure(let error):
                for earlier in 0..<pending.count { await actors[earlier].abandon(stale: false) }
                throw .command(error)
            }
        }

        // Phase 2: one append for every record that decided events.
        var decided = [Int](repeating: 0, count: commands.count)
        for index in pending.indices {
            let streamSlots = slots[streams[index]] ?? []
            for offset in 0..<min(streamSlots.count, pending[index].outcomes.count) {
                if case .success(let count) = pending[index].outcomes[offset] { decided[streamSlots[offset]] = count }
            }
        }
        let extraWrites = extraWrites(decided)
        var writing: [Int] = []
        var writes: [StreamWrite] = []
        writes.reserveCapacity(pending.count + extraWrites.count)
        for index in pending.indices where !pending[index].events.isEmpty {
            writing.append(index)
            writes.append(pending[index].write(for: streams[index]))
        }
        var firstPositions: [UInt64?] = Array(repeating: nil, count: streams.count)
        var recordedAt = Timestamp(millisecondsSinceEpoch: 0)
        var lastPosition: UInt64?
        if !writes.isEmpty || !extraWrites.isEmpty {
            writes.append(contentsOf: extraWrites)
            let request = AppendRequest(writes: writes)
            do {
                let result = try await journal.append(request)
                lastPosition = result.lastPosition
                var next = result.firstPosition
                for index in writing {
                    firstPositions[index] = next
                    next += UInt64(pending[index].events.count)
                }
                recordedAt = result.recordedAt
            } catch {
                for index in actors.indices { await actors[index].abandon(stale: error.isVersionConflict) }
                throw .command(.journal(error))
            }
        }

        // Phase 3: fold the committed events in, release the turns, and write the receipts.
        // Every slot belongs to exactly one stream, so each placeholder is overwritten below.
        var results = [Result<CommandReceipt, CommandError<A.Rejection>>](
            repeating: .success(CommandReceipt(appended: 0, version: 0, position: 0)),
            count: commands.count
        )
        for index in actors.indices {
            let write = pending[index]
            if let first = firstPositions[index] {
                await actors[index].commit(write, firstPosition: first, recordedAt: recordedAt)
            } else {
                await actors[index].abandon(stale: false)
            }
            var version = write.baseVersion
            var position = write.basePosition
            let streamSlots = slots[streams[index]] ?? []
            for offset in 0..<min(streamSlots.count, write.outcomes.count) {
                switch write.outcomes[offset] {
                case .success(let count):
                    if count > 0, let first = firstPositions[index] {
                        version += UInt64(count)
                        position = first + (version - write.baseVersion) - 1
                    }
                    results[streamSlots[offset]] = .success(
                        CommandReceipt(appended: count, version: version, position: position, recordedAt: count > 0 ? recordedAt : nil)
                    )
                case .failure(let error):
                    results[streamSlots[offset]] = .failure(error)
                }
            }
        }
        return (results, lastPosition)
    }

    /// The record's current state, version and position (activating it if needed).
    public func current(_ stream: StreamName) async throws(RegistryError<A.Rejection>)
        -> (state: A.State, version: UInt64, position: UInt64)
    {
        let actor = try checkOut(stream)
        defer { checkIn(stream) }
        do {
            return try await actor.current()
        } catch {
            throw .command(error)
        }
    }

    /// Drops every resident record unused for longer than the idle timeout and with no command in
    /// flight, snapshotting the ones that changed since their last snapshot. Returns how many
    /// were passivated.
    @discardableResult
    public func passivateIdle(now: ContinuousClock.Instant = .now) async -> Int {
        let deadline = now - configuration.idleTimeout
        let removed = state.withLock { state in
            var removed: [AggregateActor<A>] = []
            state.entries = state.entries.filter { _, entry in
                let keep = entry.inFlight > 0 || entry.lastUsed > deadline
                if !keep { removed.append(entry.actor) }
                return keep
            }
            state.passivations += UInt64(removed.count)
            return removed
        }
        for actor in removed { await actor.snapshotBeforePassivation() }
        return removed.count
    }

    /// Snapshots every resident record whose state moved since its last snapshot (and whose
    /// stream is long enough for recovery to read one); the snapshots go to the journal's writer
    /// with its next commit. Returns how many records are resident and how many were snapshotted.
    public func snapshotResident() async -> (resident: Int, snapshotted: Int) {
        let actors = state.withLock { $0.entries.values.map(\.actor) }
        var snapshotted = 0
        for actor in actors where await actor.snapshotNow() { snapshotted += 1 }
        return (actors.count, snapshotted)
    }

    /// Passivates the least recently used idle records once the resident count passes the cap
    /// by a tenth, down to the cap, so the sort is paid once per tenth of the cap rather than per
    /// activation. The candidates are listed under the lock but sorted outside it; a record used
    /// again in between is kept.
    ///
    /// It sorts plain (time, index) pairs: sorting the stream names themselves spent most of its
    /// time retaining and releasing their strings (seconds at half a million records, on the path
    /// of the activation that crossed the threshold).
    private func evictOverCap() {
        guard let cap = configuration.maxResident else { return }
        var streams: [StreamName] = []
        var ages: [(lastUsed: ContinuousClock.Instant, index: Int)] = []
        let excess: Int? = state.withLock { state in
            guard !state.evicting, state.entries.count > cap + max(1, cap / 10) else { return nil }
            state.evicting = true
            streams.reserveCapacity(state.entries.count)
            ages.reserveCapacity(state.entries.count)
            for (stream, entry) in state.entries where entry.inFlight == 0 {
                ages.append((entry.lastUsed, streams.count))
                streams.append(stream)
            }
            return state.entries.count - cap
        }
        guard let excess else { return }
        ages.sort { $0.lastUsed < $1.lastUsed }
        let evicted: [AggregateActor<A>] = state.withLock { state in
            defer { state.evicting = false }
            var evicted: [AggregateActor<A>] = []
            evicted.reserveCapacity(excess)
            for age in ages.prefix(excess) {
                let stream = streams[age.index]
                guard let entry = state.entries[stream], entry.inFlight == 0, entry.lastUsed == age.lastUsed else { continue }
                state.entries[stream] = nil
                evicted.append(entry.actor)
            }
            state.passivations += UInt64(evicted.count)
            return evicted
        }
        if !evicted.isEmpty, snapshots != nil {
            // Off the caller's path: the evicted records' snapshots need their actors' turns.
            Task { for actor in evicted { await actor.snapshotBeforePassivation() } }
        }
    }

    /// Counters for monitoring: records resident now, activations and passivations so far.
    public var statistics: (resident: Int, activations: UInt64, passivations: UInt64) {
        state.withLock { ($0.entries.count, $0.activations, $0.passivations) }
    }

    // MARK: - Entries

    private func checkOut(_ stream: StreamName) throws(RegistryError<A.Rejection>) -> AggregateActor<A> {
        guard let host = hosts[stream.category] else { throw .unknownCategory(stream.category) }
        let now = ContinuousClock.now
        let (actor, activated) = state.withLock { state in
            if let index = state.entries.index(forKey: stream) {
                state.entries.values[index].inFlight += 1
                state.entries.values[index].lastUsed = now
                return (state.entries.values[index].actor, false)
            }
            let actor = AggregateActor(stream: stream, host: host)
            state.entries[stream] = Entry(actor: actor, inFlight: 1, lastUsed: now)
            state.activations += 1
            return (actor, true)
        }
        if activated { evictOverCap() }
        return actor
    }

    private func checkIn(_ stream: StreamName) {
        let now = ContinuousClock.now
        state.withLock { state in
            guard let index = state.entries.index(forKey: stream) else { return }
            state.entries.values[index].inFlight -= 1
            state.entries.values[index].lastUsed = now
        }
    }
}

/// Why the registry could not run a command.
public enum RegistryError<Rejection: Error & Equatable>: Error, Equatable {
    /// No aggregate is registered for the stream's category.
    case unknownCategory(String)
    /// The record's actor refused or failed the command.
    case command(CommandError<Rejection>)
}
