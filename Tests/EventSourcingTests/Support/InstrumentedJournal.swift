import EventSourcing
import Synchronization

/// A test double around a real `InMemoryJournal`: it delegates every call, but suspends inside
/// `append` and `readStream` (so an actor that is re-entrant across them would interleave),
/// counts calls, tracks how many appends to one stream overlap, and can hold appends at a gate.
final class InstrumentedJournal: Journal {
    private struct Counters {
        var readStreamCalls: [StreamName: Int] = [:]
        var appendsInFlight: [StreamName: Int] = [:]
        var maxAppendsInFlight = 0
        var appendArrivals: UInt64 = 0
    }

    let base = InMemoryJournal()
    private let counters = Mutex(Counters())
    private let yields: Int
    /// When set, the n-th append (from 1) waits inside the journal until the gate reaches n.
    private let appendGate: PositionWatch?
    /// Advances to n when the n-th append has arrived (before it waits at the gate).
    let appendArrivals = PositionWatch()

    init(yields: Int = 5, appendGate: PositionWatch? = nil) {
        self.yields = yields
        self.appendGate = appendGate
    }

    /// How many times `readStream` was called for `stream`.
    func readStreamCalls(_ stream: StreamName) -> Int {
        counters.withLock { $0.readStreamCalls[stream] ?? 0 }
    }

    /// The most appends to a single stream that were ever inside `append` at once.
    var maxAppendsInFlight: Int {
        counters.withLock { $0.maxAppendsInFlight }
    }

    func append(_ request: AppendRequest) async throws(JournalError) -> AppendResult {
        let streams = request.writes.map(\.stream)
        let arrival: UInt64 = counters.withLock { counters in
            for stream in streams {
                let inFlight = (counters.appendsInFlight[stream] ?? 0) + 1
                counters.appendsInFlight[stream] = inFlight
                counters.maxAppendsInFlight = max(counters.maxAppendsInFlight, inFlight)
            }
            counters.appendArrivals += 1
            return counters.appendArrivals
        }
        defer {
            counters.withLock { counters in
                for stream in streams { counters.appendsInFlight[stream]? -= 1 }
            }
        }
        appendArrivals.advance(to: arrival)
        if let appendGate { await appendGate.wait(until: arrival) }
        for _ in 0..<yields { await Task.yield() }
        let result = try await base.append(request)
        for _ in 0..<yields { await Task.yield() }
        return result
    }

    func readStream(_ stream: StreamName, fromVersion: UInt64, limit: Int) async throws(JournalError) -> [RecordedEvent] {
        counters.withLock { $0.readStreamCalls[stream, default: 0] += 1 }
        for _ in 0..<yields { await Task.yield() }
        return try await base.readStream(stream, fromVersion: fromVersion, limit: limit)
    }

    func readAll(after position: UInt64, limit: Int) async throws(JournalError) -> [RecordedEvent] {
        try await base.readAll(after: position, limit: limit)
    }

    func lastPosition() async throws(JournalError) -> UInt64 {
        try await base.lastPosition()
    }

    func streamVersion(_ stream: StreamName) async throws(JournalError) -> UInt64 {
        try await base.streamVersion(stream)
    }

    func waitForCommit(after position: UInt64) async {
        await base.waitForCommit(after: position)
    }
}
