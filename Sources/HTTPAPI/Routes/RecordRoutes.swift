import HTTPTypes
import CRM
import EventSourcing
import Hummingbird
import JSON
import Salesforce

/// `GET /v1/{aggregate}`, `GET /v1/{aggregate}/{id}` and `GET /v1/{aggregate}/{id}/events`.
struct RecordRoutes {
    let tributary: Tributary

    /// Query parameters that are not field filters.
    private static let reservedParameters: Set<String> = ["limit", "after", "includeDeleted", "minPosition", "wait"]

    func register(on router: Router<some RequestContext>) {
        router.get("/v1/:aggregate") { request, context in
            let projection = try tributary.projection(named: try context.parameters.require("aggregate"))
            let query = try listQuery(request, mapping: projection.mapping)
            try await waitForMinPosition(request, type: projection.recordType)
            let page = try await tributary.query(projection) { try await projection.list(query) }
            return Response.json([
                "items": .array(page.items.map(\.json)),
                "next": page.next.map(JSONValue.string) ?? .null,
            ])
        }
        router.get("/v1/:aggregate/:id") { request, context in
            let projection = try tributary.projection(named: try context.parameters.require("aggregate"))
            let id = try recordID(context.parameters.require("id"))
            try await waitForMinPosition(request, type: projection.recordType)
            guard let view = try await tributary.query(projection, { try projection.viewJSON(id: id) }) else {
                throw Problem(.notFound, detail: "no \(projection.recordType.rawValue) record \(id)")
            }
            return Response(
                status: .ok,
                headers: [.contentType: "application/json"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: view))
            )
        }
        // Registered under the parameter so that a literal `clients` node does not hide the
        // generic record routes from the router.
        router.get("/v1/:aggregate/:id/summary") { request, context in
            let aggregate = try context.parameters.require("aggregate")
            guard aggregate == RecordType.clients.rawValue else {
                _ = try tributary.projection(named: aggregate)
                throw Problem(.notFound, detail: "only clients have a summary")
            }
            let clients = try tributary.projection(named: aggregate)
            let id = try recordID(context.parameters.require("id"))
            for projection in tributary.readModels.all {
                try await waitForMinPosition(request, type: projection.recordType)
            }
            let summary = try await tributary.query(clients) { try await ClientSummary.build(id: id, from: tributary.readModels) }
            guard let summary else {
                throw Problem(.notFound, detail: "no clients record \(id)")
            }
            return Response.json(summary.json)
        }
        router.get("/v1/:aggregate/:id/events") { request, context in
            let projection = try tributary.projection(named: try context.parameters.require("aggregate"))
            let id = try recordID(context.parameters.require("id"))
            try await tributary.readYourWrites.waitForJournal(request)
            let stream = StreamName(category: projection.recordType.rawValue, id: id)
            let events = try await tributary.journal.readStream(stream)
            guard !events.isEmpty else {
                throw Problem(.notFound, detail: "no \(projection.recordType.rawValue) record \(id)")
            }
            return Response.json(.array(events.map(\.apiJSON)))
        }
    }

    private func recordID(_ raw: String) throws(Problem) -> String {
        guard let id = SalesforceID.normalize(raw) else {
            throw Problem(.badRequest, detail: "'\(raw)' is not a Salesforce record id (15 or 18 letters and digits)")
        }
        return id
    }

    private func listQuery(_ request: Request, mapping: EntityMapping) throws(Problem) -> RecordQuery {
        let parameters = request.uri.queryParameters
        var query = RecordQuery()
        if let limit: Int = try request.integerParameter("limit") {
            guard (1...1000).contains(limit) else {
                throw Problem(.badRequest, detail: "limit must be between 1 and 1000, not \(limit)")
            }
            query.limit = limit
        }
        query.after = parameters.get("after")
        if let includeDeleted = parameters.get("includeDeleted") {
            guard let flag = Bool(includeDeleted) else {
                throw Problem(.badRequest, detail: "includeDeleted must be true or false, not '\(includeDeleted)'")
            }
            query.includeDeleted = flag
        }
        for (key, value) in parameters {
            let name = String(key)
            guard !Self.reservedParameters.contains(name) else { continue }
            guard mapping.field(named: name) != nil else {
                let known = mapping.fields.map(\.name).joined(separator: ", ")
                throw Problem(
                    .badRequest,
                    detail: "'\(name)' is not a mapped field of \(mapping.recordType.rawValue); filter on one of: \(known)"
                )
            }
            query.filters[name] = String(value)
        }
        return query
    }

    /// Waits until the read model of `type` has applied `minPosition`, looking the projection up
    /// again after each wake-up: a rebuild may have swapped in a new one meanwhile.
    private func waitForMinPosition(_ request: Request, type: RecordType) async throws {
        let readModels = tributary.readModels
        try await tributary.readYourWrites.wait(
            for: request,
            current: { readModels.projection(type)?.applied.position ?? 0 },
            waiter: { minimum in
                while let projection = readModels.projection(type), projection.applied.position < minimum, !Task.isCancelled {
                    await projection.applied.wait(until: minimum)
                }
            }
        )
    }
}

extension RecordedEvent {
    /// The JSON form of `GET /v1/{aggregate}/{id}/events` and `GET /v1/events`.
    var apiJSON: JSONValue {
        [
            "position": .number(JSONNumber(position)),
            "version": .number(JSONNumber(version)),
            "stream": .string(stream.description),
            "type": .string(type),
            "recordedAt": .string(recordedAt.iso8601),
            "metadata": .object(metadata),
            "data": data,
        ]
    }
}
