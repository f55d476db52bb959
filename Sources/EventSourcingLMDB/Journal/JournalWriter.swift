import CoreMetrics
import Dispatch
import EventSourcing
import Foundation
import Synchronization

/// The journal's single writer: a dedicated thread that commits appends in groups.
///
/// Appenders queue a prepared request and suspend. The thread takes everything queued (up to
/// `maxBatchEvents`), writes it in one LMDB transaction, commits (fsync), and only then resumes
/// every appender of the batch. While a commit is running the next batch queues up, so the batch
/// size follows the load without any timer. Requests in one batch are independent: one whose
/// expected version does not match fails alone, the others commit. Blocking I/O never runs on
/// Swift's cooperative pool.
final class JournalWriter: Sendable {
    typealias Completion = CheckedContinuation<Result<AppendResult, JournalError>, Never>

    private struct Pending {
        let append: PreparedAppend
        let completion: Completion
    }

    private struct Queue {
        var pending: [Pending] = []
        var idle = false
        var closed = false
        var flushIndexOnClose = true
        /// Aggregate snapshots to write with the next commit (the latest per stream).
        var snapshots: [StreamName: AggregateSnapshot] = [:]
    }

    private let environment: LMDBEnvironment
    private let databases: JournalDatabases
    private let commits: PositionWatch
    private let tail: StreamIndexTail
    private let maxBatchEvents: Int
    private let indexFlushEvents: Int
    private let indexFlushChunk: Int
    private let queue = Mutex(Queue())
    private let wakeup = DispatchSemaphore(value: 0)
    /// Whether the thread has ended, and who waits for it to.
    private let termination = Mutex<(ended: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))
    private let statistics = Mutex(JournalWriterStatistics())
    /// Commits left before the next index flush may be tried, after one failed.
    private let flushBackoff = Mutex(0)
    private let metrics: JournalWriterMetrics

    init(
        environment: LMDBEnvironment,
        databases: JournalDatabases,
        commits: PositionWatch,
        tail: StreamIndexTail,
        maxBatchEvents: Int,
        indexFlushEvents: Int,
        indexFlushChunk: Int,
        metrics: JournalWriterMetrics
    ) {
        self.environment = environment
        self.databases = databases
        self.commits = commits
        self.tail = tail
        self.maxBatchEvents = maxBatchEvents
        self.indexFlushEvents = indexFlushEvents
        self.indexFlushChunk = indexFlushChunk
        self.metrics = metrics
    }

    /// Appends queued for the next commit.
    var queuedAppends: Int {
        queue.withLock { $0.pending.count }
    }

    /// Starts the writer thread, continuing the log after `lastPosition`.
    func start(lastPosition: UInt64) {
        let thread = Thread { [self] in
            self.loop(lastPosition: lastPosition)
        }
        thread.name = "tributary-journal-writer"
        thread.start()
    }

    /// Marks a writer whose thread will never start (a read-only journal) as closed and ended:
    /// appends fail with `closed` and `stop()` returns at once instead of waiting forever.
    func finishWithoutStarting() {
        queue.withLock { $0.closed = true }
        termination.withLock { $0.ended = true }
    }

    /// Queues `append` and returns once it is durable (or has failed).
    func submit(_ append: PreparedAppend) async -> Result<AppendResult, JournalError> {
        await withCheckedContinuation { (completion: Completion) in
            let accepted: (accepted: Bool, wake: Bool) = queue.withLock { queue in
                guard !queue.closed else { return (false, false) }
                queue.pending.append(Pending(append: append, completion: completion))
                let wake = queue.idle
                queue.idle = false
                return (true, wake)
            }
            if !accepted.accepted {
                completion.resume(returning: .failure(.closed))
            } else if accepted.wake {
                wakeup.signal()
            }
        }
    }

    /// Queues an aggregate snapshot for the next commit (no fsync of its own unless the writer
    /// is idle). Dropped once the writer is closed: snapshots are derived data.
    func submit(snapshot: AggregateSnapshot, of stream: StreamName) {
        let wake: Bool = queue.withLock { queue in
            guard !queue.closed else { return false }
            if let queued = queue.snapshots[stream], queued.version > snapshot.version { return false }
            queue.snapshots[stream] = snapshot
            let wake = queue.idle
            queue.idle = false
            return wake
        }
        if wake { wakeup.signal() }
    }

    /// Stops taking appends, commits everything already queued, writes the in-memory stream index
    /// (unless `flushingIndex` is false, as after a crash), and waits for the thread to end.
    func stop(flushingIndex: Bool = true) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let ended = termination.withLock { termination in
                if !termination.ended { termination.waiters.append(continuation) }
                return termination.ended
            }
            if ended {
                continuation.resume()
                return
            }
            let wake: Bool = queue.withLock { queue in
                queue.closed = true
                queue.flushIndexOnClose = flushingIndex
                let wake = queue.idle
                queue.idle = false
                return wake
            }
            if wake { wakeup.signal() }
        }
    }

    /// Writes the whole in-memory stream index to LMDB (the rest of a flush under way, then the
    /// newest generation), so the next start-up has no tail to rebuild. A failure is left for
    /// that start-up to repair: the events themselves are committed.
    private func flushIndex(_ flush: StreamIndexFlush?, through position: UInt64) {
        guard !tail.isEmpty else { return }
        do {
            let newest = tail.newestGeneration
            try environment.withWriteTransaction { transaction in
                if let flush { _ = try flush.writeChunk(limit: .max, in: transaction, databases: databases) }
                try StreamIndexFlush.write(newest, through: position, in: transaction, databases: databases)
            }
            tail.removeAll()
        } catch {
            statistics.withLock { $0.failedCommits += 1 }
        }
    }

    /// Counters for monitoring.
    var currentStatistics: JournalWriterStatistics {
        statistics.withLock { $0 }
    }

    // MARK: - The writer thread

    private func loop(lastPosition initialPosition: UInt64) {
        var lastPosition = initialPosition
        var flush: StreamIndexFlush?
        while true {
            let work: (batch: [Pending], snapshots: [StreamName: AggregateSnapshot])? = queue.withLock { queue in
                if queue.pending.isEmpty, queue.snapshots.isEmpty {
                    if queue.closed { return nil }
                    queue.idle = true
                    return ([], [:])
                }
                defer { queue.snapshots.removeAll() }
                return (takeBatch(from: &queue.pending), queue.snapshots)
            }
            guard let work else { break }
            if work.batch.isEmpty, work.snapshots.isEmpty {
                wakeup.wait()
                continue
            }
            commit(work.batch, snapshots: work.snapshots, lastPosition: &lastPosition, flush: &flush)
        }
        if queue.withLock({ $0.flushIndexOnClose }) { flushIndex(flush, through: lastPosition) }
        let waiters = termination.withLock { termination in
            termination.ended = true
            return termination.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    private func takeBatch(from pending: inout [Pending]) -> [Pending] {
        guard !pending.isEmpty else { return [] }
        var events = 0
        var count = 0
        while count < pending.count, count == 0 || events + pending[count].append.eventCount <= maxBatchEvents {
            events += pending[count].append.eventCount
            count += 1
        }
        if count == pending.count {
            defer { pending.removeAll(keepingCapacity: true) }
            return pending
        }
        let batch = Array(pending[..<count])
        pending.removeFirst(count)
        return batch
    }

    private func commit(
        _ batch: [Pending],
        snapshots: [StreamName: AggregateSnapshot],
        lastPosition: inout UInt64,
        flush: inout StreamIndexFlush?
    ) {
        let started = ContinuousClock.now
        let committedAt = Timestamp.now()
        let startPosition = lastPosition
        var results: [Result<AppendResult, JournalError>] = []
        var endPosition = startPosition
        var indexed: [StreamIndexTail.Entry] = []
        // A flush under way writes its next chunk with this commit (one fsync for both): at
        // least twice this batch's events, so it ends before the next generation fills up, and
        // all the rest once that has happened anyway. Not while a recent chunk failed: then
        // commits go on without the index for a while, so a chunk that cannot fit (a nearly full
        // disk) never blocks appends that would.
        let mayFlush = flushBackoff.withLock { backoff in
            defer { backoff = max(0, backoff - 1) }
            return backoff == 0
        }
        let batchEvents = batch.reduce(0) { $0 + $1.append.eventCount }
        let chunk: Int? = flush == nil || !mayFlush
            ? nil
            : tail.eventCount >= indexFlushEvents ? .max : max(indexFlushChunk, 2 * batchEvents)
        var flushedTo: StreamIndexFlush.Cursor?
        var chunkTried = false
        var flushTime = Duration.zero
        func attempt(chunk: Int?) throws {
            try environment.withWriteTransaction { transaction in
                // This body may run again after the map grows: it starts from scratch each time.
                var writer = BatchWriter(
                    transaction: transaction,
                    databases: databases,
                    tail: tail,
                    position: startPosition,
                    committedAt: committedAt
                )
                results = try batch.map { try writer.write($0.append) }
                try AggregateSnapshotCodec.write(snapshots, in: transaction, databases: databases)
                endPosition = writer.position
                indexed = writer.indexed
                flushedTo = nil
                if let chunk, let flush {
                    chunkTried = true
                    let chunkStarted = ContinuousClock.now
                    flushedTo = try flush.writeChunk(limit: chunk, in: transaction, databases: databases)
                    flushTime = ContinuousClock.now - chunkStarted
                }
            }
        }
        do {
            do {
                try attempt(chunk: chunk)
            } catch where chunkTried {
                // The chunk may be what failed (a nearly full disk): the batch goes without it.
                flushBackoff.withLock { $0 = 256 }
                try attempt(chunk: nil)
            }
        } catch {
            let failure = JournalError.storage("\(error)")
            for pending in batch { pending.completion.resume(returning: .failure(failure)) }
            statistics.withLock { $0.failedCommits += 1 }
            metrics.failedCommits.increment()
            return
        }
        lastPosition = endPosition
        tail.add(indexed)
        var flushed = false
        if let flushedTo, var written = flush {
            written.next = flushedTo
            flush = written
            if written.isComplete {
                tail.dropSealed()
                flush = nil
                flushed = true
            }
        }
        let elapsed = ContinuousClock.now - started
        if !batch.isEmpty {
            // Commits of aggregate snapshots alone are not group commits of appends.
            metrics.commitDuration.recordNanoseconds(elapsed.nanoseconds)
            metrics.commitEvents.record(Int64(endPosition - startPosition))
        }
        statistics.withLock { statistics in
            if flushed { statistics.indexFlushes += 1 }
            statistics.indexFlushTime += flushTime
            statistics.longestCommit = max(statistics.longestCommit, elapsed)
            statistics.commits += 1
            statistics.events += endPosition - startPosition
            statistics.lastBatchRequests = batch.count
            statistics.totalCommitTime += elapsed
        }
        // Advance first, so an appender resumed below already sees its events in `lastPosition()`.
        commits.advance(to: endPosition)
        for (pending, result) in zip(batch, results) { pending.completion.resume(returning: result) }
        // Sealing sorts up to `indexFlushEvents` entries: after the acknowledgements, which do
        // not need it (the next commit is the first to write a chunk).
        if flush == nil, tail.eventCount >= indexFlushEvents {
            let sealingStarted = ContinuousClock.now
            flush = StreamIndexFlush(tail.seal(), through: endPosition)
            let sealing = ContinuousClock.now - sealingStarted
            statistics.withLock { $0.indexFlushTime += sealing }
        }
    }
}

/// What the writer has done so far.
public struct JournalWriterStatistics: Sendable, Hashable {
    /// Transactions committed.
    public var commits: UInt64 = 0
    /// Events committed.
    public var events: UInt64 = 0
    /// Transactions that failed (every append in them failed).
    public var failedCommits: UInt64 = 0
    /// The number of append requests in the last committed batch.
    public var lastBatchRequests: Int = 0
    /// Time spent writing and committing.
    public var totalCommitTime: Duration = .zero
    /// Flushes of the in-memory stream index completed, and the time spent sorting and writing
    /// their entries (spread over the commits that carried them).
    public var indexFlushes: UInt64 = 0
    public var indexFlushTime: Duration = .zero
    /// The longest commit so far.
    public var longestCommit: Duration = .zero
}

/// What the writer reports through swift-metrics, per commit.
struct JournalWriterMetrics: Sendable {
    /// Time to write and commit (fsync) one batch.
    let commitDuration: CoreMetrics.Timer
    /// Events per committed batch.
    let commitEvents: Recorder
    /// Transactions that failed.
    let failedCommits: Counter

    init(factory: any MetricsFactory) {
        commitDuration = CoreMetrics.Timer(label: JournalMetricNames.commitDuration, factory: factory)
        commitEvents = Recorder(label: JournalMetricNames.commitEvents, factory: factory)
        failedCommits = Counter(label: JournalMetricNames.failedCommits, factory: factory)
    }
}

/// The names of the journal's metrics (Prometheus conventions).
public enum JournalMetricNames {
    /// A histogram of the time to write and commit (fsync) one batch, in seconds.
    public static let commitDuration = "tributary_journal_commit_duration_seconds"
    /// A histogram of the events per committed batch.
    public static let commitEvents = "tributary_journal_commit_batch_events"
    /// A counter of transactions that failed (every append in them failed).
    public static let failedCommits = "tributary_journal_commit_failures_total"
}

extension Duration {
    /// The duration in whole nanoseconds (saturating).
    fileprivate var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        return overflow ? .max : scaled + attoseconds / 1_000_000_000
    }
}
