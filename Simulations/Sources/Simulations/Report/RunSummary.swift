/// What one simulation run measured: written as `summary.json` and rendered as `report.html`.
public struct RunSummary: Codable, Sendable {
    /// The scenario's name, e.g. `cdc-batch`.
    public var scenario: String
    /// When the run started (ISO 8601, UTC).
    public var startedAt: String
    /// How long the measured part of the run took, in seconds.
    public var durationSeconds: Double
    /// The injection profile in words, e.g. `closed model, 8 concurrent clients, 60 s`.
    public var injection: String
    /// The run's settings (seed, batch size, target URL, …) as text.
    public var parameters: [String: String]
    /// One entry per kind of request measured (e.g. `POST /v1/cdc`, `GET /health`).
    public var series: [SeriesSummary]
    /// The correctness checks made at the end, in order.
    public var checks: [CheckResult]
    /// Headline figures (e.g. `changesPerSecond`, `readToHealthRatio`, `replayEventsPerSecond`).
    public var figures: [String: Double]
    /// Whether every check passed.
    public var passed: Bool

    /// A summary.
    public init(
        scenario: String, startedAt: String, durationSeconds: Double, injection: String, parameters: [String: String],
        series: [SeriesSummary], checks: [CheckResult], figures: [String: Double], passed: Bool
    ) {
        self.scenario = scenario
        self.startedAt = startedAt
        self.durationSeconds = durationSeconds
        self.injection = injection
        self.parameters = parameters
        self.series = series
        self.checks = checks
        self.figures = figures
        self.passed = passed
    }
}

/// The measurements of one kind of request.
public struct SeriesSummary: Codable, Sendable {
    /// The request kind, e.g. `POST /v1/cdc`.
    public var name: String
    /// Requests answered (any status).
    public var requests: Int
    /// Operations those requests carried (changes for CDC batches; equal to `requests` otherwise).
    public var operations: Int
    /// Requests per second over the measured duration.
    public var requestsPerSecond: Double
    /// Operations per second over the measured duration.
    public var operationsPerSecond: Double
    /// Latency percentiles over the whole run.
    public var latency: LatencySummary
    /// Answers by HTTP status (`"200"`, `"503"`, …) plus `"transport"` for connection failures.
    public var statusCounts: [String: Int]
    /// One point per second of the run.
    public var timeline: [TimelinePoint]
    /// The latency distribution: latency at each percentile.
    public var distribution: [DistributionPoint]

    /// A series.
    public init(
        name: String, requests: Int, operations: Int, requestsPerSecond: Double, operationsPerSecond: Double,
        latency: LatencySummary, statusCounts: [String: Int], timeline: [TimelinePoint], distribution: [DistributionPoint]
    ) {
        self.name = name
        self.requests = requests
        self.operations = operations
        self.requestsPerSecond = requestsPerSecond
        self.operationsPerSecond = operationsPerSecond
        self.latency = latency
        self.statusCounts = statusCounts
        self.timeline = timeline
        self.distribution = distribution
    }

    /// Requests answered with a status other than 2xx, or not answered.
    public var errors: Int {
        statusCounts.filter { !$0.key.hasPrefix("2") }.reduce(0) { $0 + $1.value }
    }
}

/// Latency percentiles, in milliseconds.
public struct LatencySummary: Codable, Sendable {
    public var mean: Double
    public var p50: Double
    public var p90: Double
    public var p99: Double
    public var p999: Double
    public var max: Double

    /// Percentiles.
    public init(mean: Double, p50: Double, p90: Double, p99: Double, p999: Double, max: Double) {
        self.mean = mean
        self.p50 = p50
        self.p90 = p90
        self.p99 = p99
        self.p999 = p999
        self.max = max
    }
}

/// One second of a run.
public struct TimelinePoint: Codable, Sendable {
    /// Seconds since the start of the measured part (0, 1, 2, …).
    public var second: Int
    /// Requests answered in this second.
    public var requests: Int
    /// Operations those requests carried.
    public var operations: Int
    /// Non-2xx answers and transport failures in this second.
    public var errors: Int
    /// Latency percentiles of this second's requests, in milliseconds.
    public var p50: Double
    public var p99: Double
    public var max: Double

    /// A point.
    public init(second: Int, requests: Int, operations: Int, errors: Int, p50: Double, p99: Double, max: Double) {
        self.second = second
        self.requests = requests
        self.operations = operations
        self.errors = errors
        self.p50 = p50
        self.p99 = p99
        self.max = max
    }
}

/// The latency below which `percentile` per cent of requests answered.
public struct DistributionPoint: Codable, Sendable {
    public var percentile: Double
    public var latencyMs: Double

    /// A point.
    public init(percentile: Double, latencyMs: Double) {
        self.percentile = percentile
        self.latencyMs = latencyMs
    }
}

/// One correctness check made at the end of a run.
public struct CheckResult: Codable, Sendable {
    public var name: String
    public var passed: Bool
    /// What was compared, and what was found when it failed.
    public var detail: String

    /// A check.
    public init(name: String, passed: Bool, detail: String) {
        self.name = name
        self.passed = passed
        self.detail = detail
    }
}
