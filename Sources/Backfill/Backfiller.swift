import CRM
import EventSourcing
import Foundation
import Ingestion
import JSON
import Logging
import Salesforce
import SalesforceAPI
import ServiceLifecycle
import Synchronization

/// Why a backfill could not start.
public enum BackfillStartError: Error, Sendable, CustomStringConvertible {
    /// The entity is not mapped to a record type.
    case unknownEntity(String, known: [String])
    /// A job for the entity is running; one at a time per entity.
    case alreadyRunning(entity: String, job: String)
    /// The job could not be journaled.
    case journal(JournalError)

    public var description: String {
        switch self {
        case .unknownEntity(let entity, let known):
            "'\(entity)' is not a mapped Salesforce object; mapped objects: \(known.joined(separator: ", "))"
        case .alreadyRunning(let entity, let job):
            "a backfill of \(entity) is already running (job \(job)); one at a time per entity"
        case .journal(let error):
            "the job could not be journaled: \(error)"
        }
    }
}

/// Runs backfill jobs: reads an entity's records from Salesforce page by page and sends each
/// through the same registry and aggregates as live CDC, as `source: backfill` upserts (or
/// deletes, for records in the recycle bin).
///
/// - Each page's record events and its `BackfillPageApplied` event (with the watermark: the
///   page's last `SystemModstamp` and `Id`) are one atomic append, so a job interrupted by a
///   restart resumes after its last applied page with nothing applied twice.
/// - A record already mirrored as read changes nothing and writes nothing (a duplicate).
/// - One job per entity at a time.
/// - A re-sync job (`reconcile`, after an overflow) also deletes the records the mirror has but
///   Salesforce no longer does, then journals `EntityResyncCompleted`.
public final class Backfiller: Service, Sendable {
    private let client: SalesforceClient
    private let registry: AggregateRegistry<SalesforceRecord>
    private let mappings: MappingSet
    private let journal: any Journal
    private let readModels: ReadModels
    private let logger: Logger
    /// Every job and where it stands.
    public let jobs: BackfillJobs
    /// The entities with a job running, and the job.
    private let active = Mutex<[String: String]>([:])
    private let submissions: AsyncStream<BackfillJob>
    private let submit: AsyncStream<BackfillJob>.Continuation
    /// Reaches 1 once the jobs a restart interrupted have been claimed: new jobs wait for it.
    private let resumed = PositionWatch()

    /// A backfiller reading through `client` and writing through `registry`.
    public init(
        client: SalesforceClient,
        registry: AggregateRegistry<SalesforceRecord>,
        mappings: MappingSet,
        journal: any Journal,
        readModels: ReadModels,
        jobs: BackfillJobs,
        logger: Logger
    ) {
        self.client = client
        self.registry = registry
        self.mappings = mappings
        self.journal = journal
        self.readModels = readModels
        self.jobs = jobs
        self.logger = logger
        (submissions, submit) = AsyncStream.makeStream()
    }

    /// Journals a new job for `entity` and queues it; returns its id and the position of its
    /// `BackfillStarted` event (already visible in `jobs`).
    public func start(
        entity: String, since: Timestamp? = nil, includeDeleted: Bool = false, reconcile: Bool = false, reason: String? = nil
    ) async throws(BackfillStartError) -> (job: String, position: UInt64) {
        guard let type = mappings.recordType(forObject: entity), mappings[type] != nil else {
            throw .unknownEntity(entity, known: mappings.recordTypes.compactMap { mappings[$0]?.objectName })
        }
        await resumed.wait(until: 1)
        // A job the index still shows running (one whose end could not be journaled) holds the
        // entity until a restart resumes it.
        if let stale = await jobs.running.first(where: { $0.entity == entity }), !isRunning(entity) {
            throw .alreadyRunning(entity: entity, job: stale.id)
        }
        let id = UUID().uuidString.lowercased()
        if let running = active.withLock({ active -> String? in
            if let job = active[entity] { return job }
            active[entity] = id
            return nil
        }) {
            // A job whose end the index already shows is over, even if its task has yet to let go.
            guard await jobs.job(running).map({ $0.state != .running }) == true,
                active.withLock({ active -> Bool in
                    guard active[entity] == running else { return false }
                    active[entity] = id
                    return true
                })
            else { throw .alreadyRunning(entity: entity, job: running) }
        }
        let job = BackfillJob(
            id: id, entity: entity, since: since, includeDeleted: includeDeleted, reconcile: reconcile, reason: reason, startedAt: .now()
        )
        let position: UInt64
        do {
            position = try await journal.append(
                AppendRequest(stream: BackfillEvent.stream(id), expectedVersion: .exact(0), events: [BackfillEvent.started(job)])
            ).lastPosition
        } catch {
            active.withLock { $0[entity] = nil }
            throw .journal(error)
        }
        await jobs.applied.wait(until: position)
        logger.info("backfill started", metadata: ["job": "\(id)", "entity": "\(entity)", "reconcile": "\(reconcile)"])
        submit.yield(job)
        return (id, position)
    }

    /// Whether a job for `entity` is running.
    public func isRunning(_ entity: String) -> Bool {
        active.withLock { $0[entity] != nil }
    }

    public func run() async throws {
        // Resume the jobs a restart interrupted, once the job index has caught up with the log.
        let start = try await journal.lastPosition()
        await cancelWhenGracefulShutdown { await self.jobs.applied.wait(until: start) }
        for job in await jobs.running {
            let claimed = active.withLock { active -> Bool in
                guard active[job.entity] == nil else { return false }
                active[job.entity] = job.id
                return true
            }
            if claimed {
                logger.info("backfill resumed", metadata: ["job": "\(job.id)", "entity": "\(job.entity)", "pages": "\(job.pages)"])
                submit.yield(job)
            } else {
                // Two jobs of one entity left running: the older one resumes, this one ends.
                _ = await finish(job, failure: "superseded by another job of \(job.entity) interrupted at the same time")
            }
        }
        resumed.advance(to: 1)
        await withDiscardingTaskGroup { group in
            for await job in submissions.cancelOnGracefulShutdown() {
                group.addTask { await self.execute(job) }
            }
            // Shutting down: running jobs stop between pages and resume at the next start.
            group.cancelAll()
        }
    }

    // MARK: - Running a job

    private func execute(_ job: BackfillJob) async {
        let ended: UInt64?
        if let type = mappings.recordType(forObject: job.entity), let mapping = mappings[type] {
            do {
                if !job.passComplete { try await readPages(job, mapping: mapping, type: type) }
                if job.reconcile { try await reconcile(job, mapping: mapping, type: type) }
                ended = await finish(job, failure: nil)
            } catch {
                if Task.isCancelled {
                    logger.info("backfill paused by shutdown; it resumes at the next start", metadata: ["job": "\(job.id)"])
                    ended = nil
                } else {
                    logger.error("backfill failed", metadata: ["job": "\(job.id)", "entity": "\(job.entity)", "error": "\(error)"])
                    ended = await finish(job, failure: "\(error)")
                }
            }
        } else {
            ended = await finish(job, failure: "\(job.entity) is no longer mapped")
        }
        // The entity is free once the job index shows the end, so a re-sync is not started twice.
        if let ended { await jobs.applied.wait(until: ended) }
        active.withLock { if $0[job.entity] == job.id { $0[job.entity] = nil } }
    }

    private func readPages(_ job: BackfillJob, mapping: EntityMapping, type: RecordType) async throws {
        let includeDeleted = job.includeDeleted || job.reconcile
        var watermark = job.watermark
        let soql = SalesforceRecordReading.backfillQuery(for: mapping, includeDeleted: includeDeleted, since: job.since, after: watermark)
        var page = try await client.query(soql, includeDeleted: includeDeleted)
        var first = job.pages == 0
        while true {
            try Task.checkCancellation()
            var commands: [AggregateRegistry<SalesforceRecord>.BatchCommand] = []
            var errors = 0
            for record in page.records {
                switch SalesforceRecordReading.read(record, entity: job.entity, source: .backfill, job: job.id) {
                case .success(let read):
                    commands.append((StreamName(category: type.rawValue, id: read.id), read.command, nil))
                    watermark = BackfillWatermark(systemModstamp: read.systemModstamp, id: read.id)
                case .failure(let error):
                    errors += 1
                    logger.warning("backfill skipped a record", metadata: ["job": "\(job.id)", "reason": "\(error.reason)"])
                }
            }
            let progress = StreamWrite(
                stream: BackfillEvent.stream(job.id),
                expectedVersion: .any,
                events: [
                    BackfillEvent.pageApplied(
                        records: page.records.count, errors: errors, watermark: watermark, last: page.done,
                        totalSize: first ? page.totalSize : nil
                    )
                ]
            )
            // The page's records and its progress, in one append: all of it or none.
            _ = try await registry.handleAtomically(commands, alsoWriting: [progress])
            first = false
            guard !page.done, let next = page.nextRecordsURL else { return }
            page = try await nextPage(next, orAgainAfter: watermark, job: job, mapping: mapping, includeDeleted: includeDeleted)
        }
    }

    /// The page at `next`; when its query cursor has expired (they live about 15 minutes), the
    /// query again from `watermark`.
    private func nextPage(
        _ next: String, orAgainAfter watermark: BackfillWatermark?, job: BackfillJob, mapping: EntityMapping, includeDeleted: Bool
    ) async throws -> QueryPage {
        let result: Result<QueryPage, SalesforceAPIError>
        do {
            result = .success(try await client.nextPage(next))
        } catch {
            result = .failure(error)
        }
        if case .failure(let error) = result, error.errorCode == "INVALID_QUERY_LOCATOR" {
            let soql = SalesforceRecordReading.backfillQuery(for: mapping, includeDeleted: includeDeleted, since: job.since, after: watermark)
            return try await client.query(soql, includeDeleted: includeDeleted)
        }
        return try result.get()
    }

    /// Deletes the records the mirror shows as live that Salesforce no longer has, journaling
    /// their count with each chunk (`BackfillReconciled`).
    ///
    /// The mirror is listed first and Salesforce asked second: a record created after the listing
    /// is not a candidate, and one the listing holds is either in Salesforce's answer or was
    /// deleted before it.
    private func reconcile(_ job: BackfillJob, mapping: EntityMapping, type: RecordType) async throws {
        guard let projection = readModels.projection(type) else { return }
        let position = try await journal.lastPosition()
        await projection.applied.wait(until: position)
        var candidates: [String] = []
        var after: String?
        repeat {
            try Task.checkCancellation()
            let listed = try await projection.list(RecordQuery(after: after, limit: 1000))
            candidates += listed.items.map(\.id)
            after = listed.next
        } while after != nil
        let now = Timestamp.now().millisecondsSinceEpoch
        var live = Set<String>()
        var page = try await client.query("SELECT Id FROM \(mapping.objectName)")
        while true {
            for record in page.records {
                if let id = record["Id"]?.stringValue.flatMap(SalesforceID.normalize) { live.insert(id) }
            }
            guard !page.done, let next = page.nextRecordsURL else { break }
            page = try await client.nextPage(next)
        }
        let absent = candidates.filter { !live.contains($0) }
        for start in stride(from: 0, to: absent.count, by: 1000) {
            let commands = absent[start..<min(absent.count, start + 1000)].map { id -> AggregateRegistry<SalesforceRecord>.BatchCommand in
                let command = RecordCommand(
                    operation: .delete,
                    body: ChangeBody(fields: [:]),
                    facts: ChangeFacts(source: .backfill, entity: job.entity, commitTimestamp: now, backfillJob: job.id)
                )
                return (StreamName(category: type.rawValue, id: id), command, nil)
            }
            // Each chunk's deletes and its count are one append, like a page and its event: the
            // count survives an interruption, and the job's position covers the deletes. Only
            // deletes that change something count (CDC may have deleted a record meanwhile).
            _ = try await registry.handleAtomically(commands) { decided in
                let deleted = decided.count { $0 > 0 }
                guard deleted > 0 else { return [] }
                return [StreamWrite(stream: BackfillEvent.stream(job.id), expectedVersion: .any, events: [BackfillEvent.reconciled(deletedAbsent: deleted)])]
            }
        }
    }

    /// Journals the end of `job` (and for a successful re-sync, `EntityResyncCompleted`).
    /// - Returns: the position of the end, or `nil` when it could not be journaled.
    @discardableResult
    private func finish(_ job: BackfillJob, failure: String?) async -> UInt64? {
        var writes = [StreamWrite(stream: BackfillEvent.stream(job.id), expectedVersion: .any, events: [BackfillEvent.finished(failure: failure)])]
        if job.reconcile, failure == nil {
            writes.append(EntityResyncRequest.completion(entity: job.entity, began: job.startedAt))
        }
        do {
            let position = try await journal.append(AppendRequest(writes: writes)).lastPosition
            logger.info("backfill finished", metadata: ["job": "\(job.id)", "entity": "\(job.entity)", "failure": "\(failure ?? "none")"])
            return position
        } catch {
            logger.error("backfill end could not be journaled; it runs again at the next start", metadata: ["job": "\(job.id)", "error": "\(error)"])
            return nil
        }
    }
}
