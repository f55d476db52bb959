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

    /// Journals a new job for `entity` and queues it; returns its id.
    public func start(
        entity: String, since: Timestamp? = nil, includeDeleted: Bool = false, reconcile: Bool = false, reason: String? = nil
    ) async throws(BackfillStartError) -> String {
        guard let type = mappings.recordType(forObject: entity), mappings[type] != nil else {
            throw .unknownEntity(entity, known: mappings.recordTypes.compactMap { mappings[$0]?.objectName })
        }
        let id = UUID().uuidString.lowercased()
        if let running = active.withLock({ active -> String? in
            if let job = active[entity] { return job }
            active[entity] = id
            return nil
        }) {
            throw .alreadyRunning(entity: entity, job: running)
        }
        let job = BackfillJob(
            id: id, entity: entity, since: since, includeDeleted: includeDeleted, reconcile: reconcile, reason: reason, startedAt: .now()
        )
        do {
            _ = try await journal.append(AppendRequest(stream: BackfillEvent.stream(id), expectedVersion: .exact(0), events: [BackfillEvent.started(job)]))
        } catch {
            active.withLock { $0[entity] = nil }
            throw .journal(error)
        }
        logger.info("backfill started", metadata: ["job": "\(id)", "entity": "\(entity)", "reconcile": "\(reconcile)"])
        submit.yield(job)
        return id
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
            }
        }
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
        defer { active.withLock { if $0[job.entity] == job.id { $0[job.entity] = nil } } }
        guard let type = mappings.recordType(forObject: job.entity), let mapping = mappings[type] else {
            await finish(job, failure: "\(job.entity) is no longer mapped")
            return
        }
        do {
            if !job.passComplete { try await readPages(job, mapping: mapping, type: type) }
            let deleted = job.reconcile ? try await reconcile(job, mapping: mapping, type: type) : nil
            await finish(job, failure: nil, deletedAbsent: deleted)
        } catch {
            if Task.isCancelled {
                logger.info("backfill paused by shutdown; it resumes at the next start", metadata: ["job": "\(job.id)"])
                return
            }
            logger.error("backfill failed", metadata: ["job": "\(job.id)", "entity": "\(job.entity)", "error": "\(error)"])
            await finish(job, failure: "\(error)")
        }
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
            page = try await client.nextPage(next)
        }
    }

    /// Deletes the records the mirror shows as live that Salesforce no longer has; returns how many.
    private func reconcile(_ job: BackfillJob, mapping: EntityMapping, type: RecordType) async throws -> Int {
        var live = Set<String>()
        var page = try await client.query("SELECT Id FROM \(mapping.objectName)")
        while true {
            for record in page.records {
                if let id = record["Id"]?.stringValue.flatMap(SalesforceID.normalize) { live.insert(id) }
            }
            guard !page.done, let next = page.nextRecordsURL else { break }
            page = try await client.nextPage(next)
        }
        guard let projection = readModels.projection(type) else { return 0 }
        let position = try await journal.lastPosition()
        await projection.applied.wait(until: position)
        var absent: [String] = []
        var after: String?
        repeat {
            try Task.checkCancellation()
            let listed = try await projection.list(RecordQuery(after: after, limit: 1000))
            absent += listed.items.map(\.id).filter { !live.contains($0) }
            after = listed.next
        } while after != nil
        let now = Timestamp.now().millisecondsSinceEpoch
        for start in stride(from: 0, to: absent.count, by: 1000) {
            let commands = absent[start..<min(absent.count, start + 1000)].map { id -> AggregateRegistry<SalesforceRecord>.BatchCommand in
                let command = RecordCommand(
                    operation: .delete,
                    body: ChangeBody(fields: [:]),
                    facts: ChangeFacts(source: .backfill, entity: job.entity, commitTimestamp: now, backfillJob: job.id)
                )
                return (StreamName(category: type.rawValue, id: id), command, nil)
            }
            _ = try await registry.handleAtomically(commands)
        }
        return absent.count
    }

    /// Journals the end of `job` (with its reconciliation count, and for a successful re-sync,
    /// `EntityResyncCompleted`).
    private func finish(_ job: BackfillJob, failure: String?, deletedAbsent: Int? = nil) async {
        var events: [NewEvent] = []
        if let deletedAbsent { events.append(BackfillEvent.reconciled(deletedAbsent: deletedAbsent)) }
        events.append(BackfillEvent.finished(failure: failure))
        var writes = [StreamWrite(stream: BackfillEvent.stream(job.id), expectedVersion: .any, events: events)]
        if job.reconcile, failure == nil {
            writes.append(EntityResyncRequest.completion(entity: job.entity, began: job.startedAt))
        }
        do {
            _ = try await journal.append(AppendRequest(writes: writes))
            logger.info("backfill finished", metadata: ["job": "\(job.id)", "entity": "\(job.entity)", "failure": "\(failure ?? "none")"])
        } catch {
            logger.error("backfill end could not be journaled; it runs again at the next start", metadata: ["job": "\(job.id)", "error": "\(error)"])
        }
    }
}
