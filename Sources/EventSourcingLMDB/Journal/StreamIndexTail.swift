import EventSourcing
import Synchronization

/// The stream index entries of recent events, held in memory until they are written to LMDB in
/// bulk.
///
/// Writing a record's index entry (`streams`) and head (`heads`) with every commit touches two
/// B-tree pages chosen by the record's id, so each commit rewrote about two 4 KiB pages per
/// event, several times the size of the events themselves, and the fsync of those pages
/// dominated every commit. Instead the writer keeps the entries of events committed after
/// `indexedThrough` here, and writes them all at once (`JournalWriter` flushes when the tail
/// holds `indexFlushEvents` events, and on close), so one page write serves many records. The
/// index is derived data: after a crash, start-up rebuilds the tail by scanning the events after
/// `indexedThrough`, which the flush stores in the same transaction as the entries it writes.
///
/// A stream's tail covers its versions from `firstVersion` on, contiguously, and LMDB's index
/// holds every version below that. A reader takes the tail first and reads LMDB afterwards: a
/// flush between the two only adds to LMDB what the reader already has from the tail.
final class StreamIndexTail: Sendable {
    /// One stream's recent events: the positions of versions `firstVersion`, `firstVersion + 1`, ….
    struct Stream: Sendable {
        var firstVersion: UInt64
        var positions: [UInt64]

        /// The stream's newest version.
        var head: UInt64 { firstVersion + UInt64(positions.count) - 1 }
    }

    private struct State {
        var streams: [StreamName: Stream] = [:]
        var events = 0
    }

    private let state = Mutex(State())

    /// An empty tail.
    init() {}

    /// The number of events in the tail.
    var eventCount: Int { state.withLock { $0.events } }

    /// The stream's recent events, or `nil` when none is newer than `indexedThrough`.
    func stream(_ name: StreamName) -> Stream? {
        state.withLock { $0.streams[name] }
    }

    /// An index entry: the event at `position` is version `version` of `stream`.
    typealias Entry = (stream: StreamName, version: UInt64, position: UInt64)

    /// Adds committed events, each the next version of its stream, in position order.
    func add(_ entries: [Entry]) {
        guard !entries.isEmpty else { return }
        state.withLock { state in
            Self.add(entries, to: &state.streams)
            state.events += entries.count
        }
    }

    /// Every stream in the tail, with `entries` (newer events) added.
    func allStreams(adding entries: [Entry]) -> [StreamName: Stream] {
        var streams = state.withLock { $0.streams }
        Self.add(entries, to: &streams)
        return streams
    }

    private static func add(_ entries: [Entry], to streams: inout [StreamName: Stream]) {
        for entry in entries {
            if let index = streams.index(forKey: entry.stream) {
                streams.values[index].positions.append(entry.position)
            } else {
                streams[entry.stream] = Stream(firstVersion: entry.version, positions: [entry.position])
            }
        }
    }

    /// Empties the tail once its entries are in LMDB.
    func clear() {
        state.withLock { state in
            state.streams.removeAll(keepingCapacity: true)
            state.events = 0
        }
    }
}
