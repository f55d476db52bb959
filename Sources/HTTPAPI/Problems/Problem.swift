import EventSourcing
import HTTPTypes
import Hummingbird
import JSON
import NIOCore

/// An RFC 9457 problem: every error Tributary answers with, as `application/problem+json`.
///
/// This is the one place errors become HTTP: routes throw `Problem`s, and `ProblemMiddleware`
/// turns anything else into one, so clients never see an HTML page or a stack trace.
public struct Problem: Error, HTTPResponseError, Sendable {
    /// One of several problems in one request (e.g. one bad item of a batch).
    public struct Item: Sendable, Hashable {
        /// The index of the item at fault.
        public var index: Int?
        /// The field at fault.
        public var field: String?
        /// What is wrong.
        public var message: String

        /// An item.
        public init(index: Int? = nil, field: String? = nil, message: String) {
            self.index = index
            self.field = field
            self.message = message
        }
    }

    /// The HTTP status.
    public var status: HTTPResponse.Status
    /// A short, fixed summary of the problem type.
    public var title: String
    /// What happened in this case, for a person.
    public var detail: String
    /// The individual problems, when there are several.
    public var errors: [Item]
    /// Extra members (e.g. `currentVersion` on a conflict).
    public var extensions: JSONObject
    /// Extra headers (e.g. `Retry-After`).
    public var headers: HTTPFields

    /// A problem.
    public init(
        _ status: HTTPResponse.Status,
        title: String? = nil,
        detail: String,
        errors: [Item] = [],
        extensions: JSONObject = [:],
        headers: HTTPFields = [:]
    ) {
        self.status = status
        self.title = title ?? status.reasonPhrase
        self.detail = detail
        self.errors = errors
        self.extensions = extensions
        self.headers = headers
    }

    /// The problem+json document.
    public var json: JSONValue {
        var object: JSONObject = [
            "type": "about:blank",
            "title": .string(title),
            "status": .number(JSONNumber(status.code)),
            "detail": .string(detail),
        ]
        if !errors.isEmpty {
            object["errors"] = .array(
                errors.map { item in
                    var entry = JSONObject()
                    if let index = item.index { entry["index"] = .number(JSONNumber(index)) }
                    if let field = item.field { entry["field"] = .string(field) }
                    entry["message"] = .string(item.message)
                    return .object(entry)
                }
            )
        }
        for member in extensions { object[member.key] = member.value }
        return .object(object)
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var fields = headers
        fields[.contentType] = "application/problem+json"
        return Response(status: status, headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(bytes: json.jsonBytes())))
    }
}

extension Problem {
    /// 503 with `Retry-After`: the server cannot take this now; nothing was written.
    static func unavailable(_ detail: String, retryAfterSeconds: Int = 1) -> Problem {
        Problem(.serviceUnavailable, detail: detail, headers: [.retryAfter: String(retryAfterSeconds)])
    }
}

extension RegistryError {
    /// Why, in words for a problem's detail (no Swift type names).
    var reason: String {
        switch self {
        case .unknownCategory(let category): "no aggregate serves \(category)"
        case .command(.journal(let error)): error.description
        case .command(.recovery(let error)): error.description
        case .command(let error): "\(error)"
        }
    }
}
