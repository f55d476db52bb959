import EventSourcing
import JSON

/// One backfill (or entity re-sync) job and how far it has got, as `GET /v1/backfill/{job}`
/// shows it.
public struct BackfillJob: Sendable, Hashable {
    /// Where a job stands.
    public enum State: String, Sendable {
        case running, done, failed
    }

    /// The job id.
    public var id: String
    /// The Salesforce object, e.g. `Account`.
    public var entity: String
    /// Only records changed since then (`SystemModstamp`), when given.
    public var since: Timestamp?
    /// Whether deleted records are read too (`queryAll`).
    public var includeDeleted: Bool
    /// Whether records the mirror has but Salesforce no longer does are deleted at the end (a
    /// re-sync after an overflow).
    public var reconcile: Bool
    /// Why the job runs, when not asked for directly (`GAP_OVERFLOW`, …).
    public var reason: String?
    public var state = State.running
    /// Pages applied.
    public var pages = 0
    /// Records read.
    public var records = 0
    /// Records that changed the mirror.
    public var applied = 0
    /// Records that could not be used (no `Id` or `LastModifiedDate`).
    public var errors = 0
    /// Records deleted because Salesforce no longer has them (`reconcile`).
    public var deletedAbsent = 0
    /// How many records the query matched, from its first page.
    public var totalSize: Int?
    /// The last record of the last page applied.
    public var watermark: BackfillWatermark?
    /// Whether the last page has been applied (what remains is the reconciliation).
    public var passComplete = false
    public var startedAt: Timestamp
    public var finishedAt: Timestamp?
    /// The position of the job's latest journaled event. Each page's records are journaled in
    /// one append before the page's own event, and each chunk of a re-sync's deletes before its
    /// count, so a read with this `minPosition` sees everything the job has written so far (once
    /// it is done: all of it). `nil` for a job stored before positions were kept.
    public var position: UInt64?
    /// Why it failed.
    public var error: String?

    /// Records read that were already mirrored as read: nothing written for them.
    public var duplicates: Int { max(0, records - applied - errors) }

    /// The API form.
    public var json: JSONValue {
        var object: JSONObject = [
            "job": .string(id),
            "entity": .string(entity),
            "state": .string(state.rawValue),
            "pages": .number(JSONNumber(pages)),
            "records": .number(JSONNumber(records)),
            "applied": .number(JSONNumber(applied)),
            "duplicates": .number(JSONNumber(duplicates)),
            "errors": .number(JSONNumber(errors)),
            "includeDeleted": .bool(includeDeleted),
            "reconcile": .bool(reconcile),
            "deletedAbsent": .number(JSONNumber(deletedAbsent)),
            "startedAt": .string(startedAt.iso8601),
        ]
        if let since { object["since"] = .string(since.iso8601) }
        if let totalSize { object["totalSize"] = .number(JSONNumber(totalSize)) }
        if let reason { object["reason"] = .string(reason) }
        if let finishedAt { object["finishedAt"] = .string(finishedAt.iso8601) }
        if let error { object["error"] = .string(error) }
        if let position { object["position"] = .number(JSONNumber(position)) }
        return .object(object)
    }
}

/// The journaled facts of a job, in stream `backfills/<job>`: they make jobs survive restarts
/// (a running job resumes from its watermark) and feed `BackfillJobs`.
enum BackfillEvent {
    static let category = "backfills"
    static let started = "BackfillStarted"
    static let pageApplied = "BackfillPageApplied"
    static let reconciled = "BackfillReconciled"
    static let finished = "BackfillFinished"

    static func stream(_ job: String) -> StreamName {
        StreamName(category: category, id: job)
    }

    static func started(_ job: BackfillJob) -> NewEvent {
        var data: JSONObject = [
            "entity": .string(job.entity),
            "includeDeleted": .bool(job.includeDeleted),
            "reconcile": .bool(job.reconcile),
        ]
        if let since = job.since { data["since"] = .string(since.iso8601) }
        if let reason = job.reason { data["reason"] = .string(reason) }
        return NewEvent(type: started, data: .object(data))
    }

    static func pageApplied(records: Int, errors: Int, watermark: BackfillWatermark?, last: Bool, totalSize: Int?) -> NewEvent {
        var data: JSONObject = [
            "records": .number(JSONNumber(records)),
            "errors": .number(JSONNumber(errors)),
            "last": .bool(last),
        ]
        if let watermark {
            data["watermark"] = ["systemModstamp": .number(JSONNumber(watermark.systemModstamp)), "id": .string(watermark.id)]
        }
        if let totalSize { data["totalSize"] = .number(JSONNumber(totalSize)) }
        return NewEvent(type: pageApplied, data: .object(data))
    }

    static func reconciled(deletedAbsent: Int) -> NewEvent {
        NewEvent(type: reconciled, data: ["deletedAbsent": .number(JSONNumber(deletedAbsent))])
    }

    static func finished(failure: String?) -> NewEvent {
        var data: JSONObject = ["state": .string(failure == nil ? "done" : "failed")]
        if let failure { data["error"] = .string(failure) }
        return NewEvent(type: finished, data: .object(data))
    }
}
