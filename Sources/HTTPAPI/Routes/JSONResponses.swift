import HTTPTypes
import Hummingbird
import JSON
import NIOCore

extension Response {
    /// A JSON response.
    static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status,
            headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: value.jsonBytes()))
        )
    }
}

extension Request {
    /// The body parsed as JSON; 413 past `limit` bytes, 422 when it is not JSON.
    mutating func jsonBody(limit: Int) async throws -> JSONValue {
        try await sizedJSONBody(limit: limit).value
    }

    /// The body parsed as JSON, with its size in bytes.
    mutating func sizedJSONBody(limit: Int) async throws -> (value: JSONValue, bytes: Int) {
        try Self.json(in: try await body.collect(upTo: limit))
    }

    /// `buffer` parsed as JSON, with its size in bytes; 422 when it is not JSON.
    static func json(in buffer: ByteBuffer) throws -> (value: JSONValue, bytes: Int) {
        do {
            let value = try buffer.withUnsafeReadableBytes { (bytes) throws(JSONParseError) in try JSONValue(parsing: bytes) }
            return (value, buffer.readableBytes)
        } catch {
            throw Problem(.unprocessableContent, detail: "the body is not valid JSON: \(error)")
        }
    }

    /// The query parameter `name` as a whole number, or a 400 problem when it is not one.
    func integerParameter<T: FixedWidthInteger>(_ name: String, as type: T.Type = T.self) throws(Problem) -> T? {
        guard let text = uri.queryParameters.get(name) else { return nil }
        guard let value = T(text) else {
            throw Problem(.badRequest, detail: "the query parameter '\(name)' must be a whole number, not '\(text)'")
        }
        return value
    }
}
