/// One entry of a Salesforce REST error array: `[{"message", "errorCode", "fields"?}]`.
public struct SalesforceErrorItem: Sendable, Hashable {
    /// E.g. `INVALID_FIELD`, `INVALID_SESSION_ID`, `REQUEST_LIMIT_EXCEEDED`.
    public var errorCode: String
    /// Salesforce's message.
    public var message: String
    /// The fields concerned, when Salesforce names them.
    public var fields: [String]

    /// An error entry.
    public init(errorCode: String, message: String, fields: [String] = []) {
        self.errorCode = errorCode
        self.message = message
        self.fields = fields
    }
}

/// Why a Salesforce REST call failed.
public enum SalesforceAPIError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The token endpoint refused the credentials (or answered something unusable).
    case authentication(status: Int, detail: String)
    /// Salesforce answered an error status with its error array (4xx other than the retried
    /// ones, or a 5xx / limit error after every attempt).
    case api(status: Int, errors: [SalesforceErrorItem])
    /// A 2xx answer whose body is not the JSON expected.
    case malformedResponse(String)
    /// The connection failed or timed out on every attempt.
    case transport(String)

    /// The first error code, when Salesforce gave one.
    public var errorCode: String? {
        if case .api(_, let errors) = self { return errors.first?.errorCode }
        return nil
    }

    public var description: String {
        switch self {
        case .authentication(let status, let detail):
            "Salesforce refused the client credentials (HTTP \(status)): \(detail)"
        case .api(let status, let errors):
            "Salesforce answered HTTP \(status): "
                + (errors.isEmpty ? "no error details" : errors.map { "\($0.errorCode): \($0.message)" }.joined(separator: "; "))
        case .malformedResponse(let detail):
            "Salesforce answered something that is not the expected JSON: \(detail)"
        case .transport(let detail):
            "cannot reach Salesforce: \(detail)"
        }
    }
}
