import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Synchronization

/// Serves a `SalesforceOrg` over HTTP on loopback, shaped like Salesforce's REST API:
/// - `POST /services/oauth2/token` (client credentials; `instance_url` is this server);
/// - `GET /services/data/vXX.X/query?q=` and `/queryAll?q=` with `nextRecordsUrl` paging
///   (`Sforce-Query-Options: batchSize=` honoured, 2,000 at most), records with `attributes`;
/// - `GET /services/data/vXX.X/query/<locator>` (the next page);
/// - `GET /services/data/vXX.X/sobjects/<Object>/<Id>`;
/// - `Sforce-Limit-Info: api-usage=<used>/<limit>` on every data answer, errors as Salesforce's
///   JSON arrays, `401 INVALID_SESSION_ID` for unknown tokens.
public final class SalesforceOrgServer: Sendable {
    /// The org served.
    public let org: SalesforceOrg
    private let running = Mutex<(task: Task<Void, any Error>, url: String)?>(nil)
    private let cursors = Mutex<[String: (records: [String], offset: Int, batch: Int, generation: Int)]>([:])

    /// A server for `org`; call `start()`.
    public init(org: SalesforceOrg) {
        self.org = org
    }

    /// Starts listening on `127.0.0.1:port` (0: any free port) and returns the base URL.
    public func start(port: Int = 0) async throws -> String {
        let router = Router()
        routes(on: router)
        let (stream, continuation) = AsyncStream.makeStream(of: Int.self)
        let app = Application(
            router: router,
            configuration: .init(address: .hostname("127.0.0.1", port: port), serverName: "salesforce-org-sim"),
            onServerRunning: { channel in continuation.yield(channel.localAddress?.port ?? 0) },
            logger: Self.quietLogger
        )
        let task = Task { try await app.runService() }
        var bound = 0
        for await port in stream {
            bound = port
            break
        }
        let url = "http://127.0.0.1:\(bound)"
        running.withLock { $0 = (task, url) }
        return url
    }

    /// Stopping cancels the server, which Hummingbird reports at error level: not worth a line.
    private static let quietLogger: Logger = {
        var logger = Logger(label: "salesforce-org-sim")
        logger.logLevel = .critical
        return logger
    }()

    /// The base URL while running.
    public var url: String? { running.withLock { $0?.url } }

    /// Returns once the server has stopped: after `stop()`, or after SIGTERM or SIGINT, which
    /// Hummingbird's service lifecycle answers with a graceful shutdown.
    public func waitUntilStopped() async {
        guard let task = running.withLock({ $0?.task }) else { return }
        _ = try? await task.value
    }

    /// Stops the server.
    public func stop() async {
        guard let task = running.withLock({ $0?.task }) else { return }
        task.cancel()
        _ = try? await task.value
        running.withLock { $0 = nil }
    }

    // MARK: - Routes

    private func routes(on router: Router<BasicRequestContext>) {
        router.post("/services/oauth2/token") { request, _ in
            let body = try await request.body.collect(upTo: 64 * 1024)
            let form = Self.form(String(buffer: body))
            self.org.state.withLock { $0.tokenRequests += 1 }
            guard form["grant_type"] == "client_credentials" else {
                return Self.json(#"{"error":"unsupported_grant_type","error_description":"grant type not supported"}"#, status: .badRequest)
            }
            guard form["client_id"] == self.org.clientID, form["client_secret"] == self.org.clientSecret else {
                return Self.json(#"{"error":"invalid_client","error_description":"invalid client credentials"}"#, status: .badRequest)
            }
            let token = "00D5f000000J5zz!" + UUID().uuidString.replacingOccurrences(of: "-", with: "")
            self.org.state.withLock { _ = $0.tokens.insert(token) }
            let instance = self.url ?? ""
            return Self.json(
                "{\"access_token\":\"\(token)\",\"instance_url\":\"\(instance)\",\"id\":\"\(instance)/id/00D5f000000J5zzEAC/0055f000005mc66AAA\","
                    + "\"token_type\":\"Bearer\",\"issued_at\":\"\(Int64(Date().timeIntervalSince1970 * 1000))\",\"signature\":\"c2lt\",\"scope\":\"api\"}"
            )
        }
        router.get("/services/data/:version/query") { request, _ in
            try await self.dataCall(request) { try self.query(request, includeDeleted: false) }
        }
        router.get("/services/data/:version/queryAll") { request, _ in
            try await self.dataCall(request) { try self.query(request, includeDeleted: true) }
        }
        router.get("/services/data/:version/query/:locator") { request, context in
            let locator = context.parameters.get("locator") ?? ""
            let version = context.parameters.get("version") ?? "v60.0"
            return try await self.dataCall(request) { self.nextPage(locator, version: version) }
        }
        router.get("/services/data/:version/sobjects/:object/:id") { request, context in
            let object = context.parameters.get("object") ?? ""
            let id = context.parameters.get("id") ?? ""
            let version = context.parameters.get("version") ?? "v60.0"
            return try await self.dataCall(request) { self.readRecord(object: object, id: id, version: version) }
        }
    }

    /// Checks the token, counts the call against the allowance, applies a queued failure, and
    /// answers with `Sforce-Limit-Info`.
    private func dataCall(_ request: Request, _ answer: () throws -> (status: HTTPResponse.Status, body: String)) async throws -> Response {
        let token = request.headers[.authorization].map { String($0.dropFirst("Bearer ".count)) } ?? ""
        enum Gate { case expired, overLimit, failure(SalesforceOrg.Failure), open }
        let (gate, used) = org.state.withLock { state -> (Gate, Int) in
            guard state.tokens.contains(token) else { return (.expired, state.apiUsed) }
            state.apiUsed += 1
            state.queries += 1
            if state.apiUsed > org.apiLimit { return (.overLimit, state.apiUsed) }
            if !state.failures.isEmpty { return (.failure(state.failures.removeFirst()), state.apiUsed) }
            return (.open, state.apiUsed)
        }
        let limitInfo = "api-usage=\(used)/\(org.apiLimit)"
        func respond(_ status: HTTPResponse.Status, _ body: String) -> Response {
            var response = Self.json(body, status: status)
            response.headers[HTTPField.Name("Sforce-Limit-Info")!] = limitInfo
            return response
        }
        switch gate {
        case .expired:
            return respond(.unauthorized, #"[{"message":"Session expired or invalid","errorCode":"INVALID_SESSION_ID"}]"#)
        case .overLimit, .failure(.limitExceeded):
            return respond(.forbidden, #"[{"message":"TotalRequests Limit exceeded.","errorCode":"REQUEST_LIMIT_EXCEEDED"}]"#)
        case .failure(.unavailable):
            return respond(.serviceUnavailable, #"[{"message":"Server temporarily unavailable","errorCode":"SERVER_UNAVAILABLE"}]"#)
        case .failure(.malformedJSON):
            return respond(.ok, #"{"totalSize":3,"done":true,"records":[{"attributes":{"type":"Acc"#)
        case .failure(.slow(let pause)):
            try await Task.sleep(for: pause)
        case .open:
            break
        }
        do {
            let (status, body) = try answer()
            return respond(status, body)
        } catch let error as SOQLError {
            return respond(.badRequest, "[{\"message\":\(Self.quoted(error.description)),\"errorCode\":\"MALFORMED_QUERY\"}]")
        } catch let error as InvalidField {
            return respond(.badRequest, "[{\"message\":\(Self.quoted(error.message)),\"errorCode\":\"INVALID_FIELD\"}]")
        }
    }

    private struct InvalidField: Error {
        var message: String
    }

    private func query(_ request: Request, includeDeleted: Bool) throws -> (status: HTTPResponse.Status, body: String) {
        guard let text = request.uri.queryParameters.get("q") else { throw SOQLError("no q parameter") }
        let query = try SOQLQuery(text)
        let batch = request.headers[HTTPField.Name("Sforce-Query-Options")!]
            .flatMap { $0.split(separator: "=").last.flatMap { Int($0) } }
            .map { min(2000, max(200, $0)) } ?? 2000
        let version = request.uri.path.split(separator: "/").dropFirst(2).first.map(String.init) ?? "v60.0"
        guard RecordKind.all.contains(where: { $0.object == query.object }) else {
            throw InvalidField(message: "sObject type '\(query.object)' is not supported.")
        }
        for field in query.fields + query.order.map(\.field) + (query.condition.map(Self.fields(in:)) ?? [])
        where !Self.isKnown(field, on: query.object) {
            throw InvalidField(message: "No such column '\(field)' on entity '\(query.object)'.")
        }
        let matching: [String] = org.state.withLock { state in
            let records = (state.records[query.object] ?? [:]).values.filter { includeDeleted || !$0.deleted }
            var selected = records.filter { record in query.condition.map { Self.holds($0, for: record) } ?? true }
            selected.sort { left, right in
                for (field, ascending) in query.order {
                    let a = Self.value(of: field, in: left) ?? .null
                    let b = Self.value(of: field, in: right) ?? .null
                    if let order = a.compare(to: b), order != 0 { return ascending ? order < 0 : order > 0 }
                }
                return left.id < right.id
            }
            if let limit = query.limit { selected = Array(selected.prefix(limit)) }
            return selected.map { Self.render($0, fields: query.fields, version: version) }
        }
        let locator = "01g" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(15)
        let generation = org.state.withLock { $0.cursorGeneration }
        cursors.withLock { $0[locator] = (matching, 0, batch, generation) }
        return (.ok, page(locator, version: version))
    }

    private func nextPage(_ locator: String, version: String) -> (status: HTTPResponse.Status, body: String) {
        let parts = locator.split(separator: "-")
        let generation = org.state.withLock { $0.cursorGeneration }
        guard parts.count == 2, let cursor = cursors.withLock({ $0[String(parts[0])] }), let offset = Int(parts[1]),
            (0...cursor.records.count).contains(offset), cursor.generation == generation
        else {
            return (.badRequest, #"[{"message":"invalid query locator","errorCode":"INVALID_QUERY_LOCATOR"}]"#)
        }
        cursors.withLock { $0[String(parts[0])]?.offset = offset }
        return (.ok, page(String(parts[0]), version: version))
    }

    private func page(_ locator: String, version: String) -> String {
        cursors.withLock { cursors in
            guard let cursor = cursors[locator] else { return "{}" }
            let end = min(cursor.records.count, cursor.offset + cursor.batch)
            let done = end >= cursor.records.count
            var body = "{\"totalSize\":\(cursor.records.count),\"done\":\(done),"
            if !done { body += "\"nextRecordsUrl\":\"/services/data/\(version)/query/\(locator)-\(end)\"," }
            body += "\"records\":[" + cursor.records[cursor.offset..<end].joined(separator: ",") + "]}"
            if done { cursors[locator] = nil }
            return body
        }
    }

    private func readRecord(object: String, id: String, version: String) -> (status: HTTPResponse.Status, body: String) {
        org.state.withLock { state in
            guard let record = state.records[object]?[id], !record.deleted else {
                return (.notFound, #"[{"errorCode":"NOT_FOUND","message":"The requested resource does not exist"}]"#)
            }
            let fields = ["Id"] + record.fields.keys.sorted() + ["CreatedDate", "LastModifiedDate", "SystemModstamp", "IsDeleted"]
            return (.ok, Self.render(record, fields: fields, version: version))
        }
    }

    // MARK: - Records

    private static func render(_ record: SalesforceOrg.Record, fields: [String], version: String) -> String {
        var body = "{\"attributes\":{\"type\":\"\(record.object)\",\"url\":\"/services/data/\(version)/sobjects/\(record.object)/\(record.id)\"}"
        for field in fields { body += ",\"\(field)\":\(jsonText(of: field, in: record) ?? "null")" }
        return body + "}"
    }

    private static func jsonText(of field: String, in record: SalesforceOrg.Record) -> String? {
        switch field {
        case "Id": "\"\(record.id)\""
        case "CreatedDate": "\"\(OrgTime.format(record.createdDate))\""
        case "LastModifiedDate": "\"\(OrgTime.format(record.lastModified))\""
        case "SystemModstamp": "\"\(OrgTime.format(record.systemModstamp))\""
        case "IsDeleted": record.deleted ? "true" : "false"
        default: record.fields[field]
        }
    }

    /// Whether `object` has `field`: the bookkeeping fields, the generated ones and the standard
    /// ones the org knows.
    private static func isKnown(_ field: String, on object: String) -> Bool {
        ["Id", "CreatedDate", "LastModifiedDate", "SystemModstamp", "IsDeleted"].contains(field)
            || RecordKind.all.first { $0.object == object }?.fields.contains { SalesforceOrg.restName($0.source) == field } == true
            || SalesforceOrg.standardFields[object]?.contains(field) == true
    }

    private static func fields(in condition: SOQLQuery.Condition) -> [String] {
        switch condition {
        case .and(let left, let right), .or(let left, let right): fields(in: left) + fields(in: right)
        case .compare(let field, _, _), .within(let field, _): [field]
        }
    }

    /// A field's value for conditions and ordering; `nil` for an unknown field.
    private static func value(of field: String, in record: SalesforceOrg.Record?) -> SOQLValue? {
        guard let record else { return nil }
        switch field {
        case "CreatedDate": return .time(record.createdDate)
        case "LastModifiedDate": return .time(record.lastModified)
        case "SystemModstamp": return .time(record.systemModstamp)
        case "IsDeleted": return .bool(record.deleted)
        case "Id": return .text(record.id)
        default:
            guard let text = record.fields[field] else {
                let generated = RecordKind.all.first { $0.object == record.object }?.fields.contains { SalesforceOrg.restName($0.source) == field } == true
                return generated || SalesforceOrg.standardFields[record.object]?.contains(field) == true ? .null : nil
            }
            if text == "null" { return .null }
            if text == "true" || text == "false" { return .bool(text == "true") }
            if text.hasPrefix("\"") { return .text(String(text.dropFirst().dropLast())) }
            return Double(text).map(SOQLValue.number) ?? .null
        }
    }

    private static func holds(_ condition: SOQLQuery.Condition, for record: SalesforceOrg.Record) -> Bool {
        switch condition {
        case .and(let left, let right): return holds(left, for: record) && holds(right, for: record)
        case .or(let left, let right): return holds(left, for: record) || holds(right, for: record)
        case .within(let field, let values):
            guard let value = value(of: field, in: record) else { return false }
            return values.contains { value.compare(to: $0) == 0 }
        case .compare(let field, let op, let literal):
            guard let order = value(of: field, in: record)?.compare(to: literal) else { return op == "!=" }
            switch op {
            case "=": return order == 0
            case "!=": return order != 0
            case "<": return order < 0
            case "<=": return order <= 0
            case ">": return order > 0
            default: return order >= 0
            }
        }
    }

    // MARK: - HTTP helpers

    private static func json(_ body: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json;charset=UTF-8"], body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
    }

    private static func quoted(_ text: String) -> String {
        let data = try? JSONSerialization.data(withJSONObject: [text], options: [.fragmentsAllowed])
        return data.map { String(decoding: $0.dropFirst().dropLast(), as: UTF8.self) } ?? "\"\""
    }

    private static func form(_ body: String) -> [String: String] {
        var values: [String: String] = [:]
        for pair in body.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            guard parts.count == 2 else { continue }
            let decode = { (text: Substring) in text.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(text) }
            values[decode(parts[0])] = decode(parts[1])
        }
        return values
    }
}
