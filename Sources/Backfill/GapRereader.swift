import CRM
import EventSourcing
import Ingestion
import JSON
import Logging
import Salesforce
import SalesforceAPI
import ServiceLifecycle

/// The background service that answers gap events: it re-reads the records `GapIndex` has marked,
/// in batches (one `queryAll … WHERE Id IN (…)` per up to `batchSize` records of an entity,
/// `pause` between calls), and writes what Salesforce holds as `source: gap-fill` changes, which
/// clear the marks. A record Salesforce no longer has, or has in its recycle bin, is deleted.
/// For each entity waiting for a re-sync (an overflow or a wildcard change) it starts a
/// reconciling backfill job.
public struct GapRereader: Service {
    private let client: SalesforceClient
    private let registry: AggregateRegistry<SalesforceRecord>
    private let journal: any Journal
    private let mappings: MappingSet
    private let gaps: GapIndex
    private let backfiller: Backfiller
    private let batchSize: Int
    private let pause: Duration
    private let idleInterval: Duration
    private let retryFailedResyncAfter: Duration
    private let logger: Logger

    /// A re-reader of `gaps` through `client`.
    public init(
        client: SalesforceClient,
        registry: AggregateRegistry<SalesforceRecord>,
        journal: any Journal,
        mappings: MappingSet,
        gaps: GapIndex,
        backfiller: Backfiller,
        batchSize: Int = 200,
        pause: Duration = .milliseconds(200),
        idleInterval: Duration = .seconds(1),
        retryFailedResyncAfter: Duration = .seconds(300),
        logger: Logger
    ) {
        self.client = client
        self.registry = registry
        self.journal = journal
        self.mappings = mappings
        self.gaps = gaps
        self.backfiller = backfiller
        self.batchSize = max(1, min(batchSize, 500))
        self.pause = pause
        self.idleInterval = idleInterval
        self.retryFailedResyncAfter = retryFailedResyncAfter
        self.logger = logger
    }

    public func run() async throws {
        var failures = 0
        // Entities take turns, so one whose re-reads keep failing does not starve the others.
        var lastEntity: String?
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            var wait = idleInterval
            do {
                await startResyncs()
                let entity = await nextEntity(after: lastEntity)
                lastEntity = entity
                if let entity, try await rereadOneBatch(of: entity) {
                    wait = pause
                }
                failures = 0
            } catch {
                if Task.isCancelled || Task.isShuttingDownGracefully { return }
                failures += 1
                wait = min(idleInterval * (1 << min(failures, 6)), .seconds(60))
                logger.error("gap re-read failed; retrying", metadata: ["error": "\(error)", "pauseSeconds": "\(wait.components.seconds)"])
            }
            let pause = wait
            await cancelWhenGracefulShutdown { try? await Task.sleep(for: pause) }
        }
    }

    /// The next mapped entity after `previous` (in name order, wrapping around) with records
    /// marked for a re-read, if any.
    func nextEntity(after previous: String?) async -> String? {
        let entities = Set(await gaps.pendingRecords.map(\.entity)).filter { mappings.recordType(forObject: $0) != nil }.sorted()
        guard let previous else { return entities.first }
        return entities.first { $0 > previous } ?? entities.first
    }

    /// Re-reads up to `batchSize` marked records of `entity`; false when none are marked.
    func rereadOneBatch(of entity: String) async throws -> Bool {
        let pending = await gaps.pendingRecords
        guard let type = mappings.recordType(forObject: entity), let mapping = mappings[type] else { return false }
        let batch = Array(pending.filter { $0.entity == entity }.prefix(batchSize))
        guard !batch.isEmpty else { return false }
        let gapTimes = Dictionary(batch.map { ($0.stream.id, $0.commitTimestamp) }, uniquingKeysWith: max)
        var page = try await client.query(SalesforceRecordReading.rereadQuery(for: mapping, ids: batch.map(\.stream.id)), includeDeleted: true)
        var commands: [AggregateRegistry<SalesforceRecord>.BatchCommand] = []
        var found: Set<String> = []
        while true {
            for record in page.records {
                let id = record["Id"]?.stringValue.flatMap(SalesforceID.normalize) ?? ""
                // Returned, so not deleted for good, even if it cannot be used.
                found.insert(id)
                guard case .success(let read) = SalesforceRecordReading.read(
                    record, entity: entity, source: .gapFill, job: nil, notBefore: gapTimes[id] ?? .min
                ) else { continue }
                commands.append((StreamName(category: type.rawValue, id: read.id), read.command, nil))
            }
            guard !page.done, let next = page.nextRecordsURL else { break }
            page = try await client.nextPage(next)
        }
        // Not even in the recycle bin: deleted for good.
        let now = Timestamp.now().millisecondsSinceEpoch
        for gap in batch where !found.contains(gap.stream.id) {
            let command = RecordCommand(
                operation: .delete,
                body: ChangeBody(fields: [:]),
                facts: ChangeFacts(source: .gapFill, entity: entity, commitTimestamp: max(now, gap.commitTimestamp))
            )
            commands.append((gap.stream, command, nil))
        }
        _ = try await registry.handleAtomically(commands)
        // Wait until the index has seen the re-reads, so the next round does not read them again.
        if let position = try? await journal.lastPosition() { await gaps.applied.wait(until: position) }
        logger.info("records re-read after gaps", metadata: ["entity": "\(entity)", "records": "\(batch.count)", "found": "\(found.count)"])
        return true
    }

    /// Starts a reconciling backfill for each entity waiting for a re-sync that has none running,
    /// none finished since the request, and none failed within `retryFailedResyncAfter`.
    func startResyncs() async {
        for resync in await gaps.pendingResyncs where mappings.recordType(forObject: resync.entity) != nil {
            guard !backfiller.isRunning(resync.entity) else { continue }
            if let latest = await backfiller.jobs.latestReconcile(of: resync.entity) {
                if latest.state == .done, latest.startedAt.millisecondsSinceEpoch >= resync.commitTimestamp ?? .min { continue }
                if latest.state == .failed, let end = latest.finishedAt,
                    Timestamp.now().millisecondsSinceEpoch - end.millisecondsSinceEpoch < Int64(retryFailedResyncAfter.components.seconds * 1000)
                {
                    continue
                }
            }
            do {
                _ = try await backfiller.start(entity: resync.entity, includeDeleted: true, reconcile: true, reason: resync.reason)
            } catch {
                // Already running (started meanwhile), or not journaled: the next round looks again.
                logger.info("re-sync not started", metadata: ["entity": "\(resync.entity)", "reason": "\(error)"])
            }
        }
    }
}
