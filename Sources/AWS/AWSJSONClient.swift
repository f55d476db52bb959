import AsyncHTTPClient
import JSON
import NIOCore
import NIOHTTP1

#if canImport(Glibc)
import Glibc
#endif

/// Calls an AWS service that speaks the JSON protocol (EventBridge, SQS, …): a signed `POST /`
/// with `X-Amz-Target: <prefix>.<Operation>` and a JSON body; errors come back as
/// `{"__type", "message"}`.
///
/// One call is one attempt: retrying is the caller's policy (see `AWSError.isRetryable`).
public struct AWSJSONClient: Sendable {
    /// Where the service is.
    public let endpoint: AWSEndpoint
    /// Signs each call.
    public let signer: SigV4Signer
    /// The `X-Amz-Target` prefix, e.g. `AWSEvents` or `AmazonSQS`.
    public let targetPrefix: String
    /// The JSON protocol version: `1.1` (EventBridge) or `1.0` (SQS).
    public let jsonVersion: String
    /// The longest one call may take.
    public let timeout: Duration
    private let http: HTTPClient

    /// A client of the service at `endpoint`.
    public init(
        endpoint: AWSEndpoint,
        signer: SigV4Signer,
        targetPrefix: String,
        jsonVersion: String = "1.1",
        timeout: Duration = .seconds(10),
        httpClient: HTTPClient = .shared
    ) {
        self.endpoint = endpoint
        self.signer = signer
        self.targetPrefix = targetPrefix
        self.jsonVersion = jsonVersion
        self.timeout = timeout
        self.http = httpClient
    }

    /// Calls `operation` with `body`; returns the answer's JSON.
    public func call(_ operation: String, _ body: JSONValue) async throws(AWSError) -> JSONValue {
        try await call(operation, body: body.jsonBytes())
    }

    /// Calls `operation` with a body already encoded as JSON.
    public func call(_ operation: String, body: [UInt8]) async throws(AWSError) -> JSONValue {
        let signable = SignableRequest(
            method: "POST",
            scheme: endpoint.scheme,
            host: endpoint.host,
            port: endpoint.port,
            path: endpoint.path,
            headers: [
                ("Content-Type", "application/x-amz-json-\(jsonVersion)"),
                ("X-Amz-Target", "\(targetPrefix).\(operation)"),
            ],
            body: body
        )
        let signature = signer.sign(signable, at: Int64(time(nil)))
        var request = HTTPClientRequest(url: signable.url)
        request.method = .POST
        for (name, value) in signable.headers + signature.headers {
            request.headers.add(name: name, value: value)
        }
        request.body = .bytes(ByteBuffer(bytes: body))
        let status: Int
        let bytes: [UInt8]
        do {
            let response = try await http.execute(request, timeout: .milliseconds(Int64(timeout / .milliseconds(1))))
            status = Int(response.status.code)
            var buffer = try await response.body.collect(upTo: 16 << 20)
            bytes = buffer.readBytes(length: buffer.readableBytes) ?? []
        } catch {
            throw .transport("\(operation) to \(endpoint): \(error)")
        }
        let value: JSONValue?
        if bytes.isEmpty {
            value = .object([:])
        } else {
            value = try? JSONValue(parsing: bytes)
        }
        guard (200..<300).contains(status) else {
            let object = value?.objectValue
            let type = object?["__type"]?.stringValue ?? object?["code"]?.stringValue ?? "HTTP\(status)"
            // `__type` may carry a namespace: `com.amazonaws.events#ThrottlingException`.
            let code = type.split(separator: "#").last.map(String.init) ?? type
            let message = object?["message"]?.stringValue ?? object?["Message"]?.stringValue ?? String(decoding: bytes.prefix(300), as: UTF8.self)
            throw .service(status: status, code: code, message: message)
        }
        guard let value else {
            throw .malformedResponse("\(operation) answered \(status) with a body that is not JSON")
        }
        return value
    }
}
