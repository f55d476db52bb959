import EventSourcing
import HTTPTypes
import Hummingbird
import JSON
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// `GET /v1/events` (a page of the global log) and `GET /v1/events/stream` (the log, live, as
/// Server-Sent Events).
struct EventRoutes {
    let tributary: Tributary
    let streams: LiveStreams

    func register(on router: Router<TributaryRequestContext>) {
        router.get("/v1/events") { request, _ in
            let after: UInt64 = try request.integerParameter("after") ?? 0
            let limit: Int = try request.integerParameter("limit") ?? 100
            guard (1...1000).contains(limit) else {
                throw Problem(.badRequest, detail: "limit must be between 1 and 1000, not \(limit)")
            }
            try await tributary.readYourWrites.waitForJournal(request)
            let events = try await tributary.journal.readAll(after: after, limit: limit)
            // Read after the page, so the head is never behind it.
            let head = try await tributary.journal.lastPosition()
            return Response.json([
                "items": .array(events.map(\.apiJSON)),
                "next": .number(JSONNumber(events.last?.position ?? after)),
                "head": .number(JSONNumber(head)),
            ])
        }
        router.get("/v1/events/stream") { request, context in
            let after = try startPosition(request)
            try await tributary.readYourWrites.waitForJournal(request)
            guard let ticket = streams.reserve() else {
                throw Problem.unavailable("\(streams.configuration.maxStreams) event streams are open, the most allowed; retry later", retryAfterSeconds: 5)
            }
            let stream = EventStream(
                journal: tributary.journal, streams: streams, channel: context.channel, logger: context.logger, start: after
            )
            return Response(
                status: .ok,
                headers: [.contentType: "text/event-stream", .cacheControl: "no-cache", HTTPField.Name("X-Accel-Buffering")!: "no"],
                body: ResponseBody { writer in
                    // The ticket holds the stream's place until the body is done.
                    defer { withExtendedLifetime(ticket) {} }
                    try await stream.run(&writer)
                }
            )
        }
    }

    /// Where a stream starts: after `Last-Event-ID` when the client resumes (EventSource sends it
    /// on reconnecting), else after `after`, else at the beginning.
    private func startPosition(_ request: Request) throws(Problem) -> UInt64 {
        // An empty Last-Event-ID (a client that has received nothing yet) counts as absent.
        if let lastID = request.headers[HTTPField.Name("Last-Event-ID")!].map({ $0.trimmingWhitespace() }), !lastID.isEmpty {
            guard let position = UInt64(lastID) else {
                throw Problem(.badRequest, detail: "Last-Event-ID must be a journal position (a whole number), not '\(lastID)'")
            }
            return position
        }
        return try request.integerParameter("after") ?? 0
    }
}

extension String {
    /// The text without leading and trailing spaces and tabs.
    fileprivate func trimmingWhitespace() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        return String(drop(while: isSpace).reversed().drop(while: isSpace).reversed())
    }
}
