import AsyncHTTPClient
import JSON
import Logging
import NIOCore
import NIOHTTP1
import Synchronization

/// A page of a SOQL query: `{"totalSize", "done", "nextRecordsUrl"?, "records": [...]}`.
public struct QueryPage: Sendable {
    /// How many records the whole query matches.
    public var totalSize: Int
    /// Whether this is the last page.
    public var done: Bool
    /// The path of the next page while `done` is false, to be fetched as is.
    public var nextRecordsURL: String?
    /// The records, each with its `attributes` and the selected fields.
    public var records: [JSONObject]
}

/// What a client has done so far, for job status and tests.
public struct SalesforceClientStatistics: Sendable, Hashable {
    /// HTTP calls made to the data API (retries included).
    public var calls = 0
    /// Calls repeated after a 5xx, `REQUEST_LIMIT_EXCEEDED`, malformed JSON or a failed connection.
    public var retries = 0
    /// Tokens obtained (the first one included).
    public var authentications = 0
    /// Calls delayed because usage neared the allowance.
    public var throttledCalls = 0
}

/// The Salesforce REST API, as backfills and re-reads use it: OAuth 2.0 client credentials, SOQL
/// `query` / `queryAll` with paging, single-record reads.
///
/// - A 401 (`INVALID_SESSION_ID`: the token expired or was revoked) gets a new token and the call
///   is tried once more.
/// - 5xx, 403 `REQUEST_LIMIT_EXCEEDED`, a 2xx whose body is not JSON, and failed connections are
///   retried with exponential backoff and full jitter (honouring `Retry-After`), up to
///   `maximumAttempts`; other 4xx fail at once with Salesforce's typed errors.
/// - `Sforce-Limit-Info` is read on every answer; past `slowDownAtUsage` of the allowance each
///   call waits a little, more as usage nears the limit.
///
/// The access token and the client secret are never logged.
public final class SalesforceClient: Sendable {
    private struct Session: Sendable {
        var accessToken: String
        var instanceURL: String
    }

    private struct State {
        var session: Session?
        /// The token request in flight, shared by every call that needs a token meanwhile.
        var authenticating: Task<Session, any Error>?
        var usage: APIUsage?
        var statistics = SalesforceClientStatistics()
    }

    /// The org and the policies.
    public let configuration: SalesforceAPIConfiguration
    private let http: HTTPClient
    private let logger: Logger
    private let state = Mutex(State())

    /// A client of the org `configuration` names, over `httpClient`.
    public init(configuration: SalesforceAPIConfiguration, httpClient: HTTPClient = .shared, logger: Logger) {
        self.configuration = configuration
        self.http = httpClient
        self.logger = logger
    }

    /// The last `Sforce-Limit-Info` reading, if any.
    public var usage: APIUsage? { state.withLock { $0.usage } }

    /// Counters of calls, retries, authentications and throttling.
    public var statistics: SalesforceClientStatistics { state.withLock { $0.statistics } }

    // MARK: - Data API

    /// Runs SOQL `soql`; with `includeDeleted`, through `queryAll` (deleted and archived records
    /// too, with `IsDeleted`).
    public func query(_ soql: String, includeDeleted: Bool = false) async throws(SalesforceAPIError) -> QueryPage {
        let resource = includeDeleted ? "queryAll" : "query"
        return try Self.page(from: await get("/services/data/\(configuration.apiVersion)/\(resource)?q=\(Self.percentEncoded(soql))"))
    }

    /// The page at `nextRecordsURL` (from the previous page).
    public func nextPage(_ nextRecordsURL: String) async throws(SalesforceAPIError) -> QueryPage {
        guard nextRecordsURL.hasPrefix("/services/data/") else {
            throw .malformedResponse("nextRecordsUrl \(nextRecordsURL) is not a data API path")
        }
        return try Self.page(from: await get(nextRecordsURL))
    }

    /// Record `id` of `object`, with `fields` (all readable fields when `nil`); `nil` when
    /// Salesforce has no such record (or it is deleted).
    public func record(object: String, id: String, fields: [String]? = nil) async throws(SalesforceAPIError) -> JSONObject? {
        var path = "/services/data/\(configuration.apiVersion)/sobjects/\(Self.percentEncoded(object))/\(Self.percentEncoded(id))"
        if let fields { path += "?fields=" + Self.percentEncoded(fields.joined(separator: ",")) }
        do {
            guard case .object(let record) = try await get(path) else { throw SalesforceAPIError.malformedResponse("the record is not an object") }
            return record
        } catch let error as SalesforceAPIError {
            if case .api(404, _) = error { return nil }
            throw error
        } catch {
            throw .transport("\(error)")
        }
    }

    static func page(from value: JSONValue) throws(SalesforceAPIError) -> QueryPage {
        guard case .object(let object) = value, let done = object["done"]?.boolValue,
            case .array(let records)? = object["records"]
        else { throw .malformedResponse("a query page needs done and records") }
        var objects: [JSONObject] = []
        objects.reserveCapacity(records.count)
        for record in records {
            guard case .object(let fields) = record else { throw .malformedResponse("a query record is not an object") }
            objects.append(fields)
        }
        let next = object["nextRecordsUrl"]?.stringValue
        if !done, next == nil { throw .malformedResponse("a page that is not done has no nextRecordsUrl") }
        return QueryPage(
            totalSize: object["totalSize"]?.int64Value.map { Int(clamping: $0) } ?? objects.count,
            done: done,
            nextRecordsURL: done ? nil : next,
            records: objects
        )
    }

    // MARK: - Calls

    /// GETs `path` on the instance, with the retry, re-authentication and throttling policies.
    private func get(_ path: String) async throws(SalesforceAPIError) -> JSONValue {
        var attempt = 0
        var reauthenticated = false
        while true {
            attempt += 1
            await throttle()
            let session = try await currentSession()
            var request = HTTPClientRequest(url: session.instanceURL + path)
            request.method = .GET
            request.headers.add(name: "Authorization", value: "Bearer \(session.accessToken)")
            request.headers.add(name: "Accept", value: "application/json")
            request.headers.add(name: "Sforce-Query-Options", value: "batchSize=\(configuration.queryBatchSize)")
            state.withLock { $0.statistics.calls += 1 }
            let answer: (status: Int, headers: HTTPHeaders, body: [UInt8])
            do {
                answer = try await execute(request)
            } catch {
                guard attempt < configuration.maximumAttempts else { throw error }
                try await retry(after: nil, attempt: attempt, reason: "\(error)")
                continue
            }
            if let info = answer.headers.first(name: "Sforce-Limit-Info"), let usage = APIUsage(limitInfo: info) {
                state.withLock { $0.usage = usage }
            }
            switch answer.status {
            case 200..<300:
                if let value = try? JSONValue(parsing: answer.body) { return value }
                guard attempt < configuration.maximumAttempts else {
                    throw .malformedResponse("\(answer.body.count) bytes that do not parse as JSON")
                }
                try await retry(after: nil, attempt: attempt, reason: "malformed JSON")
            case 401 where !reauthenticated:
                // The session expired or was revoked: one new token, one more try.
                reauthenticated = true
                attempt -= 1
                invalidate(session)
                logger.info("Salesforce session expired; authenticating again")
            default:
                let errors = Self.errors(in: answer.body)
                let limitExceeded = answer.status == 403 && errors.contains { $0.errorCode == "REQUEST_LIMIT_EXCEEDED" }
                guard limitExceeded || answer.status >= 500, attempt < configuration.maximumAttempts else {
                    throw .api(status: answer.status, errors: errors)
                }
                try await retry(
                    after: answer.headers.first(name: "Retry-After").flatMap { Int($0) },
                    attempt: attempt,
                    reason: "HTTP \(answer.status) \(errors.first?.errorCode ?? "")"
                )
            }
        }
    }

    /// Sends `request` and reads the whole answer, all within `requestTimeout` (the client's own
    /// timeout covers the answer's head only).
    private func execute(_ request: HTTPClientRequest) async throws(SalesforceAPIError) -> (status: Int, headers: HTTPHeaders, body: [UInt8]) {
        let http = self.http
        let limit = configuration.requestTimeout
        let timeout = TimeAmount.nanoseconds(Int64(limit.components.seconds) * 1_000_000_000 + limit.components.attoseconds / 1_000_000_000)
        do {
            return try await withThrowingTaskGroup(of: (status: Int, headers: HTTPHeaders, body: [UInt8])?.self) { group in
                group.addTask {
                    let response = try await http.execute(request, timeout: timeout)
                    let body = try await response.body.collect(upTo: 256 << 20)
                    return (Int(response.status.code), response.headers, Array(buffer: body))
                }
                group.addTask {
                    try await Task.sleep(for: limit)
                    return nil
                }
                defer { group.cancelAll() }
                guard let answer = try await group.next() ?? nil else {
                    throw SalesforceAPIError.transport("no complete answer within \(limit)")
                }
                return answer
            }
        } catch let error as SalesforceAPIError {
            throw error
        } catch {
            throw .transport("\(error)")
        }
    }

    /// Sleeps before attempt `attempt + 1`: `Retry-After` seconds when given, else the base
    /// delay doubled per attempt (at most 30 s), with full jitter.
    private func retry(after retryAfter: Int?, attempt: Int, reason: String) async throws(SalesforceAPIError) {
        state.withLock { $0.statistics.retries += 1 }
        let ceiling = min(configuration.retryBaseDelay * (1 << min(attempt - 1, 20)), .seconds(30))
        let pause = retryAfter.map { Duration.seconds(min($0, 300)) } ?? ceiling * Double.random(in: 0.5...1)
        logger.warning(
            "Salesforce call failed; retrying",
            metadata: ["reason": "\(reason)", "attempt": "\(attempt)", "pauseMilliseconds": "\(pause.components.seconds * 1000 + pause.components.attoseconds / 1_000_000_000_000_000)"]
        )
        do {
            try await Task.sleep(for: pause)
        } catch {
            throw .transport("cancelled while waiting to retry")
        }
    }

    /// Waits a little when the last reading says usage is past `slowDownAtUsage`.
    private func throttle() async {
        let pause = state.withLock { state -> Duration in
            guard let usage = state.usage else { return .zero }
            let pause = usage.pause(slowDownAt: configuration.slowDownAtUsage, maximum: configuration.maximumThrottlePause)
            if pause > .zero { state.statistics.throttledCalls += 1 }
            return pause
        }
        if pause > .zero { try? await Task.sleep(for: pause) }
    }

    static func errors(in body: [UInt8]) -> [SalesforceErrorItem] {
        guard case .array(let items)? = try? JSONValue(parsing: body) else { return [] }
        return items.compactMap { item in
            guard let code = item["errorCode"]?.stringValue else { return nil }
            let fields = item["fields"]?.arrayValue?.compactMap(\.stringValue) ?? []
            return SalesforceErrorItem(errorCode: code, message: item["message"]?.stringValue ?? "", fields: fields)
        }
    }

    // MARK: - OAuth 2.0 client credentials

    /// The session in force, or a new one. Concurrent calls share one token request; only the
    /// call that started it stores its outcome, so a late waiter never puts back a stale token.
    private func currentSession() async throws(SalesforceAPIError) -> Session {
        let (task, started) = state.withLock { state -> (Task<Session, any Error>?, Bool) in
            if state.session != nil { return (nil, false) }
            if let running = state.authenticating { return (running, false) }
            let task = Task { try await self.authenticate() }
            state.authenticating = task
            return (task, true)
        }
        guard let task else {
            if let session = state.withLock({ $0.session }) { return session }
            return try await currentSession()
        }
        do {
            let session = try await task.value
            if started {
                state.withLock { state in
                    state.session = session
                    state.authenticating = nil
                }
            }
            return session
        } catch {
            if started { state.withLock { $0.authenticating = nil } }
            if let error = error as? SalesforceAPIError { throw error }
            throw .transport("\(error)")
        }
    }

    private func invalidate(_ session: Session) {
        state.withLock { state in
            if state.session?.accessToken == session.accessToken { state.session = nil }
        }
    }

    /// `POST <login>/services/oauth2/token` with the client credentials, retried like data
    /// calls on 5xx and failed connections.
    private func authenticate() async throws -> Session {
        let form = "grant_type=client_credentials&client_id=\(Self.percentEncoded(configuration.clientID))&client_secret=\(Self.percentEncoded(configuration.clientSecret))"
        var attempt = 0
        while true {
            attempt += 1
            var request = HTTPClientRequest(url: configuration.loginURL + "/services/oauth2/token")
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
            request.headers.add(name: "Accept", value: "application/json")
            request.body = .bytes(ByteBuffer(string: form))
            let answer: (status: Int, headers: HTTPHeaders, body: [UInt8])
            do {
                answer = try await execute(request)
            } catch {
                guard attempt < configuration.maximumAttempts else { throw error }
                try await retry(after: nil, attempt: attempt, reason: "token endpoint: \(error)")
                continue
            }
            if answer.status >= 500, attempt < configuration.maximumAttempts {
                try await retry(after: nil, attempt: attempt, reason: "token endpoint: HTTP \(answer.status)")
                continue
            }
            let body = try? JSONValue(parsing: answer.body)
            guard answer.status == 200 else {
                let detail = [body?["error"]?.stringValue, body?["error_description"]?.stringValue].compactMap { $0 }.joined(separator: ": ")
                throw SalesforceAPIError.authentication(status: answer.status, detail: detail.isEmpty ? "no details" : detail)
            }
            guard let token = body?["access_token"]?.stringValue, let instance = body?["instance_url"]?.stringValue,
                instance.hasPrefix("http")
            else {
                throw SalesforceAPIError.authentication(status: answer.status, detail: "the token answer has no access_token or instance_url")
            }
            state.withLock { $0.statistics.authentications += 1 }
            logger.info("authenticated with Salesforce", metadata: ["instance": "\(instance)"])
            return Session(accessToken: token, instanceURL: instance.hasSuffix("/") ? String(instance.dropLast()) : instance)
        }
    }

    // MARK: - Encoding

    /// `text` percent-encoded for a URL query value or path segment (everything but unreserved
    /// characters).
    static func percentEncoded(_ text: String) -> String {
        var encoded = ""
        encoded.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                encoded.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = Array("0123456789ABCDEF".utf8)
                encoded.unicodeScalars.append("%")
                encoded.unicodeScalars.append(Unicode.Scalar(hex[Int(byte >> 4)]))
                encoded.unicodeScalars.append(Unicode.Scalar(hex[Int(byte & 0xF)]))
            }
        }
        return encoded
    }
}
