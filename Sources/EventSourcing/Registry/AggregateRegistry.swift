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
        var activations: UInt64 = 0
        var passivations: UInt64 = 0
    }

    private let journal: any Journal
    private let aggregates: [String: A]
    /// The settings this registry runs with.
    public let configuration: RegistryConfiguration
    private let state = Mutex(State())

    /// A registry serving the categories in `aggregates` (category → aggregate definition).
    public init(journal: any Journal, aggregates: [String: A], configuration: RegistryConfiguration = .init()) {
        self.journal = journal
        self.aggregates = aggregates
        self.configuration = configuration
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
    /// flight. Returns how many were passivated.
    @discardableResult
    public func passivateIdle(now: ContinuousClock.Instant = .now) -> Int {
        let deadline = now - configuration.idleTimeout
        return state.withLock { state in
            let before = state.entries.count
            state.entries = state.entries.filter { _, entry in entry.inFlight > 0 || entry.lastUsed > deadline }
            let removed = before - state.entries.count
            state.passivations += UInt64(removed)
            return removed
        }
    }

    /// Counters for monitoring: records resident now, activations and passivations so far.
    public var statistics: (resident: Int, activations: UInt64, passivations: UInt64) {
        state.withLock { ($0.entries.count, $0.activations, $0.passivations) }
    }

    // MARK: - Entries

    private func checkOut(_ stream: StreamName) throws(RegistryError<A.Rejection>) -> AggregateActor<A> {
        guard let aggregate = aggregates[stream.category] else { throw .unknownCategory(stream.category) }
        let now = ContinuousClock.now
        return state.withLock { state in
            if let index = state.entries.index(forKey: stream) {
                state.entries.values[index].inFlight += 1
                state.entries.values[index].lastUsed = now
                return state.entries.values[index].actor
            }
            let actor = AggregateActor(stream: stream, aggregate: aggregate, journal: journal)
            state.entries[stream] = Entry(actor: actor, inFlight: 1, lastUsed: now)
            state.activations += 1
            return actor
        }
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
