import CRM
import EventSourcing
import JSON

/// Every backfill job and where it stands: a projection of the `backfills` streams and of the
/// record events tagged with a job (`backfillJob` metadata), kept in a `ProjectionStore` so a
/// restart finds the jobs (and resumes the running ones) without replaying the log.
public actor BackfillJobs: Projection {
    public nonisolated let name = "backfills"
    public nonisolated let applied = PositionWatch()
    private let store: any ProjectionStore
    private var jobs: [String: BackfillJob] = [:]

    /// The stamp of the stored state.
    public static let stamp = "backfills/1"

    /// The jobs `store` holds, resuming from its checkpoint.
    public init(store: any ProjectionStore = InMemoryProjectionStore()) throws {
        self.store = store
        var loaded: [String: BackfillJob] = [:]
        try store.scan(from: []) { key, value in
            if let job = try? JSONValue(parsing: value), let decoded = BackfillJob(stored: job) {
                loaded[String(decoding: key, as: UTF8.self)] = decoded
            }
            return true
        }
        jobs = loaded
        applied.advance(to: try store.checkpoint().position)
    }

    public func apply(_ events: [RecordedEvent], through end: UInt64) throws {
        var changed: Set<String> = []
        // By index: nearly every event is a record's change, and copying each one out of the page
        // (a retain and a release; one for each of its parts before events were boxed) cost more
        // than looking at its job id.
        for index in events.indices {
            if events[index].stream.category == BackfillEvent.category {
                let event = events[index]
                let id = event.stream.id
                if event.type == BackfillEvent.started {
                    jobs[id] = BackfillJob(
                        id: id,
                        entity: event.data["entity"]?.stringValue ?? "",
                        since: event.data["since"]?.stringValue.flatMap(Timestamp.init(iso8601:)),
                        includeDeleted: event.data["includeDeleted"]?.boolValue ?? false,
                        reconcile: event.data["reconcile"]?.boolValue ?? false,
                        reason: event.data["reason"]?.stringValue,
                        startedAt: event.recordedAt
                    )
                } else if var job = jobs[id] {
                    switch event.type {
                    case BackfillEvent.pageApplied:
                        job.pages += 1
                        job.records += Int(clamping: event.data["records"]?.int64Value ?? 0)
                        job.errors += Int(clamping: event.data["errors"]?.int64Value ?? 0)
                        if let total = event.data["totalSize"]?.int64Value { job.totalSize = Int(clamping: total) }
                        if let watermark = event.data["watermark"], let time = watermark["systemModstamp"]?.int64Value,
                            let record = watermark["id"]?.stringValue
                        {
                            job.watermark = BackfillWatermark(systemModstamp: time, id: record)
                        }
                        if event.data["last"]?.boolValue == true { job.passComplete = true }
                    case BackfillEvent.reconciled:
                        job.deletedAbsent += Int(clamping: event.data["deletedAbsent"]?.int64Value ?? 0)
                    case BackfillEvent.finished:
                        job.state = event.data["state"]?.stringValue == "done" ? .done : .failed
                        job.error = event.data["error"]?.stringValue
                        job.finishedAt = event.recordedAt
                    default:
                        break
                    }
                    jobs[id] = job
                }
                // Whatever the event, the job's latest position moves with it.
                jobs[id]?.position = event.position
                changed.insert(id)
            } else if let id = events[index].metadata["backfillJob"]?.stringValue, jobs[id]?.passComplete == false {
                jobs[id]?.applied += 1
                changed.insert(id)
            }
        }
        guard !changed.isEmpty else { return }
        var changes = ProjectionChanges(checkpoint: ProjectionCheckpoint(position: end))
        for id in changed {
            guard let job = jobs[id] else { continue }
            changes.put(job.stored.jsonBytes(), forKey: Array(id.utf8))
        }
        try store.commit(changes)
    }

    /// Job `id`, if there is one.
    public func job(_ id: String) -> BackfillJob? {
        jobs[id]
    }

    /// The most recent reconciling job (re-sync) of `entity`, if any.
    public func latestReconcile(of entity: String) -> BackfillJob? {
        jobs.values.filter { $0.entity == entity && $0.reconcile }.max { $0.startedAt < $1.startedAt }
    }

    /// Totals over every job, for monitoring: jobs per state, records read and applied.
    public var totals: BackfillTotals {
        var totals = BackfillTotals()
        for job in jobs.values {
            totals.jobs[job.state, default: 0] += 1
            totals.records += job.records
            totals.applied += job.applied
        }
        return totals
    }

    /// The jobs still running (after a restart: those to resume), oldest first.
    public var running: [BackfillJob] {
        jobs.values.filter { $0.state == .running }.sorted { $0.startedAt < $1.startedAt }
    }
}

extension BackfillJob {
    /// The stored form: the API form plus what resuming needs.
    var stored: JSONValue {
        guard case .object(var object) = json else { return json }
        object["passComplete"] = .bool(passComplete)
        if let watermark {
            object["watermark"] = ["systemModstamp": .number(JSONNumber(watermark.systemModstamp)), "id": .string(watermark.id)]
        }
        return .object(object)
    }

    init?(stored: JSONValue) {
        guard let id = stored["job"]?.stringValue, let entity = stored["entity"]?.stringValue,
            let startedAt = stored["startedAt"]?.stringValue.flatMap(Timestamp.init(iso8601:)),
            let state = stored["state"]?.stringValue.flatMap(State.init(rawValue:))
        else { return nil }
        self.init(
            id: id, entity: entity,
            since: stored["since"]?.stringValue.flatMap(Timestamp.init(iso8601:)),
            includeDeleted: stored["includeDeleted"]?.boolValue ?? false,
            reconcile: stored["reconcile"]?.boolValue ?? false,
            reason: stored["reason"]?.stringValue,
            startedAt: startedAt
        )
        self.state = state
        pages = Int(clamping: stored["pages"]?.int64Value ?? 0)
        records = Int(clamping: stored["records"]?.int64Value ?? 0)
        applied = Int(clamping: stored["applied"]?.int64Value ?? 0)
        errors = Int(clamping: stored["errors"]?.int64Value ?? 0)
        deletedAbsent = Int(clamping: stored["deletedAbsent"]?.int64Value ?? 0)
        totalSize = stored["totalSize"]?.int64Value.map { Int(clamping: $0) }
        passComplete = stored["passComplete"]?.boolValue ?? false
        if let time = stored["watermark"]?["systemModstamp"]?.int64Value, let record = stored["watermark"]?["id"]?.stringValue {
            watermark = BackfillWatermark(systemModstamp: time, id: record)
        }
        finishedAt = stored["finishedAt"]?.stringValue.flatMap(Timestamp.init(iso8601:))
        error = stored["error"]?.stringValue
        position = stored["position"]?.int64Value.flatMap { UInt64(exactly: $0) }
    }
}

/// Totals over every backfill job (`BackfillJobs.totals`).
public struct BackfillTotals: Sendable, Hashable {
    /// Jobs per state.
    public var jobs: [BackfillJob.State: Int] = [:]
    /// Records read from Salesforce, over every job.
    public var records = 0
    /// Records whose reading changed something, over every job.
    public var applied = 0
}
