import EventSourcing
import Synchronization

/// The live event streams open now: enforces `maxStreams`, and tells every stream when the
/// server shuts down.
final class LiveStreams: Sendable {
    let configuration: StreamConfiguration
    private let open = Mutex(0)
    /// Moves to 1 when the server shuts down; streams wait on it beside new commits.
    let shutdown = PositionWatch()

    init(configuration: StreamConfiguration) {
        self.configuration = configuration
    }

    /// How many streams are open.
    var count: Int { open.withLock { $0 } }

    /// A place for one more stream, or `nil` when `maxStreams` are open. The place is given back
    /// when the ticket goes away (the response body is done, or was never written).
    func reserve() -> Ticket? {
        let reserved = open.withLock { count in
            guard count < configuration.maxStreams else { return false }
            count += 1
            return true
        }
        return reserved ? Ticket(streams: self) : nil
    }

    fileprivate func release() {
        open.withLock { $0 -= 1 }
    }

    /// A stream's place; releases it on deinit.
    final class Ticket: Sendable {
        private let streams: LiveStreams
        fileprivate init(streams: LiveStreams) { self.streams = streams }
        deinit { streams.release() }
    }
}
