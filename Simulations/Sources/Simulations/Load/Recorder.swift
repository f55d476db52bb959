import Foundation
import Histogram
import Synchronization

/// Collects every answer of a run: latency histograms (HdrHistogram, microseconds) overall and
/// per second, operation counts and answers by status, per series.
public final class Recorder: Sendable {
    fileprivate struct Second {
        var requests = 0
        var operations = 0
        var errors = 0
        var latency = Histogram<UInt64>(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)
    }

    fileprivate struct Series {
        var latency = Histogram<UInt64>(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)
        var requests = 0
        var operations = 0
        var statusCounts: [String: Int] = [:]
        var seconds: [Second] = []
        /// When the series' first and last answers came: its rates are over this span, so
        /// phases of one run each get their own rate.
        var first: ContinuousClock.Instant?
        var last: ContinuousClock.Instant?
    }

    /// The phases that fed a series (`closePhase`): how many, and how long they lasted together.
    private struct PhaseTime {
        var count = 0
        var seconds = 0.0
    }

    private struct State {
        var series: [String: Series] = [:]
        var order: [String] = []
        var phases: [String: PhaseTime] = [:]
        var started: ContinuousClock.Instant
        var finished: ContinuousClock.Instant?
    }

    private let state: Mutex<State>

    /// A recorder whose second 0 starts now.
    public init() {
        state = Mutex(State(started: .now))
    }

    /// Restarts the clock: everything recorded so far (warm-up) is forgotten.
    public func restart() {
        state.withLock { $0 = State(started: .now) }
    }

    /// Stops the clock: the measured duration ends now.
    public func finish() {
        state.withLock { $0.finished = .now }
    }

    /// Records one answer (status `nil`: no answer, a transport failure). `checkFailed`: the
    /// answer came but was wrong (e.g. a read that did not see its write); it counts as an error.
    public func record(_ series: String, status: Int?, latency: Duration, operations: Int, checkFailed: Bool = false) {
        let micros = UInt64(max(1, latency.components.seconds * 1_000_000 + latency.components.attoseconds / 1_000_000_000_000))
        let now = ContinuousClock.now
        var key = status.map(String.init) ?? "transport"
        if checkFailed { key = "wrong answer (\(key))" }
        let failed = checkFailed || (status.map { !(200..<300).contains($0) } ?? true)
        state.withLock { state in
            if state.series[series] == nil {
                state.series[series] = Series()
                state.order.append(series)
            }
            let second = max(0, Int((now - state.started).components.seconds))
            state.series[series, default: Series()].record(micros, key: key, failed: failed, operations: operations, second: second, at: now)
        }
    }

    /// Notes that a phase feeding `series` ended after `duration` (`LoadPhase` calls it). A series
    /// fed by several phases one after another, in turns with other series' phases, is rated over
    /// the sum of their durations, answered or not; its phases must not overlap.
    public func closePhase(_ series: String, lasted duration: Duration) {
        state.withLock { state in
            state.phases[series, default: PhaseTime()].count += 1
            state.phases[series, default: PhaseTime()].seconds += Self.seconds(duration)
        }
    }

    /// Seconds since the start.
    public var elapsed: Duration {
        state.withLock { ($0.finished ?? .now) - $0.started }
    }

    /// A one-line progress report: per series, operations per second over the last full second,
    /// its p99, and errors so far.
    public func progressLine() -> String {
        state.withLock { state in
            let second = max(0, Int((ContinuousClock.now - state.started).components.seconds) - 1)
            let parts = state.order.compactMap { name -> String? in
                guard let series = state.series[name] else { return nil }
                let last = second < series.seconds.count ? series.seconds[second] : Second()
                let errors = series.statusCounts.filter { !$0.key.hasPrefix("2") }.reduce(0) { $0 + $1.value }
                let p99 = Double(last.latency.valueAtPercentile(99)) / 1000
                return "\(name): \(Format.number(Double(last.operations)))/s p99 \(Format.decimal(p99)) ms errors \(errors)"
            }
            return "\(Int((ContinuousClock.now - state.started).components.seconds))s  " + parts.joined(separator: " | ")
        }
    }

    /// The summary of each series so far.
    public func seriesSummaries() -> [SeriesSummary] {
        state.withLock { state in
            let runDuration = max(0.001, Self.seconds((state.finished ?? .now) - state.started))
            return state.order.compactMap { name in
                state.series[name].map { series in
                    // A series that ran for only part of the run (a phase) is rated over its own
                    // span; one fed by several phases in turn, over the time they ran.
                    let span = series.first.flatMap { first in series.last.map { Self.seconds($0 - first) } } ?? runDuration
                    let phases = state.phases[name] ?? PhaseTime()
                    let duration =
                        phases.count > 1 ? max(0.001, phases.seconds)
                        : span < runDuration * 0.9 ? max(0.001, span) : runDuration
                    return series.summary(name: name, duration: duration)
                }
            }
        }
    }

    /// A duration in seconds.
    public static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}

extension Recorder.Series {
    fileprivate mutating func record(_ micros: UInt64, key: String, failed: Bool, operations: Int, second: Int, at now: ContinuousClock.Instant) {
        if first == nil { first = now }
        last = now
        _ = latency.record(micros)
        requests += 1
        self.operations += operations
        statusCounts[key, default: 0] += 1
        while seconds.count <= second { seconds.append(.init()) }
        seconds[second].requests += 1
        seconds[second].operations += operations
        if failed { seconds[second].errors += 1 }
        _ = seconds[second].latency.record(micros)
    }

    fileprivate func summary(name: String, duration: Double) -> SeriesSummary {
        func ms(_ micros: UInt64) -> Double { Double(micros) / 1000 }
        let timeline = seconds.enumerated().map { index, second in
            TimelinePoint(
                second: index, requests: second.requests, operations: second.operations, errors: second.errors,
                p50: ms(second.latency.valueAtPercentile(50)), p99: ms(second.latency.valueAtPercentile(99)), max: ms(second.latency.max)
            )
        }
        let percentiles: [Double] = [0, 10, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 99.95, 99.99, 99.999, 100]
        let distribution = latency.totalCount == 0 ? [] : percentiles.map { DistributionPoint(percentile: $0, latencyMs: ms(latency.valueAtPercentile($0))) }
        return SeriesSummary(
            name: name, requests: requests, operations: operations,
            requestsPerSecond: Double(requests) / duration, operationsPerSecond: Double(operations) / duration,
            latency: LatencySummary(
                mean: latency.totalCount == 0 ? 0 : latency.mean / 1000, p50: ms(latency.valueAtPercentile(50)),
                p90: ms(latency.valueAtPercentile(90)), p99: ms(latency.valueAtPercentile(99)),
                p999: ms(latency.valueAtPercentile(99.9)), max: ms(latency.max)
            ),
            statusCounts: statusCounts, timeline: timeline, distribution: distribution
        )
    }
}

/// Number formatting for the terminal.
enum Format {
    /// `1234567` → `1,234,567`.
    static func number(_ value: Double) -> String {
        let digits = String(Int(value.rounded()))
        var result = ""
        for (index, character) in digits.reversed().enumerated() {
            if index > 0, index % 3 == 0, character != "-" { result.append(",") }
            result.append(character)
        }
        return String(result.reversed())
    }

    /// One or two decimals.
    static func decimal(_ value: Double) -> String {
        String(format: value < 10 ? "%.2f" : "%.1f", value)
    }
}
