import Backfill
import CoreMetrics
import EventSourcing
import EventSourcingLMDB
import Ingestion
import NIOCore
import Prometheus
import Synchronization

/// The server's metrics, served at `GET /metrics` in Prometheus' text format.
///
/// Each server has its own registry, fed through swift-metrics with a factory bound to it (never
/// the process-wide `MetricsSystem`, so servers in one process, as in the tests, keep apart).
/// Per-event figures are recorded where they happen: HTTP requests by the metrics middleware,
/// journal commits by the journal's writer, rejected changes by the CDC route. Figures the
/// server already keeps (read-model positions, resident records, publisher and backfill
/// counters, gaps) are read when scraped, so they cost nothing in between.
public final class ServerMetrics: Sendable {
    /// The registry `GET /metrics` renders.
    let registry: PrometheusCollectorRegistry
    /// swift-metrics handlers writing into `registry`.
    let factory: PrometheusMetricsFactory
    /// The last value mirrored into each counter read from state when scraped (by name and labels).
    private let mirrored = Mutex<[String: Int64]>([:])
    /// The request counter and timer of each route, method and status seen.
    private let requestHandlers = Mutex<[RequestKey: RequestHandlers]>([:])

    /// A registry of its own, with histogram buckets fitted to what is measured.
    public init() {
        registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.durationHistogramBuckets = [
            JournalMetricNames.commitDuration: [
                .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5),
                .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250),
                .milliseconds(500), .seconds(1),
            ],
            Names.requestDuration: [
                .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
                .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
                .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10),
            ],
        ]
        factory.valueHistogramBuckets = [
            JournalMetricNames.commitEvents: [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000]
        ]
        self.factory = factory
    }

    /// The metric names (Prometheus conventions: `_total` counters, `_seconds` durations).
    enum Names {
        static let requests = "tributary_http_requests_total"
        static let requestDuration = "tributary_http_request_duration_seconds"
        static let ingestResults = "tributary_ingest_results_total"
        static let journalPosition = "tributary_journal_position"
        static let journalQueue = "tributary_journal_queued_appends"
        static let projectionPosition = "tributary_projection_position"
        static let projectionLag = "tributary_projection_lag_events"
        static let resident = "tributary_aggregates_resident"
        static let activations = "tributary_aggregate_activations_total"
        static let passivations = "tributary_aggregate_passivations_total"
        static let publisherLag = "tributary_publisher_lag_events"
        static let published = "tributary_publisher_published_total"
        static let publisherFailedCalls = "tributary_publisher_failed_calls_total"
        static let publisherRejected = "tributary_publisher_rejected_entries_total"
        static let backfillJobs = "tributary_backfill_jobs"
        static let backfillRecords = "tributary_backfill_records_total"
        static let backfillApplied = "tributary_backfill_applied_total"
        static let gapRecords = "tributary_gaps_pending_records"
        static let gapEntities = "tributary_gaps_pending_entities"
    }

    // MARK: - Recorded as they happen

    /// One HTTP request answered: counted by route template, method and status; timed by route
    /// and method.
    func recordRequest(route: String, method: String, status: Int, nanoseconds: Int64) {
        let key = RequestKey(route: route, method: method, status: status)
        let handlers: RequestHandlers
        if let known = requestHandlers.withLock({ $0[key] }) {
            handlers = known
        } else {
            // Made once per route, method and status (a bounded set): the registry validates
            // names and labels on every lookup, which is worth skipping on every request.
            handlers = RequestHandlers(
                count: Counter(label: Names.requests, dimensions: [("route", route), ("method", method), ("status", String(status))], factory: factory),
                duration: CoreMetrics.Timer(label: Names.requestDuration, dimensions: [("route", route), ("method", method)], factory: factory)
            )
            requestHandlers.withLock { $0[key] = handlers }
        }
        handlers.count.increment()
        handlers.duration.recordNanoseconds(nanoseconds)
    }

    private struct RequestKey: Hashable {
        var route: String
        var method: String
        var status: Int
    }

    private struct RequestHandlers: Sendable {
        var count: CoreMetrics.Counter
        var duration: CoreMetrics.Timer
    }

    /// Changes refused by validation (a `POST /v1/cdc` answered 422 writes none of its items).
    func recordRejectedChanges(_ count: Int) {
        Counter(label: Names.ingestResults, dimensions: [("outcome", "rejected")], factory: factory).increment(by: Int64(count))
    }

    // MARK: - Read when scraped

    /// The metrics in Prometheus' text format, after reading the server's current figures.
    func render(_ tributary: Tributary) async -> [UInt8] {
        await collect(tributary)
        var output: [UInt8] = []
        output.reserveCapacity(16 * 1024)
        registry.emit(into: &output)
        return output
    }

    private func collect(_ tributary: Tributary) async {
        let head = (try? await tributary.journal.lastPosition()) ?? 0
        gauge(Names.journalPosition, head)
        if let lmdb = tributary.journal as? LMDBJournal {
            gauge(Names.journalQueue, lmdb.queuedAppends)
        }
        let outcomes = tributary.ingestor.outcomeCounts
        for outcome in [IngestOutcome.applied, .duplicate, .ignored, .gapPending, .resyncScheduled] {
            mirror(Names.ingestResults, [("outcome", outcome.rawValue)], to: outcomes[outcome] ?? 0)
        }
        recordRejectedChanges(0)
        for projection in tributary.readModels.all {
            let position = projection.applied.position
            gauge(Names.projectionPosition, position, [("projection", projection.name)])
            gauge(Names.projectionLag, position.lag(behind: head), [("projection", projection.name)])
        }
        let registry = tributary.registry.statistics
        gauge(Names.resident, registry.resident)
        mirror(Names.activations, [], to: registry.activations)
        mirror(Names.passivations, [], to: registry.passivations)
        if let publisher = tributary.publisher {
            let status = publisher.status
            gauge(Names.publisherLag, status.position.lag(behind: head))
            mirror(Names.published, [], to: status.published)
            mirror(Names.publisherFailedCalls, [], to: status.failedCalls)
            mirror(Names.publisherRejected, [], to: status.rejectedEntries)
        }
        let backfills = await tributary.backfillJobs.totals
        for state in [BackfillJob.State.running, .done, .failed] {
            gauge(Names.backfillJobs, backfills.jobs[state] ?? 0, [("state", state.rawValue)])
        }
        mirror(Names.backfillRecords, [], to: backfills.records)
        mirror(Names.backfillApplied, [], to: backfills.applied)
        let gaps = await tributary.ingestor.gaps.pendingCounts
        gauge(Names.gapRecords, gaps.records)
        gauge(Names.gapEntities, gaps.entities)
    }

    private func gauge(_ name: String, _ value: some BinaryInteger, _ labels: [(String, String)] = []) {
        Meter(label: name, dimensions: labels, factory: factory).set(Int64(clamping: value))
    }

    /// Brings a counter up to `value`, a total the server keeps itself (it only grows).
    private func mirror(_ name: String, _ labels: [(String, String)], to value: some BinaryInteger) {
        let key = labels.reduce(name) { $0 + "|\($1.0)=\($1.1)" }
        let total = Int64(clamping: value)
        let delta: Int64 = mirrored.withLock { mirrored in
            let delta = total - (mirrored[key] ?? 0)
            if delta > 0 { mirrored[key] = total }
            return delta
        }
        // Created even when unchanged, so every family appears from the first scrape.
        Counter(label: name, dimensions: labels, factory: factory).increment(by: max(delta, 0))
    }
}
