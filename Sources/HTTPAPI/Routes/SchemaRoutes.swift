import Hummingbird
import JSON
import Salesforce

/// `PUT /v1/schemas/{schemaId}` and `GET /v1/schemas/{schemaId}`: the Avro schemas of change
/// events, for decoding Pub/Sub bitmap field lists.
struct SchemaRoutes {
    let tributary: Tributary

    func register(on router: Router<some RequestContext>) {
        router.put("/v1/schemas/:schemaId") { request, context in
            let id = try schemaID(context.parameters.require("schemaId"))
            var request = request
            let body = try await request.jsonBody(limit: tributary.configuration.maxBodySize)
            let schema: EventSchema
            do throws(EventSchemaError) {
                schema = try EventSchema(avroSchema: body)
            } catch {
                throw Problem(.unprocessableContent, detail: "the body is not a usable Avro change event schema: \(error.message)")
            }
            let position = try await tributary.ingestor.schemas.register(schema, id: id)
            return Response.json(
                [
                    "schemaId": .string(id),
                    "fields": .number(JSONNumber(schema.fieldOrder.count)),
                    "position": .number(JSONNumber(position)),
                ]
            )
        }
        router.get("/v1/schemas/:schemaId") { _, context in
            let id = try schemaID(context.parameters.require("schemaId"))
            guard let schema = tributary.ingestor.schemas.schema(id: id) else {
                throw Problem(.notFound, detail: "no schema is registered under \(id)")
            }
            return Response.json(
                [
                    "schemaId": .string(id),
                    "fieldOrder": .array(schema.fieldOrder.map(JSONValue.string)),
                    "nestedFieldOrder": .object(
                        JSONObject(
                            schema.nestedFieldOrder.sorted { $0.key < $1.key }.map {
                                JSONObject.Member(key: $0.key, value: .array($0.value.map(JSONValue.string)))
                            }
                        )
                    ),
                ]
            )
        }
    }

    /// A schema id as Salesforce writes them: 1–128 letters, digits, `-` or `_`.
    private func schemaID(_ raw: String) throws(Problem) -> String {
        let allowed = raw.utf8.allSatisfy { byte in
            (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
                || (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
        }
        guard allowed, (1...128).contains(raw.utf8.count) else {
            throw Problem(.badRequest, detail: "a schema id is 1–128 letters, digits, '-' or '_', not '\(raw.prefix(40))'")
        }
        return raw
    }
}
