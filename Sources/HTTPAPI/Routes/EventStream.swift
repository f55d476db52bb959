import EventSourcing
import Hummingbird
import JSON
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// One consumer's live stream of the log, as Server-Sent Events.
///
/// Each event is a frame `id: <position>` / `data: <the event's JSON, as GET /v1/events shows
/// it>`. The stream reads the journal itself, a page at a time, so a consumer costs no memory
/// and never holds ingestion back, whatever its pace:
/// - idle, it sends a `: heartbeat` comment every `heartbeatInterval`;
/// - once caught up, if it falls more than `maxLag` events behind again, on events committed more
///   than `maxLagDuration` ago, it gets a final `event: disconnect` frame saying so (with the last
///   position it was sent) and the stream ends;
/// - a write that waits longer than `stallTimeout` (the consumer reads nothing) closes the
///   connection;
/// - on server shutdown the stream ends; consumers resume with `Last-Event-ID`.
struct EventStream: Sendable {
    let journal: any Journal
    let streams: LiveStreams
    let channel: any Channel
    let logger: Logger
    let start: UInt64

    /// What the watchdog needs to know: since when a write has been waiting.
    private final class Progress: Sendable {
        struct State {
            var writingSince: ContinuousClock.Instant?
            var stalled = false
        }
        let state = Mutex(State())
        func withLock<T>(_ body: (inout State) -> T) -> T { state.withLock { body(&$0) } }
    }

    private enum Wake: Sendable {
        case committed, heartbeat, shutdown, closed
    }

    /// The most bytes handed to the connection in one write.
    static let chunkSize = 64 * 1024
    /// Moves to 1 when the connection closes.
    private let closed = PositionWatch()

    init(journal: any Journal, streams: LiveStreams, channel: any Channel, logger: Logger, start: UInt64) {
        self.journal = journal
        self.streams = streams
        self.channel = channel
        self.logger = logger
        self.start = start
        channel.closeFuture.whenComplete { [closed] _ in closed.advance(to: 1) }
    }

    func run(_ writer: inout any ResponseBodyWriter) async throws {
        let configuration = streams.configuration
        let progress = Progress()
        do {
            try await withGracefulShutdownHandler {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    // The watchdog: closes the connection under a write stuck past the timeout.
                    group.addTask { [channel, logger] in
                        let tick = min(configuration.stallTimeout / 4, .seconds(1))
                        while !Task.isCancelled {
                            try await Task.sleep(for: tick)
                            let stalled = progress.withLock { state -> Bool in
                                guard let since = state.writingSince, ContinuousClock.now - since > configuration.stallTimeout else { return false }
                                state.stalled = true
                                return true
                            }
                            if stalled {
                                logger.warning("closing an event stream whose consumer has read nothing for \(configuration.stallTimeout)")
                                channel.close(promise: nil)
                                return
                            }
                        }
                    }
                    try await stream(&writer, progress: progress)
                    group.cancelAll()
                }
            } onGracefulShutdown: { [channel, shutdown = streams.shutdown] in
                shutdown.advance(to: 1)
                // A stream stuck in a write to a consumer that reads nothing would hold shutdown
                // up: its connection goes after a moment's grace.
                channel.eventLoop.scheduleTask(in: .seconds(1)) { channel.close(promise: nil) }
            }
        } catch {
            // The consumer went away, or was closed for reading nothing: nothing to answer.
            if progress.withLock({ $0.stalled }) || error is CancellationError { return }
            // Anything else (the journal failing mid-stream) ends the connection, so the consumer
            // sees the stream end and reconnects rather than waiting on it forever.
            logger.warning("event stream failed", metadata: ["error": "\(error)"])
            channel.close(promise: nil)
        }
    }

    private func stream(_ writer: inout any ResponseBodyWriter, progress: Progress) async throws {
        let configuration = streams.configuration
        // Written in chunks of at most 64 KiB, each timed on its own: a consumer that keeps
        // reading keeps its stream, however large a page of events.
        func write(_ bytes: [UInt8]) async throws {
            var offset = 0
            while offset < bytes.count {
                let end = min(bytes.count, offset + Self.chunkSize)
                progress.withLock { $0.writingSince = ContinuousClock.now }
                try await writer.write(ByteBuffer(bytes: bytes[offset..<end]))
                progress.withLock { $0.writingSince = nil }
                offset = end
            }
        }
        var sent = start
        var caughtUp = false
        try await write(Array("retry: 1000\n\n".utf8))
        while streams.shutdown.position == 0, closed.position == 0, !Task.isCancelled {
            let head = try await journal.lastPosition()
            if head > sent {
                let page = try await journal.readAll(after: sent, limit: configuration.pageSize)
                guard let first = page.first, let last = page.last else {
                    // A head with nothing after `sent` cannot happen in a consistent journal; do
                    // not spin if it does.
                    try await Task.sleep(for: .milliseconds(100))
                    continue
                }
                // Behind by more than maxLag, on events committed more than maxLagDuration ago:
                // the consumer is not keeping up (a burst it is draining is neither).
                let age = Duration.milliseconds(Timestamp.now().millisecondsSinceEpoch - first.recordedAt.millisecondsSinceEpoch)
                if caughtUp, head - sent > configuration.maxLag, age > configuration.maxLagDuration {
                    let reason: JSONValue = [
                        "reason": .string("the consumer is \(head - sent) events behind the log, more than the \(configuration.maxLag) allowed, on events committed \(age) ago; reconnect with Last-Event-ID to resume"),
                        "lastEventId": .number(JSONNumber(sent)),
                    ]
                    try await write(Array("event: disconnect\ndata: ".utf8) + reason.jsonBytes() + Array("\n\n".utf8))
                    break
                }
                var frames: [UInt8] = []
                frames.reserveCapacity(page.count * 512)
                for event in page {
                    frames += Array("id: \(event.position)\ndata: ".utf8)
                    event.apiJSON.write(to: &frames)
                    frames += [UInt8(ascii: "\n"), UInt8(ascii: "\n")]
                }
                try await write(frames)
                sent = last.position
                continue
            }
            caughtUp = true
            switch await nextWake(after: sent, heartbeat: configuration.heartbeatInterval) {
            case .committed: continue
            case .heartbeat: try await write(Array(": heartbeat \(sent)\n\n".utf8))
            case .shutdown: break
            case .closed: return
            }
        }
        try await writer.finish(nil)
    }

    /// Waits for a commit after `position`, the next heartbeat, or shutdown, whichever is first.
    private func nextWake(after position: UInt64, heartbeat: Duration) async -> Wake {
        await withTaskGroup(of: Wake.self) { group in
            group.addTask { [journal] in
                await journal.waitForCommit(after: position)
                return .committed
            }
            group.addTask {
                try? await Task.sleep(for: heartbeat)
                return .heartbeat
            }
            group.addTask { [shutdown = streams.shutdown] in
                await shutdown.wait(until: 1)
                return .shutdown
            }
            // A consumer that hangs up frees its place at once, not at the next heartbeat.
            group.addTask { [closed] in
                await closed.wait(until: 1)
                return Task.isCancelled ? .committed : .closed
            }
            let first = await group.next() ?? .shutdown
            group.cancelAll()
            return first
        }
    }
}
