import CRM
import EventSourcing
import Foundation
import HTTPTypes
@testable import HTTPAPI
import Hummingbird
import HummingbirdTesting
import JSON
import Logging
import Synchronization
import Testing

/// Request ids, per-token rate limits, readiness, shedding on read-model lag, and JSON logs.
@Suite("Operability")
struct OperabilityTests {
    // MARK: - Request ids

    @Test func aRequestIDIsAnsweredAndKeptInTheEventsItWrites() async throws {
        let app = try await testApplication()
        try await app.test(.router) { client in
            let given = try await client.execute(
                uri: "/v1/cdc", method: .post, headers: [.contentType: "application/json", RequestIDMiddleware.header: "relay-7f3a:batch/42"],
                body: ByteBuffer(bytes: changeEvent("CREATE", id: accountID(1), fields: ["Name": "Acme"]).jsonBytes())
            )
            #expect(given.status == .ok)
            #expect(given.headers[RequestIDMiddleware.header] == "relay-7f3a:batch/42")
            let command = try await client.execute(
                uri: "/v1/commands/clients/\(accountID(1))", method: .post, headers: [.contentType: "application/json"],
                body: ByteBuffer(bytes: (["command": "upsert", "fields": ["Name": "Acme Corp"]] as JSONValue).jsonBytes())
            )
            #expect(command.status == .ok)
            let generated = try #require(command.headers[RequestIDMiddleware.header])
            #expect(generated.count == 32 && generated.allSatisfy(\.isHexDigit))

            let history = try await client.request("/v1/clients/\(accountID(1))/events")
            #expect(history.body[0]?["metadata"]?["requestId"] == "relay-7f3a:batch/42")
            #expect(history.body[1]?["metadata"]?["requestId"]?.stringValue == generated)

            // An id unfit to log or store is replaced; problems carry the id too.
            let odd = try await client.execute(uri: "/v1/clients/nope", method: .get, headers: [RequestIDMiddleware.header: "bad id\u{7}"], body: nil)
            #expect(odd.status == .badRequest)
            #expect(odd.headers[RequestIDMiddleware.header].map { $0.count == 32 } == true)
            let long = String(repeating: "x", count: 129)
            let tooLong = try await client.execute(uri: "/health", method: .get, headers: [RequestIDMiddleware.header: long], body: nil)
            #expect(tooLong.headers[RequestIDMiddleware.header] != long)
        }
    }

    /// Generated ids never repeat within a process and share nothing visible from one to the next.
    @Test func generatedRequestIDsAreDistinctLowercaseHex() {
        let ids = (0..<20_000).map { _ in RequestIDMiddleware.generate() }
        #expect(Set(ids).count == ids.count)
        #expect(ids.allSatisfy { $0.utf8.count == 32 && $0.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) } })
        // Consecutive ids differ in their second half well beyond the last digit.
        let differing = zip(ids, ids.dropFirst()).map { pair in zip(pair.0.suffix(16), pair.1.suffix(16)).filter { $0 != $1 }.count }
        #expect(differing.reduce(0, +) / differing.count >= 12)
    }

    // MARK: - Rate limits

    @Test func eachTokenHasItsOwnRateLimit() async throws {
        let app = try await testApplication { configuration in
            configuration.accessTokens = try! AccessTokens(parsing: """
                reader query 0123456789abcdef0123
                other query fedcba9876543210fedc
                """)
            // One request per 5 s (a burst of one): the second comes well within that, however
            // slow the machine.
            configuration.rateLimitPerToken = 0.2
        }
        try await app.test(.router) { client in
            func get(_ token: String) async throws -> (HTTPResponse.Status, String?) {
                let response = try await client.execute(uri: "/v1/gaps", method: .get, headers: [.authorization: "Bearer \(token)"], body: nil)
                return (response.status, response.headers[.retryAfter])
            }
            #expect(try await get("0123456789abcdef0123").0 == .ok)
            let refused = try await get("0123456789abcdef0123")
            #expect(refused.0 == .tooManyRequests)
            #expect(refused.1.flatMap(Int.init).map { (1...5).contains($0) } == true)
            // Another token's allowance is its own; open routes are not limited.
            #expect(try await get("fedcba9876543210fedc").0 == .ok)
            #expect(try await client.execute(uri: "/health", method: .get, headers: [:], body: nil).status == .ok)
        }
    }

    @Test func aBucketRefillsAtTheRateUpToTheBurst() {
        let limiter = RateLimiter(rate: 10, burst: 3)
        let start = ContinuousClock.now
        for _ in 0..<3 { #expect(limiter.admit("a", now: start) == nil) }
        #expect(limiter.admit("a", now: start) == 1)
        // 100 ms later one request's worth is back, not more.
        #expect(limiter.admit("a", now: start + .milliseconds(100)) == nil)
        #expect(limiter.admit("a", now: start + .milliseconds(100)) != nil)
        // After a long idle spell the bucket holds the burst, not more.
        let later = start + .seconds(60)
        for _ in 0..<3 { #expect(limiter.admit("a", now: later) == nil) }
        #expect(limiter.admit("a", now: later) != nil)
        // A slow rate asks for a longer wait.
        let slow = RateLimiter(rate: 0.1)
        #expect(slow.admit("b", now: start) == nil)
        #expect(slow.admit("b", now: start) == 10)
    }

    // MARK: - Readiness

    @Test func readinessWantsCaughtUpReadModelsWithinTheLagAndNoShutdown() {
        let models: [(name: String, position: UInt64)] = [("clients", 900), ("deals", 1000)]
        let readiness = Readiness(grace: .seconds(10))
        let start = ContinuousClock.now
        func check(head: UInt64, startup: UInt64 = 800, shuttingDown: Bool = false, at offset: Duration) -> String? {
            readiness.refusal(shuttingDown: shuttingDown, head: head, startupPosition: startup, readModels: models, maxLag: 100, now: start + offset)
        }
        #expect(check(head: 1000, at: .zero) == nil)
        #expect(check(head: 1000, shuttingDown: true, at: .zero) == "shutting down")
        #expect(check(head: 1000, startup: 950, at: .zero) == "read models are catching up: clients")
        // A lag past the limit is tolerated for the grace period, then refused...
        #expect(check(head: 1001, at: .seconds(1)) == nil)
        #expect(check(head: 1001, at: .seconds(9)) == nil)
        #expect(check(head: 1001, at: .seconds(11)) == "read models have trailed the journal by more than 100 events for 10.0 seconds: clients (101 events)")
        // ...and forgotten as soon as the read models are back within it.
        #expect(check(head: 1000, at: .seconds(12)) == nil)
        #expect(check(head: 1001, at: .seconds(13)) == nil)
    }

    @Test func readyAnswersThroughHTTP() async throws {
        let app = try await testApplication()
        try await app.test(.router) { client in
            let ready = try await client.request("/ready")
            #expect(ready.status == .ok)
            #expect(ready.body["status"] == "ready")
        }
    }

    // MARK: - Shedding on read-model lag

    @Test func writesAreShedWhileTheReadModelsTrailTooFarAndLetInOnceTheyCatchUp() async throws {
        let journal = InMemoryJournal()
        for number in 1...5 {
            _ = try await journal.append(AppendRequest(
                stream: StreamName(category: "clients", id: accountID(number)),
                expectedVersion: .exact(0),
                events: [NewEvent(type: "ClientCreated", data: ["fields": ["Name": .string("Client \(number)")]])]
            ))
        }
        let readModels = try ReadModels(mappings: .defaults)
        let written = Mutex(0)
        let router = Router()
        router.add(middleware: WriteAdmissionMiddleware(maxInFlightWrites: 8, maxProjectionLag: 2, journal: journal, readModels: readModels))
        router.post("/v1/cdc") { _, _ in
            written.withLock { $0 += 1 }
            return "written"
        }
        router.get("/v1/gaps") { _, _ in "read" }
        let app = Application(router: router)
        try await app.test(.router) { client in
            let shed = try await client.execute(uri: "/v1/cdc", method: .post, headers: [:], body: ByteBuffer())
            #expect(shed.status == .serviceUnavailable)
            #expect(shed.headers[.retryAfter] == "2")
            #expect(written.withLock { $0 } == 0, "nothing written while shedding")
            // Reads are never shed.
            #expect(try await client.execute(uri: "/v1/gaps", method: .get, headers: [:], body: nil).status == .ok)
            let events = try await journal.readAll(after: 0, limit: 10)
            // What the projection runner does with each page of the log.
            for projection in readModels.all {
                try await projection.apply(events)
                projection.applied.advance(to: events[events.count - 1].position)
            }
            let admitted = try await client.execute(uri: "/v1/cdc", method: .post, headers: [:], body: ByteBuffer())
            #expect(admitted.status == .ok)
            #expect(written.withLock { $0 } == 1)
        }
    }

    // MARK: - Snapshots on demand

    @Test func adminSnapshotSnapshotsRecordsThatMovedAndOnlyThose() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tributary-snapshot-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // A snapshot every 4 versions: records from version 2 on are worth one.
        let app = try await testApplication(storage: .lmdb(directory: directory)) { $0.registry.snapshotEvery = 4 }
        try await app.test(.router) { client in
            for version in 1...3 {
                let write = try await client.request("/v1/commands/clients/\(accountID(1))", method: .post, json: ["command": "upsert", "fields": ["Name": .string("Acme \(version)")]])
                #expect(write.status == .ok)
            }
            // A record with one event is recovered by folding it: no snapshot for it.
            #expect(try await client.request("/v1/commands/clients/\(accountID(2))", method: .post, json: ["command": "upsert", "fields": ["Name": "Solo"]]).status == .ok)
            let first = try await client.request("/v1/admin/snapshot", method: .post)
            #expect(first.status == .accepted)
            #expect(first.body["resident"] == 2)
            #expect(first.body["snapshotted"] == 1)
            // Nothing moved since: nothing to write.
            let again = try await client.request("/v1/admin/snapshot", method: .post)
            #expect(again.body["snapshotted"] == 0)
            // The record still answers as before, and the next change is snapshotted again.
            #expect(try await client.request("/v1/commands/clients/\(accountID(1))", method: .post, json: ["command": "upsert", "fields": ["Name": "Acme 4"]]).body["version"] == 4)
            #expect(try await client.request("/v1/admin/snapshot", method: .post).body["snapshotted"] == 1)
        }
    }

    // MARK: - JSON logs

    @Test func jsonLogLinesCarryLevelMessageAndMetadata() throws {
        let lines = Mutex<[[UInt8]]>([])
        var logger = Logger(label: "tributary") { label in
            LineLogHandler(label: label, format: .json, write: { line in lines.withLock { $0.append(line) } })
        }
        logger[metadataKey: "request_id"] = "r-1"
        logger.info("request failed", metadata: ["status": "503", "streams": ["a", "b"], "lag": ["clients": "4"]])
        logger.debug("not at info level")
        let written = lines.withLock { $0 }
        #expect(written.count == 1)
        let line = try #require(written.first)
        #expect(line.last == UInt8(ascii: "\n"))
        #expect(!line.dropLast().contains(UInt8(ascii: "\n")), "one line per entry")
        let object = try JSONValue(parsing: Array(line))
        #expect(object["level"] == "info")
        #expect(object["message"] == "request failed")
        #expect(object["label"] == "tributary")
        #expect(object["request_id"] == "r-1")
        #expect(object["status"] == "503")
        #expect(object["streams"] == ["a", "b"])
        #expect(object["lag"]?["clients"] == "4")
        #expect(object["time"]?.stringValue?.hasSuffix("Z") == true)

        struct Refusal: Error {}
        logger.warning("cannot publish", error: Refusal())
        let warning = try JSONValue(parsing: try #require(lines.withLock { $0.last }))
        #expect(warning["error.message"] == "Refusal()")
        #expect(warning["error.type"]?.stringValue?.hasSuffix("Refusal") == true)
    }

    // MARK: - Text logs

    @Test func textLogLinesCarryLevelLabelMetadataAndMessage() throws {
        struct Refusal: Error {}
        let lines = Mutex<[String]>([])
        var logger = Logger(label: "tributary") { label in
            LineLogHandler(label: label, format: .text, write: { line in lines.withLock { $0.append(String(decoding: line, as: UTF8.self)) } })
        }
        logger[metadataKey: "request_id"] = "r-1"
        logger[metadataKey: "hb.request.id"] = "7"
        logger.info("request failed", metadata: ["status": "503"])
        logger.debug("not at info level")
        logger.warning("cannot publish", error: Refusal())
        let written = lines.withLock { $0 }
        #expect(written.count == 2)
        let first = try #require(written.first)
        // `<time> <level> <label>: <key=value …, sorted> [<source>] <message>`, one line.
        let time = try #require(first.split(separator: " ").first)
        #expect(time.hasSuffix("Z") && Timestamp(iso8601: String(time)) != nil, "\(first)")
        #expect(first.hasSuffix(" info tributary: hb.request.id=7 request_id=r-1 status=503 [HTTPAPITests] request failed\n"), "\(first)")
        #expect(first.filter { $0 == "\n" }.count == 1)
        let warning = try #require(written.last)
        #expect(warning.contains(" warning tributary: error.message=Refusal() error.type=") && warning.hasSuffix("Refusal hb.request.id=7 request_id=r-1 [HTTPAPITests] cannot publish\n"), "\(warning)")
        // Metadata set after a line does not leak into the lines before it.
        logger[metadataKey: "request_id"] = nil
        logger.info("next")
        #expect(lines.withLock { $0.last }?.contains("request_id") == false)
    }
}
