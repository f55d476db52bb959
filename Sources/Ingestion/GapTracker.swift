import CRM
import EventSourcing
import Synchronization

/// Records waiting for a re-read after a gap event, and entities waiting for a full re-sync.
///
/// A gap mark keeps the latest gap commit time per record; the re-read that clears it comes from
/// the Salesforce REST client. Held in memory for now: marks are lost on restart.
public final class GapTracker: Sendable {
    /// A record waiting for a re-read.
    public struct RecordGap: Sendable, Hashable {
        /// The record's stream.
        public var stream: StreamName
        /// The Salesforce object.
        public var entity: String
        /// The latest gap's commit time (epoch ms).
        public var commitTimestamp: Int64
    }

    private struct State {
        var records: [StreamName: RecordGap] = [:]
        var entities: Set<String> = []
    }

    private let state = Mutex(State())

    /// An empty tracker.
    public init() {}

    /// Marks `stream` for a re-read because of a gap committed at `commitTimestamp`.
    public func markRecord(_ stream: StreamName, entity: String, commitTimestamp: Int64) {
        state.withLock { state in
            let latest = max(state.records[stream]?.commitTimestamp ?? .min, commitTimestamp)
            state.records[stream] = RecordGap(stream: stream, entity: entity, commitTimestamp: latest)
        }
    }

    /// Schedules a full re-sync of `entity`.
    public func scheduleResync(of entity: String) {
        _ = state.withLock { $0.entities.insert(entity) }
    }

    /// Records waiting for a re-read, by stream name.
    public var pendingRecords: [RecordGap] {
        state.withLock { Array($0.records.values) }.sorted { $0.stream < $1.stream }
    }

    /// Entities waiting for a re-sync, sorted.
    public var pendingResyncs: [String] {
        state.withLock { $0.entities.sorted() }
    }
}
