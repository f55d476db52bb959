import CRM
import EventSourcing
import Logging
import ServiceLifecycle
import Synchronization

/// The outbox publisher: follows the committed log from its own durable checkpoint and publishes
/// each record event to EventBridge with `PutEvents`.
///
/// - At least once, in position order per record: a call's entries are all accepted (failed ones
///   sent again with backoff) before the next call, and a call never holds two events of one
///   record. The checkpoint advances only past accepted events; after a crash the events since
///   the last checkpoint are published again.
/// - Each event goes once its record's read model has applied it (waiting up to
///   `readModelWait`), with the record's view after that event: read from the read model when it
///   is at that version, folded from the record's stream when it has moved on.
/// - An event too large for one entry goes as a reference (see `OutboxEntries`).
/// - A bus that is down or refuses calls holds the publisher back, never ingestion: the journal
///   keeps everything, and `lag` grows.
public final class EventBridgePublisher: Service {
    /// How many events are read from the journal at a time.
    static let pageSize = 512
    /// The most records whose folded history is kept between pages.
    static let maxHistories = 10_000
    /// The least time between two checkpoint writes while events flow.
    static let checkpointInterval: Duration = .seconds(1)

    private let configuration: PublisherConfiguration
    private let bus: any EventBus
    private let journal: any Journal
    private let readModels: ReadModels
    private let checkpoint: any PublisherCheckpoint
    private let logger: Logger
    private let entries: OutboxEntries
    private let state = Mutex(PublisherStatus())

    /// A publisher of `journal`'s record events to `bus`.
    public init(
        configuration: PublisherConfiguration,
        bus: any EventBus,
        journal: any Journal,
        readModels: ReadModels,
        checkpoint: any PublisherCheckpoint,
        logger: Logger
    ) {
        self.configuration = configuration
        self.bus = bus
        self.journal = journal
        self.readModels = readModels
        self.checkpoint = checkpoint
        self.logger = logger
        self.entries = OutboxEntries(source: configuration.source, eventBusName: configuration.eventBusName, maxEntryBytes: configuration.maxBatchBytes)
    }

    /// What the publisher has done so far.
    public var status: PublisherStatus { state.withLock { $0 } }

    /// The bus events go to.
    public var eventBusName: String { configuration.eventBusName }

    public func run() async throws {
        let start = try await startPosition()
        state.withLock { $0.position = start }
        logger.info("publishing to EventBridge", metadata: [
            "bus": "\(configuration.eventBusName)", "endpoint": "\(configuration.endpoint)", "after": "\(start)",
        ])
        await cancelWhenGracefulShutdown {
            await self.follow(from: start)
        }
    }

    /// Where publishing resumes: the checkpoint; the beginning when there is none, or when it is
    /// unreadable or belongs to another journal (publishing again is safe, skipping is not); the
    /// journal's end when the checkpoint is past it (the journal was cut back by a restore).
    private func startPosition() async throws -> UInt64 {
        var start: UInt64
        do {
            start = try checkpoint.load()
        } catch {
            logger.warning("the publisher checkpoint cannot be used; publishing from the beginning of the journal", metadata: ["error": "\(error)"])
            start = 0
        }
        let head = try await journal.lastPosition()
        if start > head {
            logger.warning("the publisher checkpoint is past the journal's end; publishing from the end", metadata: [
                "checkpoint": "\(start)", "end": "\(head)",
            ])
            start = head
        }
        return start
    }

    /// Publishes the log after `start` until cancelled, saving the checkpoint at most every
    /// `checkpointInterval` while events flow, whenever the log is idle, and on the way out.
    private func follow(from start: UInt64) async {
        var position = start
        var saved = start
        var lastSave = ContinuousClock.now
        var histories: [StreamName: RecordViewHistory] = [:]
        func saveCheckpoint() {
            guard position != saved else { return }
            do {
                try checkpoint.save(position)
                saved = position
                lastSave = .now
            } catch {
                // Tried again at the next interval, not at every batch.
                lastSave = .now
                logger.error("the publisher checkpoint cannot be written", metadata: ["error": "\(error)"])
            }
        }
        defer { saveCheckpoint() }
        while !Task.isCancelled {
            let page: [RecordedEvent]
            do {
                page = try await journal.readAll(after: position, limit: Self.pageSize)
            } catch {
                logger.error("the publisher cannot read the journal", metadata: ["error": "\(error)"])
                try? await Task.sleep(for: .seconds(1))
                continue
            }
            guard let last = page.last else {
                saveCheckpoint()
                await journal.waitForCommit(after: position)
                continue
            }
            await waitForReadModels(through: last.position)
            // Folded histories carry over between pages (a publisher catching up meets the same
            // hot records page after page), within a bound.
            if histories.count > Self.maxHistories { histories.removeAll(keepingCapacity: true) }
            let items = await items(for: page, histories: &histories)
            for batch in OutboxEntries.batches(items, pageEnd: last.position, maxEntries: configuration.maxBatchEntries, maxBytes: configuration.maxBatchBytes) {
                guard await publish(batch.items) else { return }
                position = batch.through
                state.withLock { $0.position = position }
                if ContinuousClock.now - lastSave >= Self.checkpointInterval { saveCheckpoint() }
            }
        }
    }

    // MARK: - Building entries

    /// Waits until every read model has applied `position`, or `readModelWait` has passed.
    private func waitForReadModels(through position: UInt64) async {
        let readModels = self.readModels
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for projection in readModels.all where projection.applied.position < position {
                    await projection.applied.wait(until: position)
                }
            }
            group.addTask { [wait = configuration.readModelWait] in
                try? await Task.sleep(for: wait)
            }
            await group.next()
            group.cancelAll()
        }
    }

    /// The entries of the record events in `page`, each with its record's view after it (none
    /// for a type the mappings in force no longer map).
    private func items(for page: [RecordedEvent], histories: inout [StreamName: RecordViewHistory]) async -> [OutboxEntries.Item] {
        var items: [OutboxEntries.Item] = []
        for event in page {
            guard let type = RecordType(rawValue: event.stream.category) else { continue }
            var view: [UInt8]?
            if let projection = readModels.projection(type) {
                // A history already folded to the version before goes on (one event to fold);
                // otherwise the read model's view serves when it is at this very version.
                let continuesHistory = histories[event.stream].map { $0.version + 1 == event.version } ?? false
                if !continuesHistory, projection.applied.position >= event.position,
                    let stored = try? projection.versionedViewJSON(id: event.stream.id), stored.version == event.version
                {
                    view = stored.json
                    histories[event.stream] = nil
                } else {
                    view = await foldedView(of: event, mapping: projection.mapping, histories: &histories)
                }
            }
            items.append(entries.item(for: event, type: type, viewJSON: view))
        }
        return items
    }

    /// The view after `event` folded from its stream, continuing the page's history of it.
    private func foldedView(of event: RecordedEvent, mapping: EntityMapping, histories: inout [StreamName: RecordViewHistory]) async -> [UInt8]? {
        var history = histories[event.stream].flatMap { $0.mapping == mapping && $0.version < event.version ? $0 : nil }
            ?? RecordViewHistory(mapping: mapping)
        defer { histories[event.stream] = history }
        do {
            while history.version + 1 < event.version {
                let earlier = try await journal.readStream(event.stream, fromVersion: history.version + 1, limit: Int(min(4096, event.version - 1 - history.version)))
                guard !earlier.isEmpty else { break }
                for recorded in earlier { _ = try history.apply(recorded) }
            }
            return try history.apply(event)?.json.jsonBytes()
        } catch {
            logger.error("the publisher cannot fold a record's view; publishing the event without it", metadata: [
                "stream": "\(event.stream)", "position": "\(event.position)", "error": "\(error)",
            ])
            return nil
        }
    }

    // MARK: - Sending

    /// Sends `items` until the bus has accepted each; false when cancelled first.
    ///
    /// Nothing is ever skipped: an entry refused for good (`AccessDeniedException` from a bus
    /// policy, …) holds the publisher back, with the reason in `lastError` and the log, until the
    /// cause is fixed; the journal keeps everything meanwhile.
    private func publish(_ items: [OutboxEntries.Item]) async -> Bool {
        var pending = items
        var backoff = configuration.initialBackoff
        while !pending.isEmpty {
            guard !Task.isCancelled else { return false }
            do {
                let results = try await bus.putEvents(pending.map(\.entry))
                guard results.count == pending.count else { throw PublisherError.resultCountMismatch }
                var failed: [OutboxEntries.Item] = []
                var accepted = 0
                var references = 0
                var rejected = 0
                var firstFailure: String?
                for (item, result) in zip(pending, results) {
                    if result.accepted {
                        accepted += 1
                        if item.isReference { references += 1 }
                        continue
                    }
                    failed.append(item)
                    if !result.isTransient { rejected += 1 }
                    firstFailure = firstFailure ?? "position \(item.event.position): \(result.errorCode ?? "") \(result.errorMessage ?? "")"
                }
                state.withLock { status in
                    status.published += accepted
                    status.publishedAsReferences += references
                    status.retriedEntries += failed.count
                    status.rejectedEntries += rejected
                    status.lastError = failed.isEmpty ? nil : "EventBridge refused entries: \(firstFailure ?? "")"
                }
                pending = failed
                guard !pending.isEmpty else { return true }
                if rejected > 0 {
                    logger.error("EventBridge refuses entries with a non-transient error; publishing waits until it accepts them", metadata: [
                        "count": "\(rejected)", "first": "\(firstFailure ?? "")",
                    ])
                } else {
                    logger.warning("EventBridge refused entries; sending them again", metadata: ["count": "\(pending.count)", "first": "\(firstFailure ?? "")"])
                }
            } catch {
                state.withLock { status in
                    status.failedCalls += 1
                    status.lastError = "\(error)"
                }
                logger.warning("PutEvents failed; trying again", metadata: ["error": "\(error)", "backoff": "\(backoff)"])
            }
            // Full jitter: anywhere up to the current backoff, which doubles up to the maximum.
            let jittered = Duration.nanoseconds(Int64.random(in: 0...max(1, Int64(backoff / .nanoseconds(1)))))
            try? await Task.sleep(for: jittered)
            backoff = min(backoff * 2, configuration.maxBackoff)
        }
        return true
    }
}

/// The bus answered in a way the publisher cannot use.
enum PublisherError: Error, CustomStringConvertible {
    case resultCountMismatch
    var description: String { "PutEvents answered with a different number of results than entries sent" }
}
