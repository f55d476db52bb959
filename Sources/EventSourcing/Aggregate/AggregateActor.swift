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
    private let aggregate: A
    private let journal: any Journal

    private var state: A.State
    private var version: UInt64 = 0
    private var position: UInt64 = 0
    private var recovered = false

    private var busy = false
    private var waiting: Deque<CheckedContinuation<Void, Never>> = []

    /// An actor for `stream`; its state is recovered from `journal` on first use.
    public init(stream: StreamName, aggregate: A, journal: any Journal) {
        self.stream = stream
        self.aggregate = aggregate
        self.journal = journal
        self.state = aggregate.initialState
    }

    /// Runs `command` to completion: decides, appends durably, evolves, and returns the receipt.
    ///
    /// - Parameter expectedVersion: when given, the command is refused with `versionConflict`
    ///   unless the record is at exactly this version.
    public func handle(_ command: A.Command, expectedVersion: UInt64? = nil) async throws(CommandError<A.Rejection>)
        -> CommandReceipt
    {
        await acquire()
        defer { release() }
        try await recoverIfNeeded()
        if let expectedVersion, expectedVersion != version {
            throw .versionConflict(expected: expectedVersion, actual: version)
        }
        let events: [A.Event]
        do {
            events = try aggregate.decide(command, state: state)
        } catch {
            throw .rejected(error)
        }
        guard !events.isEmpty else {
            return CommandReceipt(appended: 0, version: version, position: position)
        }
        let result: AppendResult
        do {
            result = try await journal.append(
                AppendRequest(stream: stream, expectedVersion: .exact(version), events: events.map(aggregate.encode))
            )
        } catch {
            if case .versionConflict = error {
                // Someone else wrote this stream: our state is stale, so read it again next time.
                recovered = false
            }
            throw .journal(error)
        }
        for (offset, event) in events.enumerated() {
            let eventPosition = EventPosition(
                position: result.firstPosition + UInt64(offset),
                version: version + 1 + UInt64(offset),
                recordedAt: result.recordedAt
            )
            aggregate.evolve(&state, with: event, at: eventPosition)
        }
        version = result.versions[0]
        position = result.lastPosition
        return CommandReceipt(appended: events.count, version: version, position: position)
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
        var nextVersion: UInt64 = 1
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
