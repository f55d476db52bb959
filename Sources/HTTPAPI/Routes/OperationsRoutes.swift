import HTTPTypes
import Hummingbird
import JSON

/// `/health`, `/ready`, `/openapi.json`, `GET /v1/projections` and `GET /v1/gaps`.
struct OperationsRoutes {
    let tributary: Tributary

    func register(on router: Router<some RequestContext>) {
        router.get("/health") { _, _ in
            Response.json(["status": "ok"])
        }
        router.get("/ready") { _, _ in
            let lagging = tributary.readModels.all.filter { $0.applied.position < tributary.startupPosition }
            guard lagging.isEmpty else {
                throw Problem.unavailable(
                    "read models are catching up: \(lagging.map(\.name).sorted().joined(separator: ", "))"
                )
            }
            return Response.json(["status": "ready"])
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
                    "lag": .number(JSONNumber(last > position ? last - position : 0)),
                    "restoredFromSnapshot": tributary.restoredSnapshots[projection.name].map { .number(JSONNumber($0)) } ?? .null,
                ]
            }
            var all = entries
            if let publisher = tributary.publisher {
                let status = publisher.status
                all.append([
                    "name": "publisher",
                    "position": .number(JSONNumber(status.position)),
                    "lag": .number(JSONNumber(last > status.position ? last - status.position : 0)),
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
            try await tributary.readYourWrites.wait(for: request, on: gaps.applied)
            let records: [JSONValue] = await gaps.pendingRecords.map { gap in
                [
                    "aggregate": .string(gap.stream.category),
                    "id": .string(gap.stream.id),
                    "entity": .string(gap.entity),
                    "commitTimestamp": .number(JSONNumber(gap.commitTimestamp)),
                    "reason": .string(gap.reason),
                ]
            }
            let entities = await gaps.pendingResyncs.map { JSONValue.string($0.entity) }
            return Response.json(["records": .array(records), "entities": .array(entities)])
        }
    }
}
