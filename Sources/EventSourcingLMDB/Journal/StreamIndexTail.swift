import EventSourcing
import Synchronization

/// The stream index entries of recent events, held in memory until they are written to LMDB in
/// bulk.
///
/// Writing a record's index entry with every commit touches a B-tree page chosen by the record's
/// id, so each commit rewrote about a 4 KiB page per event, several times the size of the events
/// themselves, and the fsync of those pages dominated every commit. Instead the writer keeps the
/// entries of events committed after `indexed-through` here and writes them in bulk, so one page
/// write serves many records: when the tail holds `indexFlushEvents` events, `JournalWriter`
/// seals them (a new generation starts taking commits) and writes the sealed generation a sorted
/// chunk per commit (`StreamIndexFlush`), dropping it from memory once the commit that stores
/// `indexed-through` is durable. The index is derived data: after a crash, start-up rebuilds the
/// tail by scanning the events after `indexed-through`.
///
/// A stream's tail covers its versions from `firstVersion` on, contiguously, and LMDB's index
/// holds every version below that (and, while a generation is being written, some above). A
/// reader takes the tail first and reads LMDB afterwards: a flush between the two only adds to
/// LMDB what the reader already has from the tail.
final class StreamIndexTail: Sendable {
    /// One stream's recent events: the positions of versions `firstVersion`, `firstVersion + 1`, ….
    struct Stream: Sendable {
        var firstVersion: UInt64
        var positions: [UInt64]

        /// The stream's newest version.
        var head: UInt64 { firstVersion + UInt64(positions.count) - 1 }
    }

    private struct State {
        /// The generation taking new commits.
        var streams: [StreamName: Stream] = [:]
        var events = 0
        /// The generation being written to LMDB, older than every entry of `streams`.
        var sealed: [StreamName: Stream] = [:]
    }

    private let state = Mutex(State())

    /// An empty tail.
    init() {}

    /// The number of events in the generation taking new commits.
    var eventCount: Int { state.withLock { $0.events } }

    /// Whether there is no entry at all, sealed or not.
    var isEmpty: Bool { state.withLock { $0.events == 0 && $0.sealed.isEmpty } }

    /// The stream's recent events, or `nil` when none is newer than `indexed-through`.
    func stream(_ name: StreamName) -> Stream? {
        // The two generations' parts are joined outside the lock the writer also takes.
        let (older, recent) = state.withLock { state in
            (state.sealed.isEmpty ? nil : state.sealed[name], state.streams[name])
        }
        guard let older else { return recent }
        guard let recent else { return older }
        return Stream(firstVersion: older.firstVersion, positions: older.positions + recent.positions)
    }

    /// The stream's newest version, or `nil` when none is newer than `indexed-through`.
    func head(of name: StreamName) -> UInt64? {
        state.withLock { state in
            if let recent = state.streams[name] { return recent.head }
            return state.sealed.isEmpty ? nil : state.sealed[name]?.head
        }
    }

    /// An index entry: the event at `position` is version `version` of `stream`.
    typealias Entry = (stream: StreamName, version: UInt64, position: UInt64)

    /// Adds committed events, each the next version of its stream, in position order.
    func add(_ entries: [Entry]) {
        guard !entries.isEmpty else { return }
        state.withLock { state in
            for entry in entries {
                if let index = state.streams.index(forKey: entry.stream) {
                    state.streams.values[index].positions.append(entry.position)
                } else {
                    state.streams[entry.stream] = Stream(firstVersion: entry.version, positions: [entry.position])
                }
            }
            state.events += entries.count
        }
    }

    /// The generation taking new commits.
    var newestGeneration: [StreamName: Stream] { state.withLock { $0.streams } }

    /// Seals the generation taking commits, which becomes the one being written, and returns
    /// it; new commits start a new generation. Only when no sealed generation is left.
    func seal() -> [StreamName: Stream] {
        state.withLock { state in
            precondition(state.sealed.isEmpty, "the previous generation is still being written")
            state.sealed = state.streams
            state.streams = [:]
            state.events = 0
            return state.sealed
        }
    }

    /// Empties the tail once every entry is in LMDB.
    func removeAll() {
        state.withLock { $0 = State() }
    }

    /// Drops the sealed generation once its entries are in LMDB.
    func dropSealed() {
        state.withLock { $0.sealed = [:] }
    }
}
