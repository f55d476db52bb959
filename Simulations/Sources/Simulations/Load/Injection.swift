import NIOCore
import Synchronization

/// How load is injected, as in Gatling: a closed model (a fixed number of clients, each sending
/// its next request when the previous one is answered) or an open model (requests start on a
/// schedule, whatever the answers; latency is measured from the scheduled start, so a slow server
/// cannot hide its queueing).
public enum Injection: Sendable, CustomStringConvertible {
    /// `clients` concurrent clients, back to back.
    case closed(clients: Int)
    /// `perSecond` requests per second, on at most `connections` connections.
    case constantRate(perSecond: Double, connections: Int)
    /// A rate rising linearly from `from` to `to` requests per second over the run.
    case ramp(from: Double, to: Double, connections: Int)

    public var description: String {
        switch self {
        case .closed(let clients): "closed model, \(clients) concurrent clients"
        case .constantRate(let rate, let connections): "open model, \(Format.number(rate)) requests/s on up to \(connections) connections"
        case .ramp(let from, let to, let connections):
            "open model, ramp \(Format.number(from)) → \(Format.number(to)) requests/s on up to \(connections) connections"
        }
    }

    /// How many connections the profile uses.
    var connections: Int {
        switch self {
        case .closed(let clients): clients
        case .constantRate(_, let connections), .ramp(_, _, let connections): connections
        }
    }

    /// Seconds after the start at which request `index` (from 0) is due; `nil` for a closed model.
    func dueTime(of index: Int, duration: Double) -> Double? {
        switch self {
        case .closed:
            return nil
        case .constantRate(let rate, _):
            return Double(index) / max(rate, 0.001)
        case .ramp(let from, let to, _):
            // Requests due by t: from·t + (to − from)·t²/(2·duration); solve for t.
            let slope = (to - from) / max(duration, 0.001)
            let n = Double(index)
            guard abs(slope) > 1e-9 else { return n / max(from, 0.001) }
            let root = (from * from + 2 * slope * n).squareRoot()
            return (root - from) / slope
        }
    }
}

/// When a load phase ends: after a duration, or after a number of requests.
public enum StopCondition: Sendable {
    case after(Duration)
    case requests(Int)
}

/// Drives one load phase: opens the connections, hands out requests until the stop condition,
/// records every answer.
public struct LoadPhase: Sendable {
    /// The recorder's series name, e.g. `POST /v1/cdc`.
    public var series: String
    public var injection: Injection
    public var stop: StopCondition

    /// A phase.
    public init(series: String, injection: Injection, stop: StopCondition) {
        self.series = series
        self.injection = injection
        self.stop = stop
    }

    /// Runs the phase. `next(index)` makes request number `index` (nil: no more requests);
    /// `answered(index, answer)` sees each answer (return false to count it as an error).
    public func run(
        target: Target,
        group: any EventLoopGroup,
        recorder: Recorder,
        next: @escaping @Sendable (Int) -> PreparedRequest?,
        answered: @escaping @Sendable (Int, HTTPAnswer) -> Bool = { _, _ in true }
    ) async throws {
        let tickets = SharedCounter(-1)
        let injection = injection
        let series = series
        // The connections open before the clock starts: otherwise an open model's first requests
        // would carry the set-up in their latency and then catch up in a burst.
        var connections: [HTTPConnection] = []
        do {
            try await withThrowingTaskGroup(of: HTTPConnection.self) { opening in
                for _ in 0..<injection.connections {
                    opening.addTask { try await HTTPConnection.connect(host: target.host, port: target.port, group: group) }
                }
                for try await connection in opening { connections.append(connection) }
            }
        } catch {
            for connection in connections { await connection.close() }
            throw error
        }
        let start = ContinuousClock.now
        let deadline: ContinuousClock.Instant? =
            if case .after(let duration) = stop { start + duration } else { nil }
        let limit: Int? = if case .requests(let count) = stop { count } else { nil }
        let durationSeconds = if case .after(let duration) = stop { Recorder.seconds(duration) } else { 0.0 }
        try await withThrowingTaskGroup(of: Void.self) { workers in
            for connection in connections {
                workers.addTask {
                    defer { Task { await connection.close() } }
                    while true {
                        let index = tickets.add(1)
                        if let limit, index >= limit { return }
                        var scheduled = ContinuousClock.now
                        if let due = injection.dueTime(of: index, duration: durationSeconds) {
                            scheduled = start + .nanoseconds(Int64(due * 1e9))
                            if let deadline, scheduled >= deadline { return }
                            if scheduled > .now { try await Task.sleep(until: scheduled) }
                        } else if let deadline, scheduled >= deadline {
                            return
                        }
                        guard let request = next(index) else { return }
                        do {
                            let answer = try await connection.send(request)
                            let accepted = answered(index, answer)
                            recorder.record(
                                series, status: answer.status, latency: .now - scheduled, operations: request.operations, checkFailed: !accepted
                            )
                        } catch {
                            recorder.record(series, status: nil, latency: .now - scheduled, operations: request.operations)
                            return
                        }
                    }
                }
            }
            try await workers.waitForAll()
        }
        recorder.closePhase(series, lasted: .now - start)
    }
}

/// The server under test.
public struct Target: Sendable {
    public var host: String
    public var port: Int

    /// `http://host:port`.
    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// The `Host` header value.
    public var authority: String { "\(host):\(port)" }
}
