import EventSourcing
import HTTPTypes
import Hummingbird
import JSON
import NIOCore
import ServiceLifecycle
import Synchronization

/// `/health`, `/ready`, `/metrics`, `/openapi.json`, `GET /v1/projections` and `GET /v1/gaps`.
struct OperationsRoutes {
    let tributary: Tributary
    /// Remembers how long read models have lagged, across `/ready` requests.
    let readinessCheck = Readiness()

    func register(on router: Router<some RequestContext>) {
        router.get("/health") { _, _ in
            Response.json(["status": "ok"])
        }
        router.get("/ready") { _, _ in
            try await readiness()
            return Response.json(["status": "ready"])
        }
        router.get("/metrics") { _, _ in
            Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: await tributary.metrics.render(tributary)))
            )
        }
        router.get("/openapi.json") { _, _ in
            Response.json(OpenAPIDocument.document)
        }
        router.get("/v1/projections") { _, _ in
            let last = try await tributary.journal.lastPosition()
            let entries: [JSONValue] = tributary.readModels.all.map { projection in
                let position = projection.applied.position
                return [
                    "name": .string(projection.name),
                    "position": .number(JSONNumber(position)),
                    "lag": .number(JSONNumber(position.lag(behind: last))),
                    "restoredFromSnapshot": tributary.restoredSnapshots[projection.name].map { .number(JSONNumber($0)) } ?? .null,
                ]
            }
            var all = entries
            if let publisher = tributary.publisher {
                let status = publisher.status
                all.append([
                    "name": "publisher",
                    "position": .number(JSONNumber(status.position)),
                    "lag": .number(JSONNumber(status.position.lag(behind: last))),
                    "eventBus": .string(publisher.eventBusName),
                    "published": .number(JSONNumber(status.published)),
                    "publishedAsReferences": .number(JSONNumber(status.publishedAsReferences)),
                    "failedCalls": .number(JSONNumber(status.failedCalls)),
                    "retriedEntries": .number(JSONNumber(status.retriedEntries)),
                    "rejectedEntries": .number(JSONNumber(status.rejectedEntries)),
                    "lastError": status.lastError.map(JSONValue.string) ?? .null,
                ])
            }
            return Response.json(.array(all))
        }
        router.get("/v1/gaps") { request, _ in
            let gaps = tributary.ingestor.gaps
            // Without a limit, every pending record (as before paging existed).
            let limit: Int? = try request.integerParameter("limit")
            if let limit, !(1...1000).contains(limit) {
                throw Problem(.badRequest, detail: "limit must be between 1 and 1000, not \(limit)")
            }
            let after = try request.uri.queryParameters.get("after").map { raw throws(Problem) in
                guard let stream = StreamName(raw) else {
                    throw Problem(.badRequest, detail: "after must be a cursor from an earlier page's next (aggregate/id), not '\(raw)'")
                }
                return stream
            }
            try await tributary.readYourWrites.wait(for: request, on: gaps.applied)
            let page = await gaps.pendingRecords(after: after, limit: limit ?? .max)
            let records: [JSONValue] = page.records.map { gap in
                [
                    "aggregate": .string(gap.stream.category),
                    "id": .string(gap.stream.id),
                    "entity": .string(gap.entity),
                    "commitTimestamp": .number(JSONNumber(gap.commitTimestamp)),
                    "reason": .string(gap.reason),
                ]
            }
            let entities = await gaps.pendingResyncs.map { JSONValue.string($0.entity) }
            let next: JSONValue = page.more ? page.records.last.map { .string($0.stream.description) } ?? .null : .null
            return Response.json(["records": .array(records), "entities": .array(entities), "next": next])
        }
    }

    /// Throws a 503 problem unless the server should be sent traffic (`Readiness`).
    private func readiness() async throws {
        let head: UInt64
        do {
            head = try await tributary.journal.lastPosition()
        } catch {
            throw Problem.unavailable("the journal cannot be read: \(error)")
        }
        let refusal = readinessCheck.refusal(
            shuttingDown: Task.isShuttingDownGracefully,
            head: head,
            startupPosition: tributary.startupPosition,
            readModels: tributary.readModels.all.map { ($0.name, $0.applied.position) },
            maxLag: tributary.configuration.readyMaxLag
        )
        if let refusal { throw Problem.unavailable(refusal) }
    }
}

/// When `GET /ready` answers 503: while shutting down, until every read model has replayed what
/// was journaled before start-up, and while one has trailed the journal by more than the limit
/// for longer than `grace` (one large write lags the read models for a moment: that is no
/// reason to take the server out of a load balancer).
final class Readiness: Sendable {
    /// How long a read model may trail by more than the limit before the server is not ready.
    let grace: Duration
    /// Since when some read model has trailed by more than the limit, as last checked.
    private let lagSince = Mutex<ContinuousClock.Instant?>(nil)

    init(grace: Duration = .seconds(10)) {
        self.grace = grace
    }

    /// Why the server is not ready, or `nil` when it is.
    func refusal(
        shuttingDown: Bool,
        head: UInt64,
        startupPosition: UInt64,
        readModels: [(name: String, position: UInt64)],
        maxLag: UInt64,
        now: ContinuousClock.Instant = .now
    ) -> String? {
        if shuttingDown { return "shutting down" }
        let catchingUp = readModels.filter { $0.position < startupPosition }.map(\.name).sorted()
        if !catchingUp.isEmpty { return "read models are catching up: \(catchingUp.joined(separator: ", "))" }
        let lagging = readModels.compactMap { model -> String? in
            let lag = model.position.lag(behind: head)
            return lag > maxLag ? "\(model.name) (\(lag) events)" : nil
        }
        let since: ContinuousClock.Instant? = lagSince.withLock { since in
            if lagging.isEmpty {
                since = nil
            } else if since == nil {
                since = now
            }
            return since
        }
        guard let since, now - since >= grace else { return nil }
        return "read models have trailed the journal by more than \(maxLag) events for \(grace): \(lagging.sorted().joined(separator: ", "))"
    }
}
