import AsyncHTTPClient
import Foundation
import HTTPAPI
import Hummingbird
import HummingbirdTesting
import JSON
import NIOCore
import Testing

/// `GET /v1/events` and `GET /v1/events/stream` over real HTTP.
@Suite("The global log: pages and the live stream", .timeLimit(.minutes(3)))
struct EventStreamTests {
    func application(_ configure: @escaping (inout StreamConfiguration) -> Void = { _ in }) async throws -> some ApplicationProtocol {
        try await testApplication { configuration in
            configure(&configuration.streams)
        }
    }


    /// `count` creates of distinct accounts starting at `from`, in one batch; with `padding`,
    /// each carries that many more bytes (fewer events fill the sockets' buffers).
    func ingest(_ client: some TestClientProtocol, count: Int, from: Int = 0, padding: Int = 0) async throws -> Int64 {
        let filler = String(repeating: "x", count: padding)
        let changes = (from..<(from + count)).map { index in
            changeEvent(
                "CREATE", id: accountID(index % 9000), transactionKey: "tx-\(index)",
                fields: ["Name": .string("Account \(index)"), "Description": .string(filler)]
            )
        }
        let answer = try await client.request("/v1/cdc", method: .post, json: .array(changes))
        #expect(answer.status == .ok)
        return answer.body["position"]?.int64Value ?? 0
    }

    /// A streaming reader of one SSE response, frame by frame.
    final class SSEReader {
        let response: HTTPClientResponse
        var iterator: HTTPClientResponse.Body.AsyncIterator
        var pending: [UInt8] = []

        init(url: String, lastEventID: String? = nil, client: HTTPClient = .shared) async throws {
            var request = HTTPClientRequest(url: url)
            if let lastEventID { request.headers.add(name: "Last-Event-ID", value: lastEventID) }
            response = try await client.execute(request, timeout: .seconds(10))
            iterator = response.body.makeAsyncIterator()
        }

        /// The next frame's fields (`id`, `data`, `event`, or `comment`), `nil` at the end.
        func next() async throws -> [String: String]? {
            while true {
                if let end = frameEnd() {
                    let text = String(decoding: pending[..<end], as: UTF8.self)
                    pending.removeFirst(end + 2)
                    var fields: [String: String] = [:]
                    for line in text.split(separator: "\n") {
                        if line.hasPrefix(":") {
                            fields["comment"] = String(line.dropFirst())
                        } else if let colon = line.firstIndex(of: ":") {
                            fields[String(line[..<colon])] = String(line[line.index(after: colon)...].drop { $0 == " " })
                        }
                    }
                    return fields
                }
                guard let chunk = try await iterator.next() else { return nil }
                pending += chunk.readableBytesView
            }
        }

        private func frameEnd() -> Int? {
            guard pending.count >= 2 else { return nil }
            for index in 0..<(pending.count - 1) where pending[index] == 10 && pending[index + 1] == 10 { return index }
            return nil
        }

        /// Events (frames with an id) until one with position `position`.
        func events(through position: Int64) async throws -> [JSONValue] {
            var events: [JSONValue] = []
            while let frame = try await next() {
                guard let data = frame["data"], frame["id"] != nil else { continue }
                let event = try JSONValue(parsing: Array(data.utf8))
                events.append(event)
                if event["position"]?.int64Value ?? 0 >= position { break }
            }
            return events
        }
    }

    // MARK: - Pages

    @Test func pagesWalkTheLogInPositionOrder() async throws {
        try await application().test(.live) { client in
            let last = try await ingest(client, count: 25)
            var after: Int64 = 0
            var positions: [Int64] = []
            while true {
                let page = try await client.request("/v1/events?after=\(after)&limit=10").body
                let items = try #require(page["items"]?.arrayValue)
                #expect(page["head"]?.int64Value == last)
                positions += items.compactMap { $0["position"]?.int64Value }
                guard let next = page["next"]?.int64Value, next != after else { break }
                after = next
            }
            #expect(positions == Array(1...last))
            let bad = try await client.request("/v1/events?limit=0")
            #expect(bad.status == .badRequest)
            // A position past the head cannot come from a write's answer: refused, not waited for.
            let beyond = try await client.request("/v1/events?after=\(last)&minPosition=\(last + 1)&wait=50")
            #expect(beyond.status == .badRequest)
        }
    }

    // MARK: - The stream

    @Test func aStreamResumesAfterAPositionOrALastEventIDAndThenFollowsLive() async throws {
        try await application().test(.live) { client in
            let url = "http://127.0.0.1:\(client.port ?? 0)/v1/events/stream"
            let first = try await ingest(client, count: 40)

            let reader = try await SSEReader(url: url + "?after=10")
            #expect(reader.response.headers.first(name: "content-type") == "text/event-stream")
            let history = try await reader.events(through: first)
            #expect(history.compactMap { $0["position"]?.int64Value } == Array(11...first))
            #expect(history.first?["type"] == "ClientCreated")
            #expect(history.first?["stream"]?.stringValue?.hasPrefix("clients/") == true)

            // Live: what is committed now arrives on the open stream.
            let second = try await ingest(client, count: 5, from: 40)
            let live = try await reader.events(through: second)
            #expect(live.compactMap { $0["position"]?.int64Value } == Array((first + 1)...second))

            // EventSource reconnects with Last-Event-ID, which wins over the URL's `after`.
            let resumed = try await SSEReader(url: url + "?after=0", lastEventID: "30")
            let rest = try await resumed.events(through: second)
            #expect(rest.first?["position"] == 31)
            #expect(rest.count == Int(second - 30))

            let invalid = try await client.request("/v1/events/stream?after=x")
            #expect(invalid.status == .badRequest)
        }
    }

    @Test func anIdleStreamSendsHeartbeats() async throws {
        try await application { $0.heartbeatInterval = .milliseconds(100) }.test(.live) { client in
            let reader = try await SSEReader(url: "http://127.0.0.1:\(client.port ?? 0)/v1/events/stream")
            var heartbeats = 0
            while heartbeats < 3, let frame = try await reader.next() {
                if frame["comment"]?.hasPrefix(" heartbeat") == true { heartbeats += 1 }
            }
            #expect(heartbeats == 3)
        }
    }

    @Test func streamsPastTheLimitAreRefusedUntilOneCloses() async throws {
        try await application { $0.maxStreams = 1; $0.heartbeatInterval = .milliseconds(200) }.test(.live) { client in
            let url = "http://127.0.0.1:\(client.port ?? 0)/v1/events/stream"
            let ownClient = HTTPClient(eventLoopGroupProvider: .singleton)
            let reader = try await SSEReader(url: url, client: ownClient)
            _ = try await reader.next()
            let refused = try await client.request("/v1/events/stream")
            #expect(refused.status == .serviceUnavailable)
            #expect(refused.headers[.retryAfter] == "5")
            // Closing the first (its client goes away) gives its place back, at the latest when
            // the next heartbeat finds the connection gone.
            try await ownClient.shutdown()
            let deadline = ContinuousClock.now + .seconds(10)
            while true {
                let again = try await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(5))
                if again.status == .ok { break }
                #expect(ContinuousClock.now < deadline, "the closed stream's place never came back")
                guard ContinuousClock.now < deadline else { break }
                try await Task.sleep(for: .milliseconds(50))
            }
        }
    }

    @Test func aConsumerThatFallsTooFarBehindIsToldWhyAndCanResume() async throws {
        try await application { $0.maxLag = 200; $0.maxLagDuration = .seconds(1); $0.stallTimeout = .seconds(300) }.test(.live) { client in
            let url = "http://127.0.0.1:\(client.port ?? 0)/v1/events/stream"
            let reader = try await SSEReader(url: url)
            // Caught up: the stream has reached the (empty) head.
            _ = try await reader.next()
            // The consumer reads nothing while far more is committed than the sockets buffer:
            // ingestion is not held back.
            var last: Int64 = 0
            for batch in 0..<8 {
                last = try await ingest(client, count: 500, from: batch * 500, padding: 4000)
            }
            try await Task.sleep(for: .milliseconds(1500))
            // Reading again, it gets what was buffered, then is told it fell behind.
            var received: [Int64] = []
            var disconnect: JSONValue?
            while let frame = try await reader.next() {
                if frame["event"] == "disconnect" {
                    disconnect = try JSONValue(parsing: Array((frame["data"] ?? "").utf8))
                    break
                }
                if let id = frame["id"].flatMap(Int64.init) { received.append(id) }
            }
            let reason = try #require(disconnect)
            #expect(reason["reason"]?.stringValue?.contains("behind") == true)
            #expect(reason["lastEventId"]?.int64Value == received.last ?? 0)
            #expect(received.count < Int(last))
            #expect(try await reader.next() == nil, "the stream ends after the disconnect frame")
            // Resuming from the last id received gets the rest, with nothing missing.
            let resumed = try await SSEReader(url: url, lastEventID: String(received.last ?? 0))
            let rest = try await resumed.events(through: last).compactMap { $0["position"]?.int64Value }
            #expect(received + rest == Array(1...last))
        }
    }

    @Test func aConsumerThatReadsNothingIsClosedAndIngestionGoesOn() async throws {
        try await application { $0.stallTimeout = .milliseconds(300); $0.maxStreams = 1 }.test(.live) { client in
            let url = "http://127.0.0.1:\(client.port ?? 0)/v1/events/stream"
            let stalled = try await SSEReader(url: url)
            _ = try await stalled.next()
            // The consumer stops reading; the log grows far past what the sockets buffer.
            for batch in 0..<8 {
                _ = try await ingest(client, count: 500, from: batch * 500, padding: 4000)
            }
            // The stalled stream is closed, and its place is given back.
            let deadline = ContinuousClock.now + .seconds(20)
            while true {
                let again = try await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(5))
                if again.status == .ok { break }
                guard ContinuousClock.now < deadline else {
                    Issue.record("the stalled stream was never closed")
                    break
                }
                try await Task.sleep(for: .milliseconds(100))
            }
            // What the consumer then reads ends early: the connection was closed under it.
            var lastSeen: Int64 = 0
            do {
                while let frame = try await stalled.next() {
                    if let id = frame["id"].flatMap(Int64.init) { lastSeen = id }
                }
            } catch {}
            #expect(lastSeen < 4_000)
        }
    }
}
