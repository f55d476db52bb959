import Backfill
import EventSourcing
import HTTPTypes
import Hummingbird
import JSON

/// `POST /v1/backfill` and `GET /v1/backfill/{job}`.
struct BackfillRoutes {
    let tributary: Tributary

    func register(on router: Router<some RequestContext>) {
        router.post("/v1/backfill") { request, _ in
            var request = request
            let body = try await request.jsonBody(limit: tributary.configuration.maxBodySize)
            let (entity, since, includeDeleted) = try Self.parameters(body)
            guard let backfiller = tributary.backfiller else {
                throw Problem(
                    .serviceUnavailable,
                    detail: "backfills need a Salesforce org: start the server with --salesforce-login-url and --salesforce-client-id, and the secret in SALESFORCE_CLIENT_SECRET or --salesforce-client-secret-file"
                )
            }
            do {
                let (job, position) = try await backfiller.start(entity: entity, since: since, includeDeleted: includeDeleted)
                return Response.json(["job": .string(job), "position": .number(JSONNumber(position))], status: .accepted)
            } catch let error as BackfillStartError {
                switch error {
                case .unknownEntity:
                    throw Problem(.unprocessableContent, detail: error.description, errors: [Problem.Item(field: "entity", message: error.description)])
                case .alreadyRunning(_, let job):
                    throw Problem(.conflict, detail: error.description, extensions: ["job": .string(job)])
                case .journal:
                    throw Problem(.serviceUnavailable, detail: error.description, headers: [.retryAfter: "1"])
                }
            }
        }
        router.get("/v1/backfill/:job") { request, context in
            let id = try context.parameters.require("job")
            try await tributary.readYourWrites.wait(for: request, on: tributary.backfillJobs.applied)
            guard let job = await tributary.backfillJobs.job(id) else {
                throw Problem(.notFound, detail: "no backfill job \(id)")
            }
            return Response.json(job.json)
        }
    }

    private static func parameters(_ body: JSONValue) throws(Problem) -> (entity: String, since: Timestamp?, includeDeleted: Bool) {
        guard case .object(let object) = body else {
            throw Problem(.unprocessableContent, detail: "expected an object with entity, and optionally since and includeDeleted")
        }
        var errors: [Problem.Item] = []
        let entity = object["entity"]?.stringValue ?? ""
        if entity.isEmpty { errors.append(Problem.Item(field: "entity", message: "must be a Salesforce object name such as \"Account\"")) }
        var since: Timestamp?
        if let value = object["since"], !value.isNull {
            since = value.stringValue.flatMap(Timestamp.init(iso8601:))
            if since == nil { errors.append(Problem.Item(field: "since", message: "must be an ISO-8601 time such as 2026-01-01T00:00:00Z")) }
        }
        var includeDeleted = false
        if let value = object["includeDeleted"], !value.isNull {
            if let flag = value.boolValue { includeDeleted = flag } else { errors.append(Problem.Item(field: "includeDeleted", message: "must be true or false")) }
        }
        guard errors.isEmpty else { throw Problem(.unprocessableContent, detail: "the backfill request is invalid; nothing was started", errors: errors) }
        return (entity, since, includeDeleted)
    }
}
