/// A call to an AWS service failed.
public enum AWSError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The service answered with an error: its HTTP status, its error code (`__type`, without the
    /// namespace) and message.
    case service(status: Int, code: String, message: String)
    /// No answer: the connection failed or the call timed out.
    case transport(String)
    /// The answer could not be read.
    case malformedResponse(String)
    /// The endpoint URL cannot be used.
    case invalidEndpoint(String)

    /// Whether trying again later may succeed: failed connections, 5xx, throttling.
    public var isRetryable: Bool {
        switch self {
        case .transport, .malformedResponse: true
        case .service(let status, let code, _):
            status >= 500 || status == 429 || code.hasSuffix("ThrottlingException") || code == "Throttling"
                || code == "RequestTimeout" || code == "InternalFailure" || code == "ServiceUnavailable"
        case .invalidEndpoint: false
        }
    }

    public var description: String {
        switch self {
        case .service(let status, let code, let message): "AWS answered \(status) \(code): \(message)"
        case .transport(let reason): "AWS could not be reached: \(reason)"
        case .malformedResponse(let reason): "AWS's answer could not be read: \(reason)"
        case .invalidEndpoint(let reason): "invalid AWS endpoint: \(reason)"
        }
    }
}
