import HTTPTypes
import CRM
import Hummingbird
import Ingestion
import JSON

/// `POST /v1/cdc`: one Salesforce change event or a batch of them, in any supported envelope.
struct CDCRoutes {
    let tributary: Tributary

    func register(on router: Router<TributaryRequestContext>) {
        router.post("/v1/cdc") { request, context in
            let buffer = try await request.body.collect(upTo: tributary.configuration.maxBodySize)
            if let verifier = tributary.cdcSignatures,
                let refusal = verifier.refusal(header: request.headers[CDCSignatureVerifier.headerName], body: buffer.readableBytesView)
            {
                throw Problem(.unauthorized, detail: refusal)
            }
            let (body, bodyBytes) = try Request.json(in: buffer)
            let items: [JSONValue]
            switch body {
            case .array(let elements):
                guard !elements.isEmpty else {
                    throw Problem(.unprocessableContent, detail: "the batch is empty: send at least one change event")
                }
                items = elements
            case .object:
                items = [body]
            default:
                throw Problem(
                    .unprocessableContent,
                    detail: "expected a change event object or an array of them, got a \(body.kindName)"
                )
            }
            guard items.count <= tributary.configuration.maxBatchItems else {
                throw Problem(
                    .contentTooLarge,
                    detail: "the batch has \(items.count) changes; at most \(tributary.configuration.maxBatchItems) are accepted"
                )
            }
            let changes: [ChangeIngestor.ValidatedChange]
            do throws(IngestValidationError) {
                changes = try tributary.ingestor.validate(items, requestBytes: bodyBytes)
            } catch {
                tributary.metrics.recordRejectedChanges(Set(error.errors.map(\.index)).count)
                throw Problem(
                    .unprocessableContent,
                    detail: "\(error.errors.count) of \(items.count) change events are invalid; nothing was written",
                    errors: error.errors.map { Problem.Item(index: $0.index, field: $0.field, message: $0.message) }
                )
            }
            let report: IngestReport
            do throws(IngestError) {
                report = try await tributary.ingestor.ingest(changes, requestID: context.requestID)
            } catch {
                context.logger.error("ingestion failed", metadata: ["stream": "\(error.stream)", "error": "\(error.underlying)"])
                tributary.cdcSignatures?.forget(header: request.headers[CDCSignatureVerifier.headerName])
                // The request's changes are journaled in one atomic append: none of them is durable.
                throw Problem.unavailable(
                    "the journal could not take the changes (\(error.underlying.reason)); nothing was written; re-send the request"
                )
            }
            return Response.json(report.json)
        }
    }
}

extension IngestReport {
    /// The JSON answer of `POST /v1/cdc`.
    var json: JSONValue {
        let items: [JSONValue] = results.map { result in
            var object: JSONObject = [
                "index": .number(JSONNumber(result.index)),
                "entity": .string(result.entity),
            ]
            if let id = result.recordID { object["recordId"] = .string(id) }
            if let aggregate = result.aggregate { object["aggregate"] = .string(aggregate) }
            object["outcome"] = .string(result.outcome.rawValue)
            if let version = result.version { object["version"] = .number(JSONNumber(version)) }
            return .object(object)
        }
        return ["position": .number(JSONNumber(position)), "results": .array(items)]
    }
}
